/// Takes a streamed request body. Loop-bound.
public protocol RequestBodyReceiver: AnyObject {
    /// A piece of the decoded body. Return false to stop reading from the client until
    /// ``HTTPResponder/resumeReading()``.
    func receive(_ bytes: [UInt8]) -> Bool
    /// The body is complete.
    func end()
}
