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
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<": result += "\\u003c"  // safe inside HTML too
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
