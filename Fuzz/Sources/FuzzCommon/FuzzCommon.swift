import CFuzzerDriver

/// A small deterministic generator seeded from fuzzer bytes, so every split the
/// targets make is a function of the input (libFuzzer can minimise and replay it).
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Splits `bytes` into consecutive pieces whose lengths come from `seed`: mostly small
/// (1-16 bytes, to cut every token), sometimes large, sometimes empty.
public func pieces(of bytes: [UInt8], seed: UInt8) -> [[UInt8]] {
    var generator = SplitMix64(seed: UInt64(seed) &* 0x1000_0000_01B3 &+ UInt64(bytes.count))
    var result: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        let kind = generator.next() % 8
        let length: Int
        switch kind {
        case 0: length = 0  // an empty append must change nothing
        case 1: length = Int(generator.next() % 512) + 1
        default: length = Int(generator.next() % 16) + 1
        }
        let end = min(bytes.count, index + length)
        result.append(Array(bytes[index..<end]))
        index = end
    }
    return result
}

/// Traps with a message: libFuzzer saves the input as a crash.
public func violated(_ what: String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("invariant violated: \(what)", file: file, line: line)
}

/// The fuzzer's bytes as an array (libFuzzer may pass a null pointer with size 0).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Runs libFuzzer's driver with the process arguments (see CFuzzerDriver.h for why).
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
}
