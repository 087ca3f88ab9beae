@testable import ReloadBroker
import Testing

@Suite("RestartDetector: a self-restarting app's worker replaced")
struct RestartDetectorTests {
    @Test func aWorkerReplacedBetweenTwoLooksIsARestart() {
        var detector = RestartDetector()
        detector.baseline([10, 11])
        #expect(detector.observe([10, 11], at: 0) == .steady)
        #expect(detector.observe([10, 12], at: 50) == .restarted)
        #expect(detector.known == [10, 12])
        #expect(detector.observe([10, 12], at: 100) == .steady)
    }

    @Test func aWorkerThatGoesThenANewOneThatComesIsARestart() {
        var detector = RestartDetector(patience: 2000)
        detector.baseline([10, 11])
        #expect(detector.observe([10], at: 0) == .suspect)
        #expect(detector.isSuspect)
        #expect(detector.observe([10], at: 50) == .suspect)
        #expect(detector.observe([10, 12], at: 100) == .restarted)
        #expect(!detector.isSuspect)
    }

    @Test func aSubprocessThatComesOrGoesIsNoRestart() {
        var detector = RestartDetector(patience: 2000)
        detector.baseline([10, 11])
        #expect(detector.observe([10, 11, 20], at: 0) == .steady)  // came: now known
        #expect(detector.known == [10, 11, 20])
        #expect(detector.observe([10, 11], at: 50) == .suspect)  // it went
        #expect(detector.observe([10, 11], at: 2050) == .steady)  // nothing followed: accepted
        #expect(detector.known == [10, 11])
        #expect(!detector.isSuspect)
    }
}
