#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's own standard output and error.
public enum StandardStreams {
    /// Writes `text` to standard error at once (descriptor 2, no buffering), all of it unless the
    /// descriptor fails (a closed terminal must not stop the caller).
    public static func writeError(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { OutputPipe.copy($0, to: 2) }
    }

    /// Flushes what `print` buffered (standard output is block-buffered when piped).
    public static func flushOutput() {
        fflush(nil)
    }
}
