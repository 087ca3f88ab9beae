import Foundation
import Testing
import TestSupport

/// A save reaches the pages as soon as it is complete, yet each save is one reload: an atomic
/// save through a temporary file, a `git checkout` of 500 files, and a save right after a reload
/// (which must get its own reload, not be swallowed by the first).
@Suite("reload-broker serve: when a save is complete", .serialized)
struct SaveDetectionTests {
    typealias Session = ServeTests.Session

    @Test func anAtomicSaveThroughATemporaryFileIsOneReloadOfTheFinalPath() throws {
        let session = try Session()
        // As Python's tempfile + os.replace do: a temporary name no ignore pattern knows.
        let temporary = session.folder.path + "/tmpq8x2_k"
        try Data("<p>atomic</p>".utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, session.folder.path + "/index.html") == 0)
        let message = try session.next()
        #expect(message.type == "reload")
        #expect(message.epoch == 1)
        try session.expectNothingElse(after: 1)
    }

    @Test func anAtomicStylesheetSaveIsOneLiveSwap() throws {
        let session = try Session()
        let temporary = session.folder.path + "/css/.site.css.tmp-4711"
        try Data("body { color: red }".utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, session.folder.path + "/css/site.css") == 0)
        let message = try session.next()
        #expect(message.type == "css")  // the temporary file does not turn it into a full reload
        #expect(message.path == "/css/site.css")
        try session.expectNothingElse(after: 1)
    }

    @Test func aCheckoutOfFiveHundredFilesIsOneReload() throws {
        let folder = try TemporaryFolder()
        try folder.write("index.html", "<p>index</p>")
        for index in 0..<500 { try folder.write("pages/p\(index).html", "<p>v1 \(index)</p>") }
        let git = "git -c user.name=t -c user.email=t@example.invalid -c commit.gpgsign=false"
        try shell("\(git) init -q . && \(git) add -A && \(git) commit -qm v1", in: folder.path)
        for index in 0..<500 { try folder.write("pages/p\(index).html", "<p>v2 \(index)</p>") }
        try shell("\(git) commit -qam v2", in: folder.path)
        let (broker, port) = try startServe(["--root", folder.path])
        _ = broker
        let page = try TestWebSocket(port: port)
        _ = try page.nextText()  // hello

        try shell("\(git) checkout -q HEAD~1", in: folder.path)
        let reload = try page.nextText()
        #expect(jsonField("type", in: reload) == "reload")
        #expect(jsonField("epoch", in: reload) == "1")
        // Nothing else came: a trigger now arrives as the very next epoch.
        let trigger = try runBroker(["trigger", "--url", "http://127.0.0.1:\(port)/__reload", "--quiet"])
        #expect(trigger.status == 0)
        #expect(jsonField("epoch", in: try page.nextText()) == "2", "the checkout was reported more than once")
    }

    @Test func aSaveRightAfterAReloadGetsItsOwnReload() throws {
        let session = try Session()
        try session.folder.write("index.html", "<p>first</p>")
        #expect(try session.next().epoch == 1)
        usleep(20_000)  // the scenario: the second save 20 ms after the first one's broadcast
        try session.folder.write("index.html", "<p>second</p>")
        let second = try session.next()
        #expect(second.type == "reload")
        #expect(second.epoch == 2)
        try session.expectNothingElse(after: 2)
    }

    @Test func aFileCreatedAndRemovedWithinABatchIsNoChange() throws {
        let session = try Session()
        // A lock file that comes and goes, then a real save: only the save is reported.
        try session.folder.write("build.lock", "1")
        try FileManager.default.removeItem(atPath: session.folder.path + "/build.lock")
        try session.folder.write("css/site.css", "body { color: blue }")
        let message = try session.next()
        #expect(message.type == "css")
        #expect(message.epoch == 1)
        try session.expectNothingElse(after: 1)
    }
}

/// Runs a shell command in a folder; throws when it fails.
func shell(_ command: String, in directory: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestClientError(description: "`\(command)` exited with \(process.terminationStatus)")
    }
}
