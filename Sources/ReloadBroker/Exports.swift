// Handlers, responders and routes are the HTTP server's types; embedders who `import ReloadBroker`
// write `RequestHandler`s without importing the server module themselves.
@_exported import HTTPServer
