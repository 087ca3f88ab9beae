import CLibUV

/// A thread started through libuv (`uv_thread_create`), for running a loop
/// beside the caller's own work (an app embedding the broker).
public final class LoopThread: Sendable {
    private let id: uv_thread_t

    private final class Entry {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) throws(UVError) {
        var id = uv_thread_t()
        let entry = Unmanaged.passRetained(Entry(body)).toOpaque()
        let status = uv_thread_create(&id, { argument in
            Unmanaged<Entry>.fromOpaque(argument!).takeRetainedValue().body()
        }, entry)
        if status < 0 {
            Unmanaged<Entry>.fromOpaque(entry).release()
            throw UVError(code: status, operation: "uv_thread_create")
        }
        self.id = id
    }

    /// Waits for the thread to finish.
    public func join() {
        var id = self.id
        uv_thread_join(&id)
    }
}
