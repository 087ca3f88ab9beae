#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UVLoop

/// Writes a line to standard error (unbuffered, straight to descriptor 2).
func printError(_ message: String) {
    let line = Array((message + "\n").utf8)
    line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// Flushes standard output (block-buffered when piped; scripts wait for the URL line).
func flushStandardOutput() {
    fflush(nil)
}

/// The canonical path of an existing file or folder, nil when it does not exist.
func realPath(_ path: String) -> String? {
    try? LocalFileSystem.realPath(path)
}
