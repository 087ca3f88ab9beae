import Foundation
import TestSupport

/// Starts `reload-broker serve` on a free port with the given arguments and returns it with its port.
func startServe(_ arguments: [String], directory: String? = nil) throws -> (ChildProcess, Int) {
    let child = try ChildProcess(["serve", "--port", "0"] + arguments, directory: directory)
    let output = try child.waitForOutput(containing: "reload-broker: watching")
    guard let range = output.firstRange(of: "http://127.0.0.1:"),
        let port = Int(output[range.upperBound...].prefix { $0.isNumber })
    else {
        throw TestClientError(description: "no URL in \(output)")
    }
    return (child, port)
}

/// Runs the binary to completion and returns its exit status and output.
func runBroker(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(arguments)
    let status = try child.waitForExit(timeout: timeout)
    return (status, child.stdout, child.stderr)
}
