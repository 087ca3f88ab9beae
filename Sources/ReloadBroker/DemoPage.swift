import HTTPCodec

/// The built-in demo site (`reload-broker serve` without a folder): a page with the
/// client injected, buttons that trigger a reload or a stylesheet swap, and a
/// stylesheet whose colour changes with every epoch, so both flows can be seen.
enum DemoPage {
    static let stylesheetPath = "/demo.css"

    static func handle(_ request: HTTPRequest, responder: HTTPResponder, core: BrokerCore) {
        let head = request.head
        guard head.method == "GET" || head.method == "HEAD" else {
            var response = BrokerCore.plain(.methodNotAllowed, "Use GET.\n")
            response.head.headers.add("Allow", "GET, HEAD")
            responder.respond(response)
            return
        }
        switch head.path {
        case "/", "/index.html":
            var response = ResponseHead(status: .ok)
            response.headers.add("Content-Type", "text/html; charset=utf-8")
            response.headers.add("Cache-Control", "no-store")
            responder.respond(response, body: Array(page(prefix: core.configuration.prefix).utf8))
        case stylesheetPath:
            var response = ResponseHead(status: .ok)
            response.headers.add("Content-Type", "text/css; charset=utf-8")
            response.headers.add("Cache-Control", "no-store")
            let hue = (core.shared.currentEpoch * 47) % 360
            responder.respond(response, body: Array(stylesheet(hue: hue).utf8))
        default:
            var response = ResponseHead(status: .notFound)
            response.headers.add("Content-Type", "text/html; charset=utf-8")
            responder.respond(response, body: Array(notFound.utf8))
        }
    }

    static func stylesheet(hue: Int) -> String {
        """
        :root { --accent: hsl(\(hue) 70% 45%); }
        body { font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; padding: 0 1rem; }
        h1 { color: var(--accent); }
        button { font: inherit; padding: .4rem .9rem; margin-right: .5rem; border: 2px solid var(--accent); background: none; border-radius: .4rem; cursor: pointer; }
        code { background: #f3f3f3; padding: 0 .25rem; border-radius: .2rem; }

        """
    }

    static func page(prefix: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>reload-broker demo</title>
        <link rel="stylesheet" href="\(stylesheetPath)">
        </head>
        <body>
        <h1>reload-broker is running</h1>
        <p>This page was loaded at <strong id="loaded"></strong>. Open it in several tabs, then:</p>
        <p><button id="reload">Reload every tab</button><button id="css">Swap the stylesheet</button></p>
        <p>Or from a terminal: <code>curl -X POST http://localhost:PORT\(prefix)/trigger</code>.
        A stylesheet swap keeps this text box's content: <input placeholder="type here"></p>
        <script>
        document.getElementById('loaded').textContent = new Date().toLocaleTimeString();
        document.querySelector('code').textContent = document.querySelector('code').textContent.replace('localhost:PORT', location.host);
        const trigger = (body) => fetch('\(prefix)/trigger', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
        document.getElementById('reload').onclick = () => trigger({});
        document.getElementById('css').onclick = () => trigger({path: '\(stylesheetPath)'});
        </script>
        </body>
        </html>

        """
    }

    static let notFound = """
        <!doctype html>
        <html><head><title>Not found</title></head><body><h1>Not found</h1><p>The demo has only <a href="/">one page</a>.</p></body></html>

        """
}
