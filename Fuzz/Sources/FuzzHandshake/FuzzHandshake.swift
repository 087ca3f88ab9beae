import FuzzCommon
import HTTPCodec
import WebSocketCodec

// WebSocket handshake evaluation (server side).
// Input: an HTTP request head (parsed with HTTPRequestParser; inputs it refuses are still
// evaluated as a head built line by line, so the fuzzer is not limited to what the parser accepts).
// Invariants: never crashes; `.upgrade` only for GET HTTP/1.1 with Upgrade: websocket,
// Connection: upgrade, exactly one Sec-WebSocket-Version of 13 and exactly one Sec-WebSocket-Key that
// is 24 base64 characters ending in "==" (16 bytes), and its accept value equals
// acceptValue(forKey:) of the trimmed key; the client-side check accepts that answer; a refusal
// is 400, 405 or 426 and closes. No serialized answer contains a CR or LF outside line ends.

let base64Alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

func trimmed(_ value: String) -> String {
    var view = Substring(value)
    while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
    while let last = view.last, last == " " || last == "\t" { view.removeLast() }
    return String(view)
}

/// A head from raw lines, without the parser's validation (names and values as given).
func looseHead(_ bytes: [UInt8]) -> RequestHead {
    let text = String(decoding: bytes, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.hasSuffix("\r") ? $0.dropLast() : $0
    }
    let requestLine = lines.isEmpty ? [] : lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
    let method = requestLine.first.map(String.init) ?? ""
    let target = requestLine.dropFirst().first.map(String.init) ?? "/"
    let version: HTTPVersion = requestLine.last == "HTTP/1.0" ? .http1_0 : .http1_1
    var headers = HTTPHeaders()
    for line in lines {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]))
    }
    return RequestHead(method: method, target: target, version: version, headers: headers)
}

func check(_ head: RequestHead) {
    let decision = WebSocketHandshake.evaluate(head)
    let isUpgrade = WebSocketHandshake.isUpgradeRequest(head)
    switch decision {
    case .upgrade(let response):
        let keys = head.headers.values("Sec-WebSocket-Key")
        guard keys.count == 1 else { violated("upgrade with \(keys.count) keys") }
        let key = trimmed(keys[0])
        let characters = Array(key.utf8)
        guard characters.count == 24, characters[22] == UInt8(ascii: "="), characters[23] == UInt8(ascii: "="),
            characters[..<22].allSatisfy({ base64Alphabet.contains($0) })
        else { violated("upgrade with a key that is not base64 of 16 bytes: \(key)") }
        guard head.method == "GET", head.version == .http1_1 else { violated("upgrade of \(head.method) \(head.version)") }
        guard isUpgrade, head.headers.containsToken("upgrade", in: "Connection") else {
            violated("upgrade without Upgrade/Connection tokens")
        }
        let versions = head.headers.values("Sec-WebSocket-Version")
        guard versions.count == 1, trimmed(versions[0]) == "13" else { violated("upgrade with versions \(versions)") }
        guard response.status.code == 101,
            response.headers.values("Sec-WebSocket-Accept") == [WebSocketHandshake.acceptValue(forKey: key)]
        else { violated("wrong accept value") }
        guard WebSocketHandshake.isValidUpgradeResponse(response, key: key) else {
            violated("client check refuses the server's answer")
        }
        checkSerialized(response)
    case .reject(let response, let reason):
        guard [400, 405, 426].contains(response.status.code) else { violated("refusal with \(response.status.code)") }
        guard response.headers.containsToken("close", in: "Connection"), response.headers["Content-Length"] == "0" else {
            violated("refusal that does not close: \(reason)")
        }
        checkSerialized(response)
    }
}

/// The head's bytes have CR and LF only as line ends, one line per field plus status and end.
func checkSerialized(_ response: ResponseHead) {
    let bytes = response.serialized()
    var lineEnds = 0
    for (index, byte) in bytes.enumerated() {
        if byte == 13 {
            guard index + 1 < bytes.count, bytes[index + 1] == 10 else { violated("bare CR in answer") }
        } else if byte == 10 {
            guard index > 0, bytes[index - 1] == 13 else { violated("bare LF in answer") }
            lineEnds += 1
        }
    }
    if lineEnds != response.headers.count + 2 { violated("answer has injected lines") }
}

func testOneInput(_ input: [UInt8]) {
    var parser = HTTPRequestParser()
    parser.append(input)
    if let event = try? parser.nextEvent(), case .head(let head) = event {
        check(head)
    }
    check(looseHead(input))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(fuzzInput(data, size))
    return 0
}

@_cdecl("FuzzHandshake_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzerTestOneInput)
}
