/// An ordered list of header fields, names kept exactly as sent or given.
///
/// Order and duplicates are preserved because HTTP gives meaning to both: repeated fields form a
/// comma-separated list (RFC 9110 §5.3) and some fields (`Set-Cookie`) must never be combined.
/// Lookups compare names ASCII case-insensitively (RFC 9110 §5.1). Equality (`==`) is exact:
/// same names with the same spelling, same values, same order.
///
/// Not enforced: names and values added through the API are not validated. The response writer
/// only neutralises CR, LF and NUL when serializing (see ``ResponseHead/serialized()``).
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)
    public typealias Iterator = IndexingIterator<[Element]>

    @usableFromInline
    var fields: [Element]

    /// No fields.
    public init() {
        fields = []
    }

    /// Fields in the given order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// Fields in the literal's order (duplicates allowed, unlike a dictionary).
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// Internal: adopt already-built storage (the parser reserves exactly what it needs).
    init(fields: [Element]) {
        self.fields = fields
    }

    /// The value of the first field named `name` (ASCII case-insensitive), nil if absent.
    ///
    /// For list-valued fields prefer ``values(_:)`` or ``containsToken(_:in:)``: a recipient may
    /// receive a list split across several lines (RFC 9110 §5.3).
    public subscript(_ name: String) -> String? {
        for field in fields where ASCII.equalsIgnoringCase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// Every value of fields named `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { ASCII.equalsIgnoringCase($0.name, name) ? $0.value : nil }
    }

    /// Whether at least one field named `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Whether `token` is an element of the comma-separated list formed by all fields named `name`.
    ///
    /// This is the list rule of RFC 9110 §5.6.1: elements are trimmed of OWS, empty elements are
    /// ignored, and the comparison is ASCII case-insensitive (`Connection: keep-alive, Upgrade`
    /// contains `upgrade`). Not handled: quoted strings containing commas and parameters
    /// (`gzip;q=0`) — an element is compared whole, which is right for `Connection`, `Upgrade`
    /// and `Transfer-Encoding` as used here.
    public func containsToken(_ token: String, in name: String) -> Bool {
        for field in fields where ASCII.equalsIgnoringCase(field.name, name) {
            if Self.list(field.value, containsToken: token) { return true }
        }
        return false
    }

    /// Appends a field, keeping any existing ones of that name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field named `name` and appends a single one.
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        remove(name)
        fields.append((name: name, value: value))
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Number of fields (not of distinct names).
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> Iterator {
        fields.makeIterator()
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Scans one comma-separated field value for `token` without allocating.
    static func list(_ value: String, containsToken token: String) -> Bool {
        let bytes = value.utf8
        let wanted = token.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            // One element: from `index` up to the next comma or the end.
            var end = index
            while end < bytes.endIndex && bytes[end] != ASCII.comma {
                end = bytes.index(after: end)
            }
            var lo = index
            var hi = end
            while lo < hi && ASCII.isWhitespace(bytes[lo]) { lo = bytes.index(after: lo) }
            while lo < hi && ASCII.isWhitespace(bytes[bytes.index(before: hi)]) {
                hi = bytes.index(before: hi)
            }
            if lo < hi && bytes[lo..<hi].elementsEqual(wanted, by: { ASCII.lower($0) == ASCII.lower($1) }) {
                return true
            }
            index = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return false
    }
}

extension HTTPHeaders {
    /// One `name: value\r\n` per field in order, then the empty line ending a head (RFC 9112 §5),
    /// CR, LF and NUL written as SP (see ``ResponseHead/serialized()``).
    func write(into bytes: inout [UInt8]) {
        for field in fields {
            bytes.appendSanitized(field.name)
            bytes.append(ASCII.colon)
            bytes.append(ASCII.sp)
            bytes.appendSanitized(field.value)
            bytes.append(ASCII.cr)
            bytes.append(ASCII.lf)
        }
        bytes.append(ASCII.cr)
        bytes.append(ASCII.lf)
    }

    /// The size of what ``write(into:)`` appends.
    var serializedSize: Int {
        var size = 2
        for field in fields { size += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        return size
    }
}
