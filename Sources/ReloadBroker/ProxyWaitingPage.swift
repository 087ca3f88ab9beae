import HTTPCodec

/// The page a browser gets while the app is down or restarting. It carries the client (injected
/// like any page), so it turns into the app by itself when the proxy broadcasts that the app is back.
enum ProxyWaitingPage {
    static func response(status: HTTPStatus, app: String, detail: String) -> BrokerCore.Response {
        var head = ResponseHead(status: status)
        head.headers.add("Content-Type", "text/html; charset=utf-8")
        head.headers.add("Cache-Control", "no-store")
        head.headers.add("Retry-After", "1")
        let body = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Waiting for the app…</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;margin:4rem auto;max-width:36rem;color:#333}
            code{background:#f3f3f3;padding:0 .3em}small{color:#777}</style></head>
            <body><h1>Waiting for the app at <code>\(escaped(app))</code>…</h1>
            <p>This page turns into the app as soon as it answers.</p>
            <p><small>\(escaped(detail))</small></p></body></html>

            """
        return BrokerCore.Response(head: head, body: Array(body.utf8))
    }

    private static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
