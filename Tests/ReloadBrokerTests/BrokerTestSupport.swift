#if canImport(Glibc)
import Glibc
#endif
import Logging
import ReloadBroker
import TestSupport

/// A logger that drops everything (tests assert behaviour, not log lines).
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` against a broker on a free loopback port, running on its own thread, and stops it after.
func withBroker(
    _ configure: (inout BrokerConfiguration) -> Void = { _ in },
    _ body: (ReloadBroker) throws -> Void
) throws {
    var configuration = BrokerConfiguration()
    configuration.port = 0
    configure(&configuration)
    let broker = try ReloadBroker(configuration: configuration, logger: quietLogger)
    try broker.start()
    defer { broker.stop() }
    try body(broker)
}

/// Polls a condition with a bounded number of short waits (for state the broker
/// exposes only through its API, e.g. the client count after a disconnect).
func eventually(_ attempts: Int = 500, _ condition: () -> Bool) -> Bool {
    for _ in 0..<attempts {
        if condition() { return true }
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&pause, nil)
    }
    return condition()
}
