import HTMLInjection
import HTTPCodec

/// The page a browser gets while the app is down or restarting. It carries the client (injected
/// like any page), so it turns into the app by itself when the proxy broadcasts that the app is back.
///
/// With the app's command (``AppStatus``) it also shows what the app printed last, its exit
/// status and the command, and keeps that current while the app is down: a small inline script
/// polls `<prefix>/app` (JSON, same origin, answered `304` while nothing changed) and rewrites
/// the output, never reloading (only the client reloads, once, when the app answers). Without
/// JavaScript a `<noscript>` refresh reloads the page every 2 s, which shows new output and,
/// once the app answers, the app.
enum ProxyWaitingPage {
    static func response(
        status: HTTPStatus, app: String, detail: String, appStatus: AppStatus? = nil, prefix: String = "/__reload"
    ) -> BrokerCore.Response {
        var head = ResponseHead(status: status)
        head.headers.add("Content-Type", "text/html; charset=utf-8")
        head.headers.add("Cache-Control", "no-store")
        head.headers.add("Retry-After", "1")
        let body = html(app: app, detail: detail, appStatus: appStatus, prefix: prefix)
        return BrokerCore.Response(head: head, body: Array(body.utf8))
    }

    static func html(app: String, detail: String, appStatus: AppStatus?, prefix: String) -> String {
        let waiting = "Waiting for the app at <code>\(HTMLEscaping.escape(app))</code>…"
        guard let appStatus else {
            return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Waiting for the app…</title>
                <noscript><meta http-equiv="refresh" content="2"></noscript>
                <style>\(style)</style></head>
                <body><h1>\(waiting)</h1>
                <p>This page turns into the app as soon as it answers.</p>
                <p><small>\(HTMLEscaping.escape(detail))</small></p></body></html>

                """
        }
        let failed: Bool
        switch appStatus.state {
        case .exited, .failedToStart: failed = true
        default: failed = false
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(failed ? "The app stopped" : "Waiting for the app…")</title>
            <noscript><meta http-equiv="refresh" content="2"></noscript>
            <style>\(style)</style></head>
            <body><h1 id="reload-broker-summary">\(HTMLEscaping.escape(appStatus.summary))</h1>
            <p>\(waiting) This page turns into the app as soon as it answers\(failed ? ": save a fix" : "").</p>
            <p>Command: <code id="reload-broker-command">\(HTMLEscaping.escape(appStatus.command))</code></p>
            <p><small>\(HTMLEscaping.escape(detail))</small></p>
            <h2>What it printed last</h2>
            <pre id="reload-broker-output">\(outputHTML(appStatus.output))</pre>
            <script>\(script(url: prefix + "/app", tag: appStatus.tag))</script>
            </body></html>

            """
    }

    private static let style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:60rem;padding:0 1rem;color:#333}\
        code{background:#f3f3f3;padding:0 .3em}small{color:#777}h2{font-size:1rem;margin-top:2rem}\
        pre{background:#1e1e1e;color:#ddd;padding:1rem;overflow:auto;max-height:70vh;white-space:pre-wrap;\
        word-break:break-word;font:13px/1.4 ui-monospace,monospace}pre .err{color:#ff8a80}\
        pre:empty::after{content:"(nothing yet)";color:#888}
        """

    /// The lines as HTML: escaped, standard error's in `<span class="err">`.
    static func outputHTML(_ output: AppOutputTail) -> String {
        var result = output.droppedLines > 0 ? "<span>… \(output.droppedLines) earlier lines</span>\n" : ""
        for line in output.allLines {
            let text = HTMLEscaping.escape(line.text)
            result += line.stream == .standardError ? "<span class=\"err\">\(text)</span>\n" : text + "\n"
        }
        return result
    }

    /// Polls the status endpoint and rewrites the page (text only: `textContent`, never HTML).
    private static func script(url: String, tag: String) -> String {
        """
        (function(){var u="\(Messages.jsonEscaped(url))",tag="\(Messages.jsonEscaped(tag))",d=document,\
        out=d.getElementById("reload-broker-output"),sum=d.getElementById("reload-broker-summary");\
        function show(s){sum.textContent=s.summary;var f=d.createDocumentFragment(),\
        end=out.scrollTop+out.clientHeight>=out.scrollHeight-4;\
        if(s.dropped>0){var n=d.createElement("span");n.textContent="\\u2026 "+s.dropped+" earlier lines\\n";f.appendChild(n)}\
        s.lines.forEach(function(l){var e=d.createElement("span");if(l.stream==="stderr")e.className="err";\
        e.textContent=l.text+"\\n";f.appendChild(e)});out.replaceChildren(f);if(end)out.scrollTop=out.scrollHeight}\
        function poll(){fetch(u,{cache:"no-store",headers:{"If-None-Match":tag}}).then(function(r){\
        if(r.status!==200)return;tag=r.headers.get("ETag")||"";return r.json().then(show)}).catch(function(){})\
        .then(function(){setTimeout(poll,d.hidden?2000:500)})}\
        out.scrollTop=out.scrollHeight;setTimeout(poll,500)})();
        """
    }

}
