/// What brokers publish on the cluster channel, as text:
///
/// ```
/// 42 8c1f09ab… reload
/// 43 8c1f09ab… css /styles/site.css
/// ```
/// the cluster epoch (set by the publish script), the publishing broker's instance id, and what
/// to do. Pure; ``parse(_:)`` refuses anything else (a foreign publisher on the channel or a
/// hostile Redis gets its message dropped, never a crash).
struct ClusterMessage: Equatable {
    /// Epochs stay exact in Lua's doubles and in JavaScript.
    static let maxEpoch = 1 << 53 - 1
    static let maxPathBytes = 2048
    static let maxBytes = 4096

    var epoch: Int
    var origin: String
    var path: String?

    /// The part after the epoch, which the publish script prepends.
    static func payload(origin: String, path: String?) -> String {
        guard let path, BrokerCore.isStylesheet(path) else { return "\(origin) reload" }
        return "\(origin) css \(path)"
    }

    static func parse(_ bytes: [UInt8]) -> ClusterMessage? {
        guard bytes.count <= maxBytes, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let epoch = parseEpoch(parts[0]), isInstanceID(parts[1]) else { return nil }
        switch parts[2] {
        case "reload" where parts.count == 3:
            return ClusterMessage(epoch: epoch, origin: String(parts[1]), path: nil)
        case "css" where parts.count == 4:
            let path = parts[3]
            guard !path.isEmpty, path.utf8.count <= maxPathBytes, BrokerCore.isStylesheet(String(path)),
                path.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { return nil }
            return ClusterMessage(epoch: epoch, origin: String(parts[1]), path: String(path))
        default:
            return nil
        }
    }

    /// A decimal epoch from 1 to ``maxEpoch`` (no sign, no exponent, no leading zeros).
    static func parseEpoch(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 16, text.first != "0", text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(text), value <= maxEpoch
        else { return nil }
        return value
    }

    private static func isInstanceID(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 45 }
    }
}
