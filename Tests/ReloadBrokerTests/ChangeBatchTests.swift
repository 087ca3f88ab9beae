@testable import ReloadBroker
import Testing

@Suite("ChangeBatch: when a batch of file changes is complete")
struct ChangeBatchTests {
    @Test func anInPlaceSaveIsCompleteOnceClosed() {
        var batch = ChangeBatch()
        batch.record("/s/index.html", .modified, at: 10)
        #expect(batch.readiness == .waitForQuiet)  // still being written
        batch.record("/s/index.html", .completed, at: 11)
        #expect(batch.readiness == .complete)
        #expect(batch.startedAt == 10)
        #expect(batch.take() == ["/s/index.html"])
        #expect(batch.isEmpty)
    }

    @Test func aRenameIntoPlaceDropsTheTemporaryFile() {
        var batch = ChangeBatch()
        batch.record("/s/tmp123", .created, at: 0)
        batch.record("/s/tmp123", .completed, at: 0)
        #expect(batch.readiness == .waitForQuiet)  // a new file may be a temporary one
        batch.record("/s/tmp123", .removed, at: 0)
        batch.record("/s/index.html", .completed, at: 0)
        #expect(batch.readiness == .complete)
        #expect(batch.take() == ["/s/index.html"])
    }

    @Test func vimsBackupDanceIsOneCompleteSave() {
        var batch = ChangeBatch()
        batch.record("/s/index.html", .removed, at: 0)  // renamed to index.html~
        #expect(batch.readiness == .waitForQuiet)  // maybe deleted for good: wait for quiet
        batch.record("/s/index.html", .created, at: 0)
        batch.record("/s/index.html", .modified, at: 0)
        #expect(batch.readiness == .waitForQuiet)
        batch.record("/s/index.html", .completed, at: 0)
        #expect(batch.readiness == .complete)  // it existed before the batch: not a new file
        #expect(batch.take() == ["/s/index.html"])
    }

    @Test func severalFilesANewFileADeletionOrAFolderWaitForQuiet() {
        var several = ChangeBatch()
        several.record("/s/a.html", .completed, at: 0)
        several.record("/s/b.html", .completed, at: 1)
        #expect(several.readiness == .waitForQuiet)
        #expect(several.take() == ["/s/a.html", "/s/b.html"])

        var new = ChangeBatch()
        new.record("/s/new.html", .created, at: 0)
        new.record("/s/new.html", .completed, at: 0)
        #expect(new.readiness == .waitForQuiet)

        var deleted = ChangeBatch()
        deleted.record("/s/gone.html", .removed, at: 0)
        #expect(deleted.readiness == .waitForQuiet)
        #expect(deleted.take() == ["/s/gone.html"])  // a deletion of an existing file is a change

        var folder = ChangeBatch()
        folder.record("/s/sub", .unsettled, at: 0)
        #expect(folder.readiness == .waitForQuiet)
    }

    @Test func onlyTemporaryFilesMakeNoChange() {
        var batch = ChangeBatch()
        batch.record("/s/.lock", .created, at: 0)
        batch.record("/s/.lock", .removed, at: 0)
        #expect(batch.readiness == .waitForQuiet)
        #expect(batch.take().isEmpty)
    }
}
