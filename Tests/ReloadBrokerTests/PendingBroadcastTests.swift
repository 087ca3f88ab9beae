import Testing

@testable import ReloadBroker

/// What a blocked client still owes, on its own: which broadcast a path makes, and how two
/// owed broadcasts coalesce into one.
@Suite("PendingBroadcast: one owed update per blocked client")
struct PendingBroadcastTests {
    @Test(arguments: ["/site.css", "/styles/Site.CSS", "/a.css?v=2", "site.css"])
    func aStylesheetPathIsASwap(path: String) {
        #expect(PendingBroadcast(epoch: 7, path: path) == .css(epoch: 7, path: path))
    }

    @Test(arguments: [nil, "/", "/index.html", "/a.css.map", "/a.cssx", "/css", "/a.scss", "/a.html?x=.css"] as [String?])
    func anyOtherPathOrNoneIsAReload(path: String?) {
        #expect(PendingBroadcast(epoch: 7, path: path) == .reload(epoch: 7))
    }

    @Test func theEpochIsTheBroadcastsOwn() {
        #expect(PendingBroadcast.reload(epoch: 3).epoch == 3)
        #expect(PendingBroadcast.css(epoch: 4, path: "/a.css").epoch == 4)
    }

    @Test func theSameStylesheetTwiceStaysOneSwap() {
        let merged = PendingBroadcast.css(epoch: 1, path: "/a.css").merged(with: .css(epoch: 2, path: "/a.css"))
        #expect(merged == .css(epoch: 2, path: "/a.css"))
    }

    @Test func twoStylesheetsMakeAReload() {
        let merged = PendingBroadcast.css(epoch: 1, path: "/a.css").merged(with: .css(epoch: 2, path: "/b.css"))
        #expect(merged == .reload(epoch: 2))
        // The path is compared as given: a query makes it another update.
        #expect(PendingBroadcast.css(epoch: 1, path: "/a.css").merged(with: .css(epoch: 2, path: "/a.css?v=2")) == .reload(epoch: 2))
    }

    @Test func aReloadAndASwapMakeAReloadEitherWay() {
        #expect(PendingBroadcast.reload(epoch: 1).merged(with: .css(epoch: 2, path: "/a.css")) == .reload(epoch: 2))
        #expect(PendingBroadcast.css(epoch: 1, path: "/a.css").merged(with: .reload(epoch: 2)) == .reload(epoch: 2))
        #expect(PendingBroadcast.reload(epoch: 1).merged(with: .reload(epoch: 2)) == .reload(epoch: 2))
    }

    @Test func anOlderEpochArrivingLateDoesNotMoveTheEpochBack() {
        // Loops deliver concurrently: a later epoch can be owed before an earlier one arrives.
        #expect(PendingBroadcast.reload(epoch: 5).merged(with: .reload(epoch: 3)) == .reload(epoch: 5))
        #expect(PendingBroadcast.css(epoch: 5, path: "/a.css").merged(with: .css(epoch: 3, path: "/a.css")) == .css(epoch: 5, path: "/a.css"))
        #expect(PendingBroadcast.css(epoch: 5, path: "/a.css").merged(with: .reload(epoch: 3)) == .reload(epoch: 5))
        #expect(PendingBroadcast.reload(epoch: 5).merged(with: .css(epoch: 3, path: "/a.css")) == .reload(epoch: 5))
    }

    @Test func anyRunOfBroadcastsFoldsToTheHighestEpochAndASwapOnlyWhenAllSwapOneSheet() {
        let runs: [[PendingBroadcast]] = [
            [.css(epoch: 1, path: "/a.css"), .css(epoch: 2, path: "/a.css"), .css(epoch: 3, path: "/a.css")],
            [.css(epoch: 3, path: "/a.css"), .css(epoch: 1, path: "/a.css"), .css(epoch: 2, path: "/a.css")],
            [.css(epoch: 1, path: "/a.css"), .reload(epoch: 2), .css(epoch: 3, path: "/a.css")],
            [.css(epoch: 1, path: "/a.css"), .css(epoch: 4, path: "/b.css"), .css(epoch: 3, path: "/a.css")],
            [.reload(epoch: 9), .reload(epoch: 2), .reload(epoch: 4)],
        ]
        for run in runs {
            let folded = run.dropFirst().reduce(run[0]) { $0.merged(with: $1) }
            let highest = run.map(\.epoch).max()!
            let oneSheet: String? = {
                let paths = run.map { broadcast -> String? in
                    if case .css(_, let path) = broadcast { return path }
                    return nil
                }
                guard let first = paths[0], paths.allSatisfy({ $0 == first }) else { return nil }
                return first
            }()
            #expect(folded == (oneSheet.map { .css(epoch: highest, path: $0) } ?? .reload(epoch: highest)), "\(run)")
        }
    }
}
