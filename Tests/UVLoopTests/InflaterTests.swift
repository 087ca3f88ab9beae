import Testing
import UVLoop

@Suite("Decoding pages an app compressed (gzip, zlib, raw deflate)")
struct InflaterTests {
    static let text = String(repeating: "<p>hello, inflater</p>", count: 3)
    /// `text` compressed by Python's gzip.compress(mtime=0), zlib.compress and zlib.compressobj(wbits=-15).
    static let encodings: [(name: String, bytes: [UInt8])] = [
        ("gzip", [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 179, 41, 176, 203, 72, 205, 201, 201, 215, 81, 200, 204, 75, 203, 73,
                  44, 73, 45, 178, 209, 47, 176, 179, 33, 65, 20, 0, 117, 199, 82, 245, 66, 0, 0, 0]),
        ("zlib", [120, 156, 179, 41, 176, 203, 72, 205, 201, 201, 215, 81, 200, 204, 75, 203, 73, 44, 73, 45, 178, 209,
                  47, 176, 179, 33, 65, 20, 0, 9, 195, 23, 41]),
        ("raw deflate", [179, 41, 176, 203, 72, 205, 201, 201, 215, 81, 200, 204, 75, 203, 73, 44, 73, 45, 178, 209, 47,
                         176, 179, 33, 65, 20, 0]),
    ]

    @Test("every format, split at every byte", arguments: 0..<encodings.count)
    func everyFormatAtEveryCut(index: Int) throws {
        let bytes = Self.encodings[index].bytes
        for cut in 0...bytes.count {
            let inflater = Inflater(pieceSize: 7)
            var output: [UInt8] = []
            try inflater.inflate(Array(bytes[..<cut])) { output += $0; return true }
            try inflater.inflate(Array(bytes[cut...])) { output += $0; return true }
            #expect(String(decoding: output, as: UTF8.self) == Self.text, "\(Self.encodings[index].name) cut at \(cut)")
            #expect(inflater.isFinished, "\(Self.encodings[index].name) cut at \(cut)")
        }
    }

    @Test func garbageIsAnErrorNotACrash() {
        let inflater = Inflater()
        #expect(throws: Inflater.Failure.self) {
            try inflater.inflate([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) { _ in true }
        }
    }

    @Test("a slow consumer stops it after each piece; the rest waits", arguments: 0..<encodings.count)
    func aSlowConsumerHoldsTheRest(index: Int) throws {
        let inflater = Inflater(pieceSize: 5)
        var output: [UInt8] = []
        var calls = 0
        var ready = try inflater.inflate(Self.encodings[index].bytes) { output += $0; return false }
        #expect(!ready)
        #expect(output.count == 5)  // one piece, then it stopped
        while inflater.isHolding, calls < 100 {
            calls += 1
            let before = output.count
            ready = try inflater.inflate([]) { output += $0; return false }
            #expect(output.count - before <= 5)
        }
        #expect(String(decoding: output, as: UTF8.self) == Self.text)
        #expect(inflater.isFinished)
        #expect(calls >= Self.text.utf8.count / 5 - 1)
    }
}
