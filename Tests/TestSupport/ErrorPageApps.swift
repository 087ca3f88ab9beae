/// Python apps for the "app errors in the page" tests, written into a watched folder as `app.py`
/// (saving a new version is the user's fix). Each takes its port as the first argument.
public enum ErrorPageApps {
    /// Writes a marker line and an HTML tag to standard error (with colour codes, like a real
    /// traceback in a terminal), then exits with status 1 before it listens.
    public static func broken(marker: String) -> String {
        """
        import sys
        sys.stdout.write("starting the app\\n")
        sys.stdout.flush()
        sys.stderr.write("\\x1b[31mTraceback (most recent call last):\\x1b[0m\\n")
        sys.stderr.write("NameError: \(marker) <b>not defined</b> & more\\n")
        sys.exit(1)

        """
    }

    /// Serves a page titled `title` (and answers every path), quietly.
    public static func fixed(title: String) -> String {
        """
        import http.server, sys

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = b"<!doctype html><html><head><title>\(title)</title></head><body><h1>\(title)</h1></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

        """
    }
}
