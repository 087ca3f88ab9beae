/// An event loop that is not running, handed whole to the one thread that will run it (and close
/// it). Sendable because nothing else touches the loop meanwhile: the sender gives it up.
public struct DetachedLoop: @unchecked Sendable {
    public let loop: EventLoop

    public init(_ loop: EventLoop) {
        self.loop = loop
    }
}
