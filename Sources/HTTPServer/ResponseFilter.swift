import HTTPCodec

/// Sees every response head before it is written and may transform the body (the reload
/// client's injection into pages is one). Loop-bound.
public protocol ResponseFilter: AnyObject {
    /// Rewrites `response` as needed and returns the body's transform, or nil to pass the body
    /// through untouched. `request` is the request being answered (for a `HEAD` answered whole,
    /// as the `GET` it mirrors, so both get the same headers).
    func filter(request: RequestHead, response: inout ResponseHead) -> (any ResponseBodyFilter)?
}

/// Transforms a response body piece by piece.
public protocol ResponseBodyFilter {
    /// The bytes to send for the next piece of the body.
    mutating func feed(_ bytes: [UInt8]) -> [UInt8]
    /// The bytes still owed once the body has ended.
    mutating func finish() -> [UInt8]
}
