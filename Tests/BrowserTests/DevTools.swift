#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// A Chrome DevTools Protocol session on a browser's page (tests only), with the Network domain
/// on: it sees every document the page loads from then on, with the HTTP status the browser got.
///
/// Events wait in the socket until a command's answer or ``waitForEvent(_:timeout:)`` reads them,
/// so no thread reads in the background. Every read is bounded by a deadline.
final class DevToolsPage {
    /// One main-document load the browser saw: its URL and status, or the network error.
    struct Document: Equatable, CustomStringConvertible {
        var url: String
        var status: Int?
        var error: String?

        var description: String { "\(status.map(String.init) ?? "failed: \(error ?? "?")") \(url)" }
    }

    private let socket: TestWebSocket
    private var nextID = 0
    private var loaded: [Document] = []
    /// Events read but not awaited yet (other than the Network ones, which go to `loaded`).
    private var pending: [(method: String, params: [String: Any])] = []

    /// Attaches to the (only) page of `browser`. Call it once the page has loaded: Chromium
    /// writes `DevToolsActivePort` into the profile at startup, before it loads the page.
    init(_ browser: Chromium) throws {
        let portFile = browser.profile.appendingPathComponent("DevToolsActivePort")
        guard let text = try? String(contentsOf: portFile, encoding: .utf8),
            let port = Int(text.split(separator: "\n").first ?? "")
        else {
            throw BrowserTestError(description: "no DevToolsActivePort in the browser's profile")
        }
        let list = try httpRequest(port: port, path: "/json/list")
        let targets = try JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]] ?? []
        guard let page = targets.first(where: { $0["type"] as? String == "page" }),
            let url = page["webSocketDebuggerUrl"] as? String,
            let range = url.firstRange(of: "/devtools/")
        else {
            throw BrowserTestError(description: "no page target in \(list.text)")
        }
        // No Origin header: Chromium accepts DevTools connections without one.
        socket = try TestWebSocket(port: port, path: String(url[range.lowerBound...]), origin: nil)
        _ = try call("Network.enable")
    }

    /// Every main-document load since attaching, in order (reads the events that arrived so far),
    /// and the page's current `document.title`.
    func documents() throws -> (loads: [Document], title: String) {
        let title = try evaluate("document.title") as? String ?? ""
        return (loaded, title)
    }

    /// The value of `expression` in the page (JSON-able values only). It runs on the page's main
    /// thread: it does not answer while the page waits for a dialog.
    func evaluate(_ expression: String) throws -> Any? {
        let array = try JSONSerialization.data(withJSONObject: [expression])  // ["…"]: a JSON string inside
        let quoted = String(decoding: array, as: UTF8.self).dropFirst().dropLast()
        let answer = try call("Runtime.evaluate", #"{"expression":\#(quoted),"returnByValue":true}"#)
        let result = answer["result"] as? [String: Any]
        if let exception = result?["exceptionDetails"] {
            throw BrowserTestError(description: "evaluating \(expression) threw: \(exception)")
        }
        return (result?["result"] as? [String: Any])?["value"]
    }

    /// Waits (bounded by the call's timeout) for the promise `expression` makes, and returns its value.
    func evaluateAwaitingPromise(_ expression: String) throws -> Any? {
        let array = try JSONSerialization.data(withJSONObject: [expression])
        let quoted = String(decoding: array, as: UTF8.self).dropFirst().dropLast()
        let answer = try call("Runtime.evaluate", #"{"expression":\#(quoted),"returnByValue":true,"awaitPromise":true}"#)
        let result = answer["result"] as? [String: Any]
        if let exception = result?["exceptionDetails"] {
            throw BrowserTestError(description: "evaluating \(expression) threw: \(exception)")
        }
        return (result?["result"] as? [String: Any])?["value"]
    }

    /// Turns on the Page domain: from then on JavaScript dialogs (also `beforeunload`) are reported
    /// as `Page.javascriptDialogOpening` and stay open until ``answerDialog(accept:)``.
    func enablePageEvents() throws { _ = try call("Page.enable") }

    /// A left click at (`x`, `y`) as from the user: gives the page a user activation.
    func click(x: Int, y: Int) throws {
        for type in ["mousePressed", "mouseReleased"] {
            _ = try call(
                "Input.dispatchMouseEvent", #"{"type":"\#(type)","x":\#(x),"y":\#(y),"button":"left","clickCount":1}"#)
        }
    }

    /// Answers the open JavaScript dialog: `accept: false` is "Cancel" (for `beforeunload`: "Stay on page").
    func answerDialog(accept: Bool) throws {
        _ = try call("Page.handleJavaScriptDialog", #"{"accept":\#(accept)}"#)
    }

    /// Waits (bounded by `timeout`) for the first not yet awaited event `method`; returns its params.
    @discardableResult
    func waitForEvent(_ method: String, timeout: Duration = .seconds(15)) throws -> [String: Any] {
        if let index = pending.firstIndex(where: { $0.method == method }) {
            return pending.remove(at: index).params
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let message = try nextMessage(until: deadline, waitingFor: "the event \(method)")
            if message["id"] != nil { continue }  // the answer to an abandoned command
            if message["method"] as? String == method { return message["params"] as? [String: Any] ?? [:] }
            record(message)
        }
    }

    /// Sends a command; records the events that come before its answer and returns the answer.
    private func call(_ method: String, _ parameters: String = "{}", timeout: Duration = .seconds(15)) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        try socket.sendText(#"{"id":\#(id),"method":"\#(method)","params":\#(parameters)}"#)
        let deadline = ContinuousClock.now + timeout
        while true {
            let message = try nextMessage(until: deadline, waitingFor: "the answer to \(method)")
            if message["id"] as? Int == id {
                if let error = message["error"] {
                    throw BrowserTestError(description: "DevTools \(method) failed: \(error)")
                }
                return message
            }
            record(message)
        }
    }

    /// The next message (a JSON object) that comes before `deadline`.
    private func nextMessage(until deadline: ContinuousClock.Instant, waitingFor what: String) throws -> [String: Any] {
        while true {
            let left = deadline - ContinuousClock.now
            let text: String
            do {
                guard left > .zero else { throw BrowserTestError(description: "out of time") }
                text = try socket.nextText(timeout: left)
            } catch {
                throw BrowserTestError(
                    description: "DevTools: waiting for \(what): \(error); events not awaited: \(pending.map(\.method))")
            }
            if let message = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] { return message }
        }
    }

    private func record(_ message: [String: Any]) {
        guard let method = message["method"] as? String else { return }
        let params = message["params"] as? [String: Any] ?? [:]
        guard method.hasPrefix("Network.") else {
            pending.append((method, params))
            return
        }
        guard params["type"] as? String == "Document" else { return }
        switch method {
        case "Network.responseReceived":
            let response = params["response"] as? [String: Any] ?? [:]
            loaded.append(Document(url: response["url"] as? String ?? "", status: response["status"] as? Int))
        case "Network.loadingFailed":
            loaded.append(Document(url: "", error: params["errorText"] as? String ?? ""))
        default:
            break
        }
    }
}
