#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ReloadBroker

@Suite("The embedded client script")
struct ClientScriptTests {
    /// ClientScript.swift is generated from client/client.js; this fails when they drift apart
    /// (run scripts/embed-client-js.sh after editing the script).
    @Test func embeddedCopyMatchesTheSource() throws {
        let testFile = #filePath
        guard let testsDirectory = testFile.firstRange(of: "/Tests/ReloadBrokerTests/") else {
            Issue.record("unexpected test path \(testFile)")
            return
        }
        let path = String(testFile[..<testsDirectory.lowerBound]) + "/Sources/ReloadBroker/client/client.js"
        guard let file = fopen(path, "rb") else {
            Issue.record("cannot open \(path)")
            return
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        let source = String(decoding: bytes, as: UTF8.self)
        #expect(ClientScript.source + "\n" == source, "run scripts/embed-client-js.sh")
    }
}
