/// The bodies both frameworks' tests serve, and what the injected page must look like.
public enum Fixtures {
    /// A whole page; the tag goes right before `</head>`.
    public static let pageHead = "<!doctype html><html><head><title>fixture</title>"
    public static let pageTail = "</head><body><p>hello</p></body></html>"
    public static var page: String { pageHead + pageTail }

    /// A page in pieces that split the `</head>` tag, so the injector must hold a few bytes back.
    public static let streamedPieces = [
        "<!doctype html><html><head><title>streamed</title></he", "ad><body>", "<p>one</p>", "<p>two</p></body></html>",
    ]
    public static var streamedHead: String { "<!doctype html><html><head><title>streamed</title>" }
    public static var streamedTail: String { "</head><body><p>one</p><p>two</p></body></html>" }

    /// JSON that mentions `</head>`: it must pass untouched all the same.
    public static let json = #"{"html":"<html><head></head></html>","n":1}"#

    /// Bytes of every value (a binary download).
    public static let binary: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// A page that already carries the client (e.g. rendered by a template that has the tag).
    public static let alreadyTagged =
        #"<html><head><script src="/__reload/client.js" data-reload-broker></script></head><body></body></html>"#

    /// "Compressed" page bytes (the middleware must not touch a body with a Content-Encoding).
    public static let gzipBytes: [UInt8] = [0x1f, 0x8b, 0x08, 0x00] + Array("<head></head>".utf8)

    /// How often the client's marker attribute occurs in `text`.
    public static func tagCount(_ text: String) -> Int {
        text.split(separator: "data-reload-broker", omittingEmptySubsequences: false).count - 1
    }
}
