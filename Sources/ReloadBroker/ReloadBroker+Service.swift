import ServiceLifecycle
import UVLoop

/// `ReloadBroker` runs in a swift-service-lifecycle `ServiceGroup` beside the app:
///
/// ```swift
/// let broker = try ReloadBroker(configuration: configuration)  // binds now: "port in use" throws here
/// let group = ServiceGroup(configuration: .init(
///     services: [app, broker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
extension ReloadBroker: Service {
    /// Runs the broker until a graceful shutdown (the group got SIGTERM, or another service
    /// ended) or until the task is cancelled; either stops it as ``stop()`` does (a 1001 close
    /// frame to every tab, at most ``BrokerConfiguration/stopGracePeriod`` for the handshakes),
    /// and `run()` returns once every loop has ended. ``stop()`` from elsewhere ends it too.
    ///
    /// The loops run on threads of their own, never on the concurrency pool.
    ///
    /// - Throws: ``BrokerError/alreadyStarted`` when the broker was started or stopped before,
    ///   ``BrokerError/eventLoop(_:)`` when its thread cannot start. A port in use is reported
    ///   earlier, by ``init(configuration:logger:)``, before any service of the group starts.
    public func run() async throws {
        guard let loops = takeLoopsToRun() else { throw BrokerError.alreadyStarted }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                var thread: LoopThread?
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    do throws(UVError) {
                        thread = try LoopThread {
                            self.drive(taken: loops)
                            continuation.resume()
                        }
                    } catch {
                        self.returnUnrunLoops(loops)
                        continuation.resume(throwing: BrokerError.eventLoop(error))
                    }
                }
                thread?.join()  // it has only to return: resuming was its last act
            } onCancel: {
                self.requestStop()
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
    }
}
