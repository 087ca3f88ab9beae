import HTTPCodec

/// The broker's tiny message protocol: JSON text frames, server to client.
///
/// ```
/// {"type":"hello","protocol":1,"instance":"8c1f…","epoch":12}   on open
/// {"type":"reload","epoch":13}                                  reload the page
/// {"type":"css","epoch":14,"path":"/styles/site.css"}           swap one stylesheet
/// {"type":"pong"}                                               answers {"type":"ping"}
/// ```
/// Every broadcast increments the epoch. A page knows the instance and epoch it
/// was rendered at (from its `<script>` tag); on hello it reloads once when the
/// instance differs (the broker restarted) or the epoch is past its own (a reload
/// happened while it loaded). Clients ignore unknown types.
enum Messages {
    static let protocolVersion = 1

    static func hello(instance: String, epoch: Int) -> String {
        #"{"type":"hello","protocol":\#(protocolVersion),"instance":"\#(instance)","epoch":\#(epoch)}"#
    }

    static func encode(_ broadcast: PendingBroadcast) -> String {
        switch broadcast {
        case .reload(let epoch):
            return #"{"type":"reload","epoch":\#(epoch)}"#
        case .css(let epoch, let path):
            return #"{"type":"css","epoch":\#(epoch),"path":"\#(jsonEscaped(path))"}"#
        }
    }

    static func describe(_ broadcast: PendingBroadcast) -> String {
        switch broadcast {
        case .reload: "reload"
        case .css(_, let path): "css \(path)"
        }
    }

    /// The tag injected into pages (the marker attribute `data-reload-broker` guards against double injection).
    static func scriptTag(prefix: String, instance: String, epoch: Int) -> String {
        #"<script src="\#(prefix)/client.js" data-reload-broker data-instance="\#(instance)" data-epoch="\#(epoch)" defer></script>"#
    }

    /// Escapes a string for a JSON string literal (RFC 8259 §7).
    static func jsonEscaped(_ value: String) -> String {
        jsonEscapes.escape(value)
    }

    /// RFC 8259 §7: `"`, `\\` and the control characters (the short forms where there are
    /// some), and `<` too, so a string is safe inside an HTML `<script>` as well.
    private static let jsonEscapes = ASCIIEscapes { byte in
        switch byte {
        case UInt8(ascii: "\""): #"\""#
        case UInt8(ascii: "\\"): #"\\"#
        case UInt8(ascii: "\n"): #"\n"#
        case UInt8(ascii: "\r"): #"\r"#
        case UInt8(ascii: "\t"): #"\t"#
        case UInt8(ascii: "<"): #"\u003c"#
        case 0..<0x20: #"\u00"# + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        default: nil
        }
    }
}
