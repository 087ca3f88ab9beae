/// An immutable, reference-counted byte buffer that can be written to many
/// connections at once without a copy per connection.
///
/// A broadcast encodes its WebSocket frame once into a `SharedBuffer`; every
/// connection's write that cannot complete at once keeps the buffer alive (by
/// retaining it) until libuv's write callback, so N clients cost one
/// allocation, not N.
public final class SharedBuffer: @unchecked Sendable {
    // @unchecked: the storage is written only in `init` and never again.
    let storage: UnsafeMutableRawBufferPointer

    public init(_ bytes: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, source.count > 0 {
                storage.baseAddress!.copyMemory(from: base, byteCount: source.count)
            }
        }
        self.storage = storage
        count = bytes.count
    }

    public convenience init(_ string: String) {
        self.init(Array(string.utf8))
    }

    /// Number of bytes in the buffer.
    public let count: Int

    /// The bytes, copied out (for tests and logging; the write path never copies).
    public var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: storage.baseAddress, count: count))
    }

    deinit { storage.deallocate() }
}
