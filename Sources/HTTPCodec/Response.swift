/// A response status line and header fields, ready to serialize.
public struct ResponseHead: Sendable, Equatable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var version: HTTPVersion

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], version: HTTPVersion = .http1_1) {
        self.status = status
        self.headers = headers
        self.version = version
    }

    /// `HTTP/1.1 200 OK\r\n`, one `name: value\r\n` per field in order, then `\r\n` (RFC 9112 §4, §5).
    ///
    /// Nothing is added or validated: framing headers are the caller's (or
    /// ``HTTPResponseWriter/serialize(_:body:)``'s) business. The one safeguard is against response
    /// splitting: CR, LF and NUL in the reason phrase, names or values are written as SP.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(estimatedSize)
        write(into: &bytes)
        return bytes
    }

    /// Upper-bound-ish size of the serialized head, to allocate once.
    var estimatedSize: Int {
        8 + 1 + 3 + 1 + status.reason.utf8.count + 2 + headers.serializedSize
    }

    func write(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: version.description.utf8)
        bytes.append(ASCII.sp)
        bytes.append(contentsOf: String(status.code).utf8)
        bytes.append(ASCII.sp)  // required even when the reason is empty (RFC 9112 §4)
        bytes.appendSanitized(status.reason)
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
        headers.write(into: &bytes)
    }
}

/// Builds complete response bytes. Stateless; the server writes the result as is.
public enum HTTPResponseWriter {
    /// Head plus body in one buffer; sets Content-Length from the body when the head has neither
    /// Content-Length nor Transfer-Encoding (and the status allows a body).
    ///
    /// Why: a response without framing would have to be delimited by closing the connection
    /// (RFC 9112 §6.3), which defeats keep-alive. For 1xx, 204 and 304 no Content-Length is added
    /// and `body` is not written, since those responses never have content (RFC 9110 §6.4.1).
    /// Not handled: HEAD requests (pass an empty body and set Content-Length yourself) and
    /// chunked encoding (a body given with `Transfer-Encoding` is written as is).
    public static func serialize(_ head: ResponseHead, body: [UInt8]) -> [UInt8] {
        var head = head
        let allowsBody = head.status.allowsBody
        if allowsBody && !head.headers.contains("Content-Length") && !head.headers.contains("Transfer-Encoding") {
            head.headers.add("Content-Length", String(body.count))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(head.estimatedSize + (allowsBody ? body.count : 0))
        head.write(into: &bytes)
        if allowsBody {
            bytes.append(contentsOf: body)
        }
        return bytes
    }

    /// A small complete error response (text/plain body = status line reason + optional detail +
    /// "\n", Connection: close) for parse errors and refusals.
    ///
    /// The body is `Reason\n`, or `Reason: detail\n` with a detail (the code when the reason is
    /// empty). Headers are Content-Type, Content-Length and Connection: close, then
    /// `extraHeaders` (e.g. `Allow` for 405, `Sec-WebSocket-Version` for 426); an extra header with
    /// the same name as a default replaces it, except Content-Length, which always matches the body.
    /// `Connection: close` because after a parse error the stream cannot be resynchronised
    /// (RFC 9112 §9.6); the server should close after writing this.
    public static func errorResponse(
        _ status: HTTPStatus, detail: String? = nil, extraHeaders: HTTPHeaders = [:]
    ) -> [UInt8] {
        var text = status.reason.isEmpty ? String(status.code) : status.reason
        if let detail, !detail.isEmpty {
            text += ": " + detail
        }
        text += "\n"
        // 1xx/204/304 cannot carry the text; they get only the connection header.
        let body: [UInt8] = status.allowsBody ? Array(text.utf8) : []

        var headers: HTTPHeaders = [:]
        if status.allowsBody {
            headers.add("Content-Type", "text/plain; charset=utf-8")
            headers.add("Content-Length", String(body.count))
        }
        headers.add("Connection", "close")
        for field in extraHeaders where !ASCII.equalsIgnoringCase(field.name, "Content-Length") {
            headers.remove(field.name)
        }
        for field in extraHeaders where !ASCII.equalsIgnoringCase(field.name, "Content-Length") {
            headers.add(field.name, field.value)
        }
        return serialize(ResponseHead(status: status, headers: headers), body: body)
    }
}
