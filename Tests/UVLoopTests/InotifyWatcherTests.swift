#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UVLoop

/// A temporary folder, removed when the test ends.
private final class Folder {
    let path = NSTemporaryDirectory() + "uvloop-\(UUID().uuidString)"
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes `text` the way an editor saving in place does: open (create, truncate), write, close.
private func save(_ path: String, _ text: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw UVError(code: -errno, operation: "open(\(path))") }
    let bytes = Array(text.utf8)
    let written = write(descriptor, bytes, bytes.count)
    close(descriptor)
    guard written == bytes.count else { throw UVError(code: -errno, operation: "write(\(path))") }
}

@Suite("UVLoop: inotify folder watches")
struct InotifyWatcherTests {
    @Test func aSaveIsCreatedModifiedWrittenAndEveryStepAfterIsReportedInOrder() throws {
        let folder = try Folder()
        var events: [InotifyWatcher.Event] = []
        var watch: Int32 = -1
        try runLoop { loop, finish in
            var watcher: InotifyWatcher?
            watcher = try InotifyWatcher(loop: loop) { batch in
                events += batch
                if batch.contains(where: { $0.kind == .deleted && $0.name == "renamed.txt" }) {
                    watcher?.remove(watch)  // the kernel confirms with IN_IGNORED: folderGone
                }
                if batch.contains(where: { $0.kind == .folderGone }) {
                    watcher?.close()
                    finish()
                }
            }
            watch = try watcher!.add(folder: folder.path)
            // Before the loop runs: the kernel queues the events in order.
            try save(folder.path + "/saved.txt", "hello")
            try FileManager.default.createDirectory(atPath: folder.path + "/sub", withIntermediateDirectories: false)
            #expect(rename(folder.path + "/saved.txt", folder.path + "/renamed.txt") == 0)
            #expect(unlink(folder.path + "/renamed.txt") == 0)
        }
        #expect(watch >= 0)
        #expect(
            events == [
                .init(watch: watch, name: "saved.txt", kind: .created, isFolder: false),
                .init(watch: watch, name: "saved.txt", kind: .modified, isFolder: false),
                .init(watch: watch, name: "saved.txt", kind: .written, isFolder: false),
                .init(watch: watch, name: "sub", kind: .created, isFolder: true),
                .init(watch: watch, name: "saved.txt", kind: .movedOut, isFolder: false),
                .init(watch: watch, name: "renamed.txt", kind: .movedIn, isFolder: false),
                .init(watch: watch, name: "renamed.txt", kind: .deleted, isFolder: false),
                .init(watch: watch, name: nil, kind: .folderGone, isFolder: false),
            ])
    }

    @Test func watchingAFolderThatIsNotThereIsAnError() throws {
        let folder = try Folder()
        try runLoop { loop, finish in
            let watcher = try InotifyWatcher(loop: loop) { _ in }
            #expect(throws: UVError.self) { try watcher.add(folder: folder.path + "/missing") }
            // A file is not a folder (IN_ONLYDIR).
            try save(folder.path + "/file.txt", "x")
            #expect(throws: UVError.self) { try watcher.add(folder: folder.path + "/file.txt") }
            watcher.close()
            finish()
        }
    }
}
