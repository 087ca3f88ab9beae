import UVLoop

/// The process's standard error and output, for a command-line front end (the `reload-broker`
/// tool) that uses the library alone.
public enum CommandLineOutput {
    /// Writes `message` and a newline to standard error, unbuffered.
    public static func printError(_ message: String) {
        StandardStreams.writeError(message + "\n")
    }

    /// Flushes standard output (block-buffered when piped; scripts wait for the URL line).
    public static func flush() {
        StandardStreams.flushOutput()
    }
}
