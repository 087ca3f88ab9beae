import Foundation
import HTTPCodec
import ReloadBroker

/// The site of the LiveReload browser tests, served by a second broker (LiveReload off) on its
/// own port, so the LiveReload client talks to another origin, as with a separate dev server:
/// `/page` loads a LiveReload client with `<script src=…>` (never the broker's injection: the page
/// carries the injected marker header), `/style.css` is read from `root` on every request,
/// `/livereload.js` is the real livereload.js 2.2.1, `/beacon` records what the page reports.
///
/// `handle` runs on the page server's loop thread; tests read and wait from their own thread.
final class LiveReloadSite: RequestHandler, @unchecked Sendable {
    /// The folder `/style.css` comes from.
    let root: String
    private let condition = NSCondition()
    private var scriptSource = ""
    private var events: [BrowserEvent] = []
    private var gets: [String: Int] = [:]

    init(root: String) { self.root = root }

    // MARK: Test side

    /// The `src` of the page's LiveReload script.
    func setScript(_ src: String) { locked { scriptSource = src } }

    func requests(_ path: String) -> Int { locked { gets[path, default: 0] } }

    /// Waits (bounded) for a beacon matching `predicate`; throws with the beacons on timeout.
    @discardableResult
    func waitForEvent(_ what: String, timeout: TimeInterval = 20, _ predicate: (BrowserEvent) -> Bool) throws -> BrowserEvent {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let event = events.first(where: predicate) { return event }
            guard condition.wait(until: deadline) || Date() < deadline else {
                if let event = events.first(where: predicate) { return event }
                throw BrowserTestError(description: """
                    timed out after \(Int(timeout)) s waiting for \(what); GET counts \(gets.sorted { $0.key < $1.key }); beacons:
                    \(events.map(\.description).joined(separator: "\n"))
                    """)
            }
        }
    }

    /// Waits until load `n` has loaded and its client connected (livereload.js fired
    /// `LiveReloadConnect`, ours logged "[reload-broker] connected"); returns `loaded`.
    @discardableResult
    func waitConnected(load n: Int) throws -> BrowserEvent {
        let loaded = try waitForEvent("load \(n) loaded") { $0.load == n && $0.kind == "loaded" }
        try waitForEvent("load \(n)'s client connected") { event in
            let text = event["text"] ?? ""
            return event.load == n && event.kind == "log"
                && (text.hasPrefix("LiveReload is connected") || text == "[reload-broker] connected")
        }
        return loaded
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    // MARK: Loop side

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let head = request.head
        let count: Int = locked {
            gets[head.path, default: 0] += 1
            return gets[head.path, default: 0]
        }
        switch head.path {
        case "/beacon":
            let fields = TestSite.queryFields(head.query ?? "")
            locked {
                events.append(BrowserEvent(fields: fields))
                condition.broadcast()
            }
            responder.respond(ResponseHead(status: .noContent), body: [])
        case "/style.css":
            let css = (try? Data(contentsOf: URL(fileURLWithPath: root).appendingPathComponent("style.css"))) ?? Data()
            responder.respond(Self.head("text/css"), body: Array(css))
        case "/livereload.js":
            responder.respond(Self.head("text/javascript"), body: LiveReloadJS.bytes ?? [])
        case "/page":
            var head = Self.head("text/html; charset=utf-8")
            head.headers.add("X-Reload-Broker-Injected", "1")  // a plain dev server: no injection here
            responder.respond(head, body: Array(Self.html(load: count, script: locked { scriptSource }).utf8))
        default:
            var head = Self.head("text/plain")
            head.status = .notFound
            responder.respond(head, body: Array("not found\n".utf8))
        }
    }

    private static func head(_ type: String) -> ResponseHead {
        var head = ResponseHead(status: .ok)
        head.headers.add("Content-Type", type)
        head.headers.add("Cache-Control", "no-store")
        return head
    }

    /// Reports `loaded`, every console line and livereload.js's `LiveReloadConnect` (`log`), every WebSocket message (`message`), the body
    /// color whenever it changes (`color`, polled every 20 ms) and `quiet` 400 ms after the last
    /// message; each beacon carries `n` (the load the server rendered) and `id` (random per load).
    static func html(load: Int, script: String) -> String {
        """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>page #\(load)</title>
        <link rel="stylesheet" href="/style.css">
        <script>
        (function () {
          const n = \(load), id = Math.random().toString(36).slice(2);
          let seen = 0, quiet = 0, color = '';
          const beacon = (event, extra) => navigator.sendBeacon('/beacon?' + new URLSearchParams(
            Object.assign({ event, n: String(n), id, seen: String(seen), color }, extra || {})));
          for (const level of ['log', 'info']) {
            const original = console[level];
            console[level] = function (...args) { original.apply(console, args); beacon('log', { text: String(args[0]) }); };
          }
          const WS = window.WebSocket;
          window.WebSocket = class extends WS {
            constructor(url, protocols) {
              super(url, protocols);
              this.addEventListener('message', e => {
                seen++;
                beacon('message', { text: String(e.data) });
                clearTimeout(quiet);
                quiet = setTimeout(() => beacon('quiet'), 400);
              });
            }
          };
          // livereload.js logs only with LR-verbose in the URL; it fires this event on connecting.
          document.addEventListener('LiveReloadConnect', () => beacon('log', { text: 'LiveReload is connected' }));
          document.addEventListener('DOMContentLoaded', () => {
            beacon('loaded');
            const poll = () => {
              const now = getComputedStyle(document.body).color;
              if (now !== color) color = now, beacon('color');
            };
            poll();
            setInterval(poll, 20);
          });
        })();
        </script>
        <script src="\(script)"></script>
        </head>
        <body><h1>page</h1></body></html>
        """
    }
}
