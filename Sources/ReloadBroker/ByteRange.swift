/// What a `Range` request header asks of a file of a known size (RFC 9110 §14.2): the static
/// file handler serves one `bytes=` range and sends anything else whole. Pure.
enum ByteRange: Equatable {
    /// No range it serves (absent, several ranges, another unit, malformed): the whole file, 200.
    case whole
    /// No byte of the file is in the range: 416 with `Content-Range: bytes */SIZE`.
    case unsatisfiable
    /// These bytes, bounds inclusive: 206 with `Content-Range: bytes FIRST-LAST/SIZE`.
    case partial(ClosedRange<Int64>)

    /// Reads `header` (a `Range` value, nil when the request had none) against a file of `size` bytes:
    /// `bytes=FIRST-LAST` (LAST past the end is the end), `bytes=FIRST-` or `bytes=-SUFFIX` (the last
    /// SUFFIX bytes).
    init(header: String?, size: Int64) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else {
            self = .whole
            return
        }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else {
            self = .whole
            return
        }
        let first = Int64(spec[0]), last = Int64(spec[1])
        switch (spec[0].isEmpty, spec[1].isEmpty) {
        case (false, _):
            guard let first, first >= 0 else {
                self = .whole
                return
            }
            guard first < size else {
                self = .unsatisfiable
                return
            }
            let end = min(spec[1].isEmpty ? size - 1 : (last ?? -1), size - 1)
            self = end >= first ? .partial(first...end) : .whole
        case (true, false):
            guard let suffix = last, suffix > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(max(0, size - suffix)...(size - 1))
        case (true, true):
            self = .whole
        }
    }
}
