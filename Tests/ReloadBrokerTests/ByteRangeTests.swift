@testable import ReloadBroker
import Testing

@Suite("ByteRange: the Range header the static file handler serves")
struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-9", 0...9),
        ("bytes=10-", 10...99),
        ("bytes=50-200", 50...99),  // a last byte past the end is the end
        ("bytes=99-99", 99...99),
        ("bytes=-10", 90...99),  // the last ten bytes
        ("bytes=-200", 0...99),  // a suffix longer than the file is the whole file, as a range
    ] as [(String, ClosedRange<Int64>)])
    func oneRangeIsServed(header: String, bounds: ClosedRange<Int64>) {
        #expect(ByteRange(header: header, size: 100) == .partial(bounds))
    }

    @Test(arguments: [
        ("bytes=100-", 100),  // starts at the end
        ("bytes=500-600", 100),
        ("bytes=-0", 100),  // no byte at all
        ("bytes=-5", 0),  // an empty file has no last bytes
        ("bytes=0-", 0),
    ] as [(String, Int64)])
    func aRangeOutsideTheFileIsUnsatisfiable(header: String, size: Int64) {
        #expect(ByteRange(header: header, size: size) == .unsatisfiable)
    }

    @Test(arguments: [
        nil,  // no Range header
        "bytes=0-1,5-6",  // several ranges: sent whole rather than as multipart
        "items=0-9",  // another unit
        "bytes=9-5",  // last before first
        "bytes=-",
        "bytes=abc-",
        "bytes=1-x",
        "bytes=5",
        "",
    ] as [String?])
    func anythingElseGetsTheWholeFile(header: String?) {
        #expect(ByteRange(header: header, size: 100) == .whole)
    }
}
