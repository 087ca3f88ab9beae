import HTMLInjection
import HTTPCodec
import Logging
import UVLoop

/// Serves a folder: the `reload-broker serve --root DIR` handler; HTML pages get the client injected.
///
/// - Safe paths: the request path is percent-decoded one segment at a time; `..`, encoded
///   slashes or backslashes, NUL bytes, and hidden segments (`.git`, `.env`; `.well-known`
///   excepted) are refused, and the resolved real path (symbolic links followed) must stay
///   inside the root's real path. Refusals are 403 or 404 and logged.
/// - Directories answer with their `index.html` (`/dir` redirects to `/dir/`), or a listing.
/// - `Cache-Control: no-store` everywhere, and strong `ETag`s built from inode, size and the
///   nanosecond modification and change times, so two saves within one second never look
///   alike (one-second `Last-Modified` dates leave pages stale). HTML is always sent whole
///   (its injected tag carries the current epoch), other files answer `If-None-Match` with 304.
/// - Files are streamed in 64 KiB steps paced by the socket (never read whole), with single
///   byte ranges (`Range: bytes=a-b`) for media seeking.
public struct StaticFileHandler: RequestHandler {
    /// The folder served.
    public let root: String
    private let realRoot: String
    private let logger: Logger
    /// File names tried for a directory, in order.
    public var indexFiles = ["index.html", "index.htm"]
    /// HTML files up to this size are sent with a Content-Length (read whole); larger ones stream.
    static let wholeHTMLLimit: Int64 = 8 << 20

