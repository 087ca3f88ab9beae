import Foundation
import HTTPCodec
import ReloadBroker

/// One beacon a page sent: its query fields (`event`, `page`, `n` = the server-side load number
/// the page was rendered as, `id` = a random id made at load, `state` = the input's value, …).
struct BrowserEvent: CustomStringConvertible {
    var fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }
    var kind: String { fields["event"] ?? "" }
    var page: String { fields["page"] ?? "" }
    var load: Int { Int(fields["n"] ?? "") ?? 0 }
    /// Broker messages this page load had received when it sent the beacon.
    var seen: Int { Int(fields["seen"] ?? "") ?? 0 }

    var description: String {
        let first = ["page", "n", "event", "text"]
        let rest = fields.keys.filter { !first.contains($0) }.sorted()
        return (first + rest).compactMap { key in fields[key].map { "\(key)=\($0)" } }.joined(separator: " ")
    }
}

/// The test site the broker serves as its fallback: instrumented HTML pages (which the broker
/// injects the client into), `/site.css` (color switchable), `/slow.js` (held until `/release`
/// when asked) and `/beacon` (records what pages report). Counts every GET by path.
///
/// `handle` runs on the broker's loop thread; the tests read and wait from their own thread.
/// All mutable state is guarded by `condition`; the held responder is only used on the loop thread.
final class TestSite: RequestHandler, @unchecked Sendable {
    struct Page {
        /// Opens this path in a new tab (window.open) on the page's first load only.
        var opens: String?
        /// A blocking `<script src="/slow.js">` in the head, before the injected client.
        var slowScript = false
        /// A `beforeunload` handler that asks for confirmation ("Leave site?"), `window.confirmLeaving`
        /// (remove it with `removeEventListener('beforeunload', confirmLeaving)`). Chromium shows the
        /// dialog only once the page had a user activation.
        var confirmsLeaving = false
    }

    private let pages: [String: Page]
    private let condition = NSCondition()
    private var events: [BrowserEvent] = []
    private var gets: [String: Int] = [:]
    private var color = "rgb(255, 0, 0)"
    private var holdsSlowScript = false
    private var heldSlowScript: HTTPResponder?

    init(pages: [String: Page]) { self.pages = pages }

    // MARK: Test side

    /// GET requests of `path` so far (for a page: how many times it was loaded).
    func requests(_ path: String) -> Int { locked { gets[path, default: 0] } }

    /// The color `/site.css` gives `body` from now on.
    func setColor(_ value: String) { locked { color = value } }

    /// Makes the next `/slow.js` request wait until a `GET /release`.
    func holdNextSlowScript() { locked { holdsSlowScript = true } }

    /// The beacons so far that match `predicate`, in arrival order.
    func events(where predicate: (BrowserEvent) -> Bool) -> [BrowserEvent] { locked { events.filter(predicate) } }

    /// Every beacon so far, one per line (for failure messages).
    var eventLog: String { locked { events.map(\.description).joined(separator: "\n") } }

