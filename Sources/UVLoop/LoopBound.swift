/// A value that belongs to one event loop's thread, carried through a
/// `@Sendable` closure that will run on that thread.
///
/// Loop-bound objects (connections, the broker core) are not `Sendable`. Work
/// from other threads reaches them through `LoopExecutor.execute`, whose
/// closure must be `@Sendable`; `LoopBound` wraps the object so it can ride
/// along, and checks on every access that the caller is on the loop's thread.
public struct LoopBound<Value>: @unchecked Sendable {
    private let _value: Value
    private let executor: LoopExecutor

    public init(_ value: Value, executor: LoopExecutor) {
        self._value = value
        self.executor = executor
    }

    /// The value; traps when called off the loop's thread (a bug of ours).
    public var value: Value {
        precondition(executor.inLoopThread, "LoopBound value used off its event loop's thread")
        return _value
    }
}
