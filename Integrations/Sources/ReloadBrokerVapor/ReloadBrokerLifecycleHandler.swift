import Foundation
import ReloadBroker
import Vapor

/// Starts the broker when the Vapor app has booted and stops it when the app shuts down
/// (a 1001 close frame to every tab): `app.lifecycle.use(ReloadBrokerLifecycleHandler(broker: broker))`.
///
/// A broker that cannot start fails the app's boot with the broker's error.
public struct ReloadBrokerLifecycleHandler: LifecycleHandler {
    /// The broker it runs.
    public let broker: ReloadBroker

    public init(broker: ReloadBroker) {
        self.broker = broker
    }

    public func didBoot(_ application: Application) throws {
        try broker.start()
        application.logger.info("reload broker listening", metadata: ["url": "\(broker.url)"])
    }

    public func shutdown(_ application: Application) {
        broker.stop()
    }

    /// Stops the broker on a thread of its own: `ReloadBroker.stop()` waits up to the grace
    /// period for the tabs' close handshakes, which must not hold a thread of the concurrency pool.
    public func shutdownAsync(_ application: Application) async {
        let broker = broker
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                broker.stop()
                continuation.resume()
            }.start()
        }
    }
}
