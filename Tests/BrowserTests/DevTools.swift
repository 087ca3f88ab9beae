#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// A Chrome DevTools Protocol session on a browser's page (tests only), with the Network domain
/// on: it sees every document the page loads from then on, with the HTTP status the browser got.
///
/// Events wait in the socket until ``documents()`` reads them (up to the answer of a command sent
/// then), so no thread reads in the background.
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
        let answer = try call("Runtime.evaluate", #"{"expression":"document.title","returnByValue":true}"#)
        let result = (answer["result"] as? [String: Any])?["result"] as? [String: Any]
        return (loaded, result?["value"] as? String ?? "")
    }

    /// Sends a command; records the events that come before its answer and returns the answer.
    private func call(_ method: String, _ parameters: String = "{}") throws -> [String: Any] {
        nextID += 1
        let id = nextID
        try socket.sendText(#"{"id":\#(id),"method":"\#(method)","params":\#(parameters)}"#)
        while true {
            let text = try socket.nextText()
            guard let message = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
            if message["id"] as? Int == id {
                if let error = message["error"] {
                    throw BrowserTestError(description: "DevTools \(method) failed: \(error)")
                }
                return message
            }
            record(message)
        }
    }

    private func record(_ message: [String: Any]) {
        guard let params = message["params"] as? [String: Any], params["type"] as? String == "Document" else { return }
        switch message["method"] as? String {
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
