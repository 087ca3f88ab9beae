import FoundationEssentials
import HTTPCodec

/// The arguments of a tiny-lr API request (`/changed`'s `files`, `/alert`'s `message`), parsed
/// from a JSON body, a form body or the query, as tiny-lr takes them. Pure: no I/O.
///
/// - JSON: `{"files":["a.css","b.js"]}` or `{"files":"a.css,b.js"}`; `{"message":"…"}`. Tried
///   first whatever the `Content-Type` (`curl -d '{…}'` labels JSON as a form).
/// - Form body or query: `files=a.css,b.js`, `files=a.css&files=b.js`, `files[]=…`; `message=…`.
/// - A `files` string splits on commas and whitespace (names in a JSON list stay whole); empty
///   names are dropped.
/// - The body's fields win; the query fills in what the body lacks.
struct TinyLRRequest: Equatable {
    var files: [String] = []
    var message: String?

    /// More files than this in one request is refused (a watcher's batch is far smaller).
    static let maxFiles = 1000

    enum ParseResult: Equatable {
        case parsed(TinyLRRequest)
        /// Why the request is malformed, in a sentence for the 400 body.
        case invalid(String)
    }

    static func parse(query: String?, contentType: String?, body: [UInt8]) -> ParseResult {
        var request = TinyLRRequest()
        if !body.isEmpty {
            let type = contentType?.lowercased() ?? ""
            let firstByte = body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            if firstByte == UInt8(ascii: "{") || type.hasPrefix("application/json") {
                guard let json = try? JSONDecoder().decode(JSONBody.self, from: Data(body)) else {
                    return .invalid(#"The body is not a JSON object such as {"files":["style.css"]}."#)
                }
                request.files = json.files ?? []
                request.message = json.message
            } else {
                let fields = formFields(String(decoding: body, as: UTF8.self))
                request.files = fields.files
                request.message = fields.message
            }
        }
        let fromQuery = formFields(query ?? "")
        if request.files.isEmpty { request.files = fromQuery.files }
        if request.message == nil { request.message = fromQuery.message }
        guard request.files.count <= maxFiles else {
            return .invalid("Too many files (\(request.files.count)); send at most \(maxFiles) per request.")
        }
        return .parsed(request)
    }

    /// `a.css, b.js  c.png` → `["a.css", "b.js", "c.png"]`.
    static func splitFiles(_ text: String) -> [String] {
        text.split(whereSeparator: { (character: Character) in character == "," || character.isWhitespace }).map(String.init)
    }

    /// `files` and `message` of `application/x-www-form-urlencoded` text (a body or a query).
    private static func formFields(_ text: String) -> (files: [String], message: String?) {
        var files: [String] = []
        var message: String?
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.decodeFormValue(parts[0])
            let value = parts.count > 1 ? PercentEncoding.decodeFormValue(parts[1]) : ""
            switch name {
            case "files", "files[]": files += splitFiles(value)
            case "message": message = message ?? value
            default: continue
            }
        }
        return (files, message)
    }

    private struct JSONBody: Decodable {
        var files: [String]?
        var message: String?

        enum CodingKeys: String, CodingKey { case files, message }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let list = try? container.decode([String].self, forKey: .files) {
                files = list.filter { !$0.isEmpty }  // names in a list are kept whole
            } else if let text = try? container.decode(String.self, forKey: .files) {
                files = TinyLRRequest.splitFiles(text)
            }
            message = try? container.decodeIfPresent(String.self, forKey: .message)
        }
    }
}
