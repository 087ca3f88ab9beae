/// The last lines the app printed on its standard output and error, bounded in lines and bytes,
/// as plain text: ANSI escape sequences (colours, cursor moves, titles) are removed, a carriage
/// return inside a line keeps what was written after it (progress bars), other control
/// characters but tab are dropped, invalid UTF-8 becomes U+FFFD.
///
/// A pure value: the app's bytes go in as they arrive (any chunking), lines come out. Each stream
/// keeps its own unfinished line and escape state, so interleaved writes do not mix mid-line.
public struct AppOutputTail: Sendable, Equatable {
    public enum Stream: Sendable, Equatable {
        case standardOutput
        case standardError
    }

    public struct Line: Sendable, Equatable {
        public var stream: Stream
        public var text: String
    }

    public let maxLines: Int
    public let maxBytes: Int
    /// Complete lines, oldest first.
    public private(set) var lines: [Line] = []
    /// UTF-8 bytes of `lines` plus one newline each.
    public private(set) var byteCount = 0
    /// Grows with every change (a cheap version for `ETag`s and change detection).
    public private(set) var version = 0
    /// Lines that fell out of the window so far.
    public private(set) var droppedLines = 0

    private var output = LineAssembler()
    private var error = LineAssembler()

    public init(maxLines: Int = 200, maxBytes: Int = 64 * 1024) {
        self.maxLines = max(1, maxLines)
        self.maxBytes = max(64, maxBytes)
    }

    /// Adds bytes the app wrote on `stream`.
    public mutating func append(_ bytes: some Sequence<UInt8>, from stream: Stream) {
        var completed: [String] = []
        let limit = maxBytes
        switch stream {
        case .standardOutput: output.feed(bytes, lineLimit: limit - 1) { completed.append($0) }
        case .standardError: error.feed(bytes, lineLimit: limit - 1) { completed.append($0) }
        }
        for text in completed { add(Line(stream: stream, text: text)) }
        version += 1
    }

    /// Every line including the unfinished ones (what the app printed without a newline yet).
    public var allLines: [Line] {
        var result = lines
        if !output.current.isEmpty { result.append(Line(stream: .standardOutput, text: output.currentText)) }
        if !error.current.isEmpty { result.append(Line(stream: .standardError, text: error.currentText)) }
        return result
    }

    /// The text, one line per line.
    public var text: String { allLines.map(\.text).joined(separator: "\n") }

    private mutating func add(_ line: Line) {
        lines.append(line)
        byteCount += line.text.utf8.count + 1
        var drop = 0
        var bytes = byteCount
        while lines.count - drop > maxLines || (bytes > maxBytes && lines.count - drop > 1) {
            bytes -= lines[drop].text.utf8.count + 1
            drop += 1
        }
        if drop > 0 {
            lines.removeFirst(drop)
            byteCount = bytes
            droppedLines += drop
        }
    }
}
