/// How far the client's request body has come (the client's side, independent of the app's).
enum RequestBodyProgress {
    /// Only the head so far.
    case noBodyYet
    case bodyArriving
    case endedWithoutBody
    case endedAfterBody

    /// Body bytes arrived (then the request is not sent to the app again).
    var hasBody: Bool { self == .bodyArriving || self == .endedAfterBody }
    var isEnded: Bool { self == .endedWithoutBody || self == .endedAfterBody }

    mutating func bodyArrived() {
        if self == .noBodyYet { self = .bodyArriving }
    }

    mutating func end() {
        self = hasBody ? .endedAfterBody : .endedWithoutBody
    }
}