    /// Fails when `root` does not exist or is not a directory.
    public init(root: String, logger: Logger = Logger(label: "reload-broker.static")) throws(StaticFileError) {
        let real: String
        do throws(UVError) {
            real = try LocalFileSystem.realPath(root)
        } catch {
            throw .rootMissing(root)
        }
        guard (try? LocalFileSystem.info(real))?.isDirectory == true else { throw .rootNotDirectory(root) }
        self.root = root
        self.realRoot = real
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let head = request.head
        guard head.method == "GET" || head.method == "HEAD" else {
            var response = ResponseHead(status: .methodNotAllowed)
            response.headers.add("Allow", "GET, HEAD")
            send(.methodNotAllowed, "This server only reads files: use GET or HEAD.", head: response, responder)
            return
        }
        let segments: [String]
        switch Self.segments(of: head.path) {
        case .success(let decoded):
            segments = decoded
        case .failure(let refusal):
            logger.info("refused a path", metadata: ["path": "\(head.path)", "reason": "\(refusal.reason)"])
            send(refusal.status, refusal.reason, responder)
            return
        }
        let candidate = ([realRoot] + segments).joined(separator: "/")
        guard let real = try? LocalFileSystem.realPath(candidate), let info = try? LocalFileSystem.info(real) else {
            send(.notFound, "Not found: \(head.path)", responder)
            return
        }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            logger.info("refused a path that leaves the root", metadata: ["path": "\(head.path)", "target": "\(real)"])
            send(.forbidden, "Forbidden: \(head.path) leads outside the served folder.", responder)
            return
        }
        // A link inside the root may still point at a hidden file (`env -> .env`).
        let inside = real.dropFirst(realRoot.count).split(separator: "/")
        guard !inside.contains(where: { $0.hasPrefix(".") && $0 != ".well-known" }) else {
            logger.info("refused a path to a hidden file", metadata: ["path": "\(head.path)"])
            send(.notFound, "Not found: hidden files are not served.", responder)
            return
        }
        if info.isDirectory {
            guard head.path.hasSuffix("/") else {
                var response = ResponseHead(status: .movedPermanently)
                // Leading slashes collapsed: "//example.com" must not become a redirect to another
                // host (a protocol-relative URL); backslashes count, as browsers read them as "/".
                let local = "/" + head.path.drop { $0 == "/" || $0 == "\\" }
                response.headers.add("Location", local + "/" + (head.query.map { "?" + $0 } ?? ""))
                responder.respond(response, body: [])
                return
            }
            for index in indexFiles {
                if let indexInfo = try? LocalFileSystem.info(real + "/" + index), indexInfo.isRegularFile {
                    serveFile(real + "/" + index, request: head, responder)
                    return
                }
            }
            listDirectory(real, urlPath: head.path, responder)
            return
        }
        guard info.isRegularFile else {
            send(.forbidden, "Forbidden: \(head.path) is not a regular file.", responder)
            return
        }
        serveFile(real, request: head, responder)
    }

    // MARK: Files

    private func serveFile(_ path: String, request: RequestHead, _ responder: HTTPResponder) {
        let file: LocalFile
        do throws(UVError) {
            file = try LocalFile(path: path)
        } catch {
            send(error.isPermissionDenied ? .forbidden : .notFound, "Cannot read \(request.path): \(error.message).", responder)
            return
        }
        let type = MediaTypes.type(forPath: path)
        let etag = Self.etag(file.info)
        var response = ResponseHead(status: .ok)
        response.headers.add("Content-Type", type)
        response.headers.add("Cache-Control", "no-store")
        let isHTML = type.hasPrefix("text/html")
        if isHTML, file.info.size <= Self.wholeHTMLLimit {
            defer { file.close() }
            var body: [UInt8] = []
            do throws(UVError) {
                while true {
                    let chunk = try file.read()
                    if chunk.isEmpty { break }
                    body += chunk
                }
            } catch {
                send(.internalServerError, "Cannot read \(request.path): \(error.message).", responder)
                return
            }
            response.headers.add("ETag", etag)
            responder.respond(response, body: body)
            return
        }
        response.headers.add("ETag", etag)
        if !isHTML {
            response.headers.add("Accept-Ranges", "bytes")
            if let match = request.headers["If-None-Match"], Self.matches(match, etag) {
                file.close()
                var notModified = ResponseHead(status: .notModified)
                notModified.headers.add("ETag", etag)
                notModified.headers.add("Cache-Control", "no-store")
                responder.respond(notModified, body: [])
                return
            }
        }
        var remaining = file.info.size
        if !isHTML {
            switch ByteRange(header: request.headers["Range"], size: file.info.size) {
            case .partial(let bounds):
                response.status = HTTPStatus(code: 206)
                response.headers.add("Content-Range", "bytes \(bounds.lowerBound)-\(bounds.upperBound)/\(file.info.size)")
                file.offset = bounds.lowerBound
                remaining = bounds.upperBound - bounds.lowerBound + 1
            case .unsatisfiable:
                file.close()
                var unsatisfiable = ResponseHead(status: HTTPStatus(code: 416))
                unsatisfiable.headers.add("Content-Range", "bytes */\(file.info.size)")
                responder.respond(unsatisfiable, body: [])
                return
            case .whole:
                break  // not a single byte range we serve: the whole file
            }
        }
        if !isHTML { response.headers.add("Content-Length", String(remaining)) }
        responder.start(response)
        guard request.method != "HEAD" else {
            file.close()
            responder.finish()
            return
        }
        FileStreamer(file: file, remaining: remaining, responder: responder).pump()
    }

    /// A strong validator that changes with every save, even two within one second.
    static func etag(_ info: FileInfo) -> String {
        let parts = [UInt64(info.inode), UInt64(info.size), UInt64(bitPattern: info.modifiedNanoseconds), UInt64(bitPattern: info.changedNanoseconds)]
        return "\"" + parts.map { String($0, radix: 16) }.joined(separator: "-") + "\""
    }

    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
            let value = String(trimmed)
            return value == "*" || value == etag || value == "W/" + etag
        }
    }

    // MARK: Paths

    struct Refusal: Error {
        let status: HTTPStatus
        let reason: String
    }

    /// Decodes the URL path into file-system segments, refusing every way out of the root.
    static func segments(of path: String) -> Result<[String], Refusal> {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let bytes = PercentEncoding.decode(raw) else {
                return .failure(Refusal(status: .badRequest, reason: "Bad request: malformed percent-encoding in the path."))
            }
            if bytes.contains(0) || bytes.contains(UInt8(ascii: "/")) || bytes.contains(UInt8(ascii: "\\")) {
                return .failure(Refusal(status: .forbidden, reason: "Forbidden: the path contains a NUL, an encoded slash or a backslash."))
            }
            let segment = String(decoding: bytes, as: UTF8.self)
            if segment == "." { continue }
            if segment == ".." {
                return .failure(Refusal(status: .forbidden, reason: "Forbidden: the path climbs out with \"..\"."))
            }
            if segment.hasPrefix("."), segment != ".well-known" {
                return .failure(Refusal(status: .notFound, reason: "Not found: hidden files are not served."))
            }
            segments.append(segment)
        }
        return .success(segments)
    }


    // MARK: Answers

    private func listDirectory(_ real: String, urlPath: String, _ responder: HTTPResponder) {
        let entries = ((try? LocalFileSystem.list(real)) ?? [])
            .filter { !$0.name.hasPrefix(".") }
            .sorted { ($0.isDirectory ? 0 : 1, $0.name) < ($1.isDirectory ? 0 : 1, $1.name) }
        var html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of \(HTMLEscaping.escape(urlPath))</title></head>\n<body>\n<h1>Index of \(HTMLEscaping.escape(urlPath))</h1>\n<ul>\n"
        if urlPath != "/" { html += "<li><a href=\"../\">../</a></li>\n" }
        for entry in entries {
            let name = entry.name + (entry.isDirectory ? "/" : "")
            html += "<li><a href=\"\(HTMLEscaping.escape(Self.percentEncoded(entry.name)))\(entry.isDirectory ? "/" : "")\">\(HTMLEscaping.escape(name))</a></li>\n"
        }
        html += "</ul>\n</body></html>\n"
        var response = ResponseHead(status: .ok)
        response.headers.add("Content-Type", "text/html; charset=utf-8")
        response.headers.add("Cache-Control", "no-store")
        responder.respond(response, body: Array(html.utf8))
    }

    /// An error page: HTML, so it carries the client too (the page comes back when the file appears).
    private func send(_ status: HTTPStatus, _ message: String, head: ResponseHead? = nil, _ responder: HTTPResponder) {
        var response = head ?? ResponseHead(status: status)
        response.headers.replaceOrAdd("Content-Type", "text/html; charset=utf-8")
        response.headers.replaceOrAdd("Cache-Control", "no-store")
        let title = "\(status.code) \(status.reason)"
        let body = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(HTMLEscaping.escape(title))</title></head>\n<body><h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(message))</p></body></html>\n"
        responder.respond(response, body: Array(body.utf8))
    }


    static func percentEncoded(_ name: String) -> String {
        var result = ""
        for byte in name.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
                result.append(character)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