    /// Waits (bounded) for a beacon matching `predicate`; throws with the event log on timeout.
    @discardableResult
    func waitForEvent(
        _ what: String, timeout: Duration = .seconds(20), _ predicate: (BrowserEvent) -> Bool
    ) throws -> BrowserEvent {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let event = events.first(where: predicate) { return event }
            guard condition.wait(until: deadline) || Date() < deadline else {
                if let event = events.first(where: predicate) { return event }
                throw BrowserTestError(description: """
                    timed out after \(timeout) waiting for \(what); GET counts \(gets.sorted { $0.key < $1.key }); \
                    beacons:
                    \(events.map(\.description).joined(separator: "\n"))
                    """)
            }
        }
    }

    /// Waits until load `n` of `page` has loaded, its client got the broker's hello (the client
    /// logged "connected"), and it then stayed 400 ms without navigating after its last broker
    /// message: the client reloads on the first word, so a reload that message decided would have
    /// unloaded the page long before and this `quiet` beacon would never come.
    /// Returns the page's `loaded` beacon.
    @discardableResult
    func waitSettled(_ page: String, load n: Int, timeout: Duration = .seconds(20)) throws -> BrowserEvent {
        let loaded = try waitForEvent("\(page) load \(n) loaded", timeout: timeout) {
            $0.page == page && $0.load == n && $0.kind == "loaded"
        }
        try waitForEvent("\(page) load \(n) connected", timeout: timeout) {
            $0.page == page && $0.load == n && $0.kind == "log" && $0["text"] == "connected"
        }
        try waitForEvent("\(page) load \(n) quiet after the hello", timeout: timeout) {
            $0.page == page && $0.load == n && $0.kind == "quiet" && $0.seen >= 1
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
        let path = head.path
        let count: Int = locked {
            guard head.method == "GET" else { return 0 }
            gets[path, default: 0] += 1
            return gets[path, default: 0]
        }
        switch path {
        case "/beacon":
            record(Self.queryFields(head.query ?? ""))
            responder.respond(ResponseHead(status: .noContent), body: [])
        case "/site.css":
            let css = "body { color: \(locked { color }); }\n"
            responder.respond(Self.head(type: "text/css"), body: Array(css.utf8))
        case "/slow.js":
            let hold: Bool = locked {
                defer { holdsSlowScript = false }
                return holdsSlowScript
            }
            if hold {
                locked { heldSlowScript = responder }
                record(["event": "slow.js held"])
            } else {
                responder.respond(Self.head(type: "text/javascript"), body: Array("/* slow.js */\n".utf8))
            }
        case "/release":
            let held: HTTPResponder? = locked {
                defer { heldSlowScript = nil }
                return heldSlowScript
            }
            held?.respond(Self.head(type: "text/javascript"), body: Array("/* slow.js, released */\n".utf8))
            responder.respond(Self.head(type: "text/plain"), body: Array((held == nil ? "nothing held\n" : "released\n").utf8))
        default:
            guard head.method == "GET", let page = pages[path] else {
                responder.respond(Self.head(type: "text/plain", status: .notFound), body: Array("not found\n".utf8))
                return
            }
            let html = Self.html(path: path, load: count, page: page)
            responder.respond(Self.head(type: "text/html; charset=utf-8"), body: Array(html.utf8))
        }
    }

    private func record(_ fields: [String: String]) {
        locked {
            events.append(BrowserEvent(fields: fields))
            condition.broadcast()
        }
    }

    private static func head(type: String, status: HTTPStatus = .ok) -> ResponseHead {
        var head = ResponseHead(status: status)
        head.headers.add("Content-Type", type)
        head.headers.add("Cache-Control", "no-store")
        return head
    }

    /// `a=1&b=x+y%21` → ["a": "1", "b": "x y!"].
    static func queryFields(_ query: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = formDecoded(parts[0])
            fields[name] = parts.count > 1 ? formDecoded(parts[1]) : ""
        }
        return fields
    }

    private static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// A page that reports to `/beacon`: `loaded` (with the instance and epoch of the injected
    /// client tag), every broker message its client receives (`message`, seen through the
    /// WebSocket or the SharedWorker port the client creates), the client's console lines (`log`:
    /// connected, reloading, …), the body color whenever it changes (polled every 20 ms), and
    /// `quiet` 400 ms after the last broker message. Every beacon carries `n` (the load number the
    /// server rendered), `id` (random per load) and `state` (an input's value, set to `id` at load).
    /// With `confirmsLeaving`, a `beforeunload` handler asks for confirmation.
    ///
    /// The page must not contain the text `data-reload-broker` before `</head>`: the injector
    /// takes it as "already injected" and leaves the page without the client.
    static func html(path: String, load: Int, page: Page) -> String {
        let opens = page.opens.map { load == 1 ? "window.open('\($0)');" : "" } ?? ""
        let slow = page.slowScript ? #"<script src="/slow.js"></script>"# : ""
        let confirm =
            page.confirmsLeaving
            ? "window.confirmLeaving = e => { e.preventDefault(); e.returnValue = ''; };\n"
                + "addEventListener('beforeunload', confirmLeaving);"
            : ""
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(path) #\(load)</title>
            <link rel="stylesheet" href="/site.css">
            <script>
            (function () {
              const n = \(load), id = Math.random().toString(36).slice(2), page = location.pathname;
              let seen = 0, quiet = 0, color = '';
              const beacon = (event, extra) => {
                const input = document.getElementById('state');
                const q = new URLSearchParams(Object.assign({ event, page, n: String(n), id, seen: String(seen),
                  state: input ? input.value : '', color }, extra || {}));
                navigator.sendBeacon('/beacon?' + q);
              };
              const info = console.info;
              console.info = function (...args) {
                info.apply(console, args);
                const s = String(args[0]);
                if (s.startsWith('[reload-broker] ')) beacon('log', { text: s.slice(16) });
              };
              const received = text => {
                seen++;
                beacon('message', { text });
                clearTimeout(quiet);
                quiet = setTimeout(() => beacon('quiet'), 400);
              };
              const SW = window.SharedWorker;
              if (SW) window.SharedWorker = class extends SW {
                constructor(url, options) {
                  super(url, options);
                  this.port.addEventListener('message', e => { if (e.data && typeof e.data.text === 'string') received(e.data.text); });
                }
              };
              const WS = window.WebSocket;
              window.WebSocket = class extends WS {
                constructor(url, protocols) {
                  super(url, protocols);
                  this.addEventListener('message', e => { if (typeof e.data === 'string') received(e.data); });
                }
              };
              document.addEventListener('DOMContentLoaded', () => {
                document.getElementById('state').value = id;
                const tag = document.querySelector('script[data-instance]');
                beacon('loaded', { instance: tag ? tag.dataset.instance : '', epoch: tag ? tag.dataset.epoch : '',
                  visibility: document.visibilityState, sharedWorker: String(!!SW) });
                const poll = () => {
                  const now = getComputedStyle(document.body).color;
                  if (now !== color) color = now, beacon('color');
                };
                poll();
                setInterval(poll, 20);
                \(opens)
              });
            })();
            \(confirm)
            </script>
            \(slow)
            </head>
            <body><h1>\(path)</h1><input id="state"></body></html>
            """
    }
}
