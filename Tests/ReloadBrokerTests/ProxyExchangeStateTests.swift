@testable import ReloadBroker
import Testing
import UVLoop

/// Stands in for the connection to the app.
private final class FakeConnection {}

private typealias State = ProxyExchangeState<FakeConnection>

@Suite("ProxyExchangeState: the stages of a proxied request on the app's side")
struct ProxyExchangeStateTests {
    @Test func bodyPiecesWaitWhileConnectingAndGoOutOnceConnected() throws {
        var state = State.connecting(.init())
        #expect(state.upstream == nil)
        #expect(state.holdBody([1, 2, 3]) == 3)
        #expect(state.holdBody([4]) == 4)
        let connection = FakeConnection()
        let connected = state.connected(.init(connection: connection, pooled: false))
        let pending = try #require(connected)
        #expect(pending.pieces == [[1, 2, 3], [4]])
        #expect(state.upstream === connection)
        // Connected: nothing waits any more, and connecting again changes nothing.
        #expect(state.holdBody([5]) == 0)
        #expect(state.connected(.init(connection: FakeConnection(), pooled: true)) == nil)
        #expect(state.upstream === connection)
    }

    @Test func aRetryGivesUpTheConnectionAndConnectsAfresh() {
        var state = State.connecting(.init())
        let first = FakeConnection()
        _ = state.connected(.init(connection: first, pooled: true))
        state.heardFromApp()
        guard case .awaitingResponse(let link) = state else { Issue.record("not awaiting: \(state)"); return }
        #expect(link.pooled && link.heardFromApp && !link.appEnded)
        #expect(state.retry() === first)
        #expect(state.upstream == nil)
        let second = FakeConnection()
        _ = state.connected(.init(connection: second, pooled: false))
        guard case .awaitingResponse(let fresh) = state else { Issue.record("not awaiting: \(state)"); return }
        #expect(fresh.connection === second && !fresh.pooled && !fresh.heardFromApp)
    }

    @Test func relayingCarriesWhatTheAppDidBeforeItsHead() {
        var state = State.connecting(.init())
        let connection = FakeConnection()
        _ = state.connected(.init(connection: connection, pooled: false))
        state.appEnded()
        state.startRelaying(inflater: nil, appCloses: true)
        guard case .relaying(let relay) = state else { Issue.record("not relaying: \(state)"); return }
        #expect(relay.connection === connection && relay.appEnded && relay.appCloses && !relay.clientSlow)
        // Only a relayed response has a slow client; a retry is no longer possible.
        state.setClientSlow(true)
        guard case .relaying(let slow) = state else { Issue.record("not relaying: \(state)"); return }
        #expect(slow.clientSlow)
        #expect(state.retry() == nil)
        #expect(state.handOver() == nil)
        #expect(state.finish() === connection)
        #expect(state.isFinished)
    }

    @Test func a101HandsTheConnectionOverWithoutAResponse() {
        var state = State.connecting(.init())
        let connection = FakeConnection()
        _ = state.connected(.init(connection: connection, pooled: false))
        #expect(state.handOver() === connection)
        #expect(state.isFinished && state.upstream == nil)
    }

    @Test func finishedIsFinal() {
        var state = State.connecting(.init())
        #expect(state.finish() == nil)  // no connection yet
        #expect(state.isFinished)
        #expect(state.holdBody([1]) == 0)
        #expect(state.connected(.init(connection: FakeConnection(), pooled: false)) == nil)
        state.startRelaying(inflater: Inflater(), appCloses: false)
        state.appEnded()
        state.heardFromApp()
        #expect(state.isFinished && state.upstream == nil)
    }
}

@Suite("RequestBodyProgress: the client's side of a proxied request")
struct RequestBodyProgressTests {
    @Test func aBodyCountsBeforeAndAfterItsEnd() {
        var progress = RequestBodyProgress.noBodyYet
        #expect(!progress.hasBody && !progress.isEnded)
        progress.bodyArrived()
        progress.bodyArrived()
        #expect(progress == .bodyArriving && progress.hasBody && !progress.isEnded)
        progress.end()
        #expect(progress == .endedAfterBody && progress.hasBody && progress.isEnded)
    }

    @Test func aRequestWithoutBodyEndsWithout() {
        var progress = RequestBodyProgress.noBodyYet
        progress.end()
        #expect(progress == .endedWithoutBody && !progress.hasBody && progress.isEnded)
    }
}
