import ReloadBroker

/// Writes a line to standard error (unbuffered, straight to descriptor 2).
func printError(_ message: String) {
    CommandLineOutput.printError(message)
}
