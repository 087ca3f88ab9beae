#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a line to standard error.
func printError(_ message: String) {
    fputs(message + "\n", stderr)
}

/// Flushes standard output (it is block-buffered when piped, and scripts wait for the URL line).
func flushStandardOutput() {
    fflush(stdout)
}
