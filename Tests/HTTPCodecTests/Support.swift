import Testing
@testable import HTTPCodec

/// Bytes of a string literal (tests write requests as text).
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// How a byte stream is cut into appends.
enum Feeding: Sendable, CustomStringConvertible {
    case whole
    case split(at: Int)
    case chunks(of: Int)
    case random(seed: UInt64)

    var description: String {
        switch self {
        case .whole: "whole"
        case .split(let at): "split at \(at)"
        case .chunks(let size): "chunks of \(size)"
        case .random(let seed): "random seed \(seed)"
        }
    }

    /// The pieces `input` is appended in.
    func pieces(of input: [UInt8]) -> [[UInt8]] {
        switch self {
        case .whole:
            return [input]
        case .split(let at):
            return [Array(input[..<at]), Array(input[at...])]
        case .chunks(let size):
            return stride(from: 0, to: input.count, by: size).map {
                Array(input[$0..<Swift.min($0 + size, input.count)])
            }
        case .random(let seed):
            // A small LCG so every run cuts the same way (reproducible failures).
            var state = seed &* 6364136223846793005 &+ 1442695040888963407
            var pieces: [[UInt8]] = []
            var index = 0
            while index < input.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let length = Int((state >> 33) % 23)  // zero-length appends included on purpose
                let end = Swift.min(index + length, input.count)
                pieces.append(Array(input[index..<end]))
                index = end
            }
            return pieces
        }
    }

    /// Every way of cutting `input` once, plus 1-byte and a few other feedings.
    static func all(for input: [UInt8]) -> [Feeding] {
        [.whole, .chunks(of: 1), .chunks(of: 2), .chunks(of: 7)]
            + (0...input.count).map { .split(at: $0) }
            + (1...5).map { .random(seed: $0) }
    }
}

/// Outcome of running a parser over a whole stream.
struct Outcome: Equatable {
    var values: [HTTPRequest]
    var error: HTTPParseError?
}

/// Feeds `input` as `feeding` says, draining `nextRequest()` after every append.
func parseRequests(_ input: [UInt8], feeding: Feeding = .whole, limits: HTTPLimits = .init()) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    for piece in feeding.pieces(of: input) {
        parser.append(piece)
        do {
            while let request = try parser.nextRequest() {
                requests.append(request)
            }
        } catch {
            return Outcome(values: requests, error: error)
        }
    }
    return Outcome(values: requests, error: nil)
}

/// Feeds `input` as `feeding` says, draining `nextEvent()` after every append; consecutive
/// body events are merged (how a body is cut depends on the feeding, not on the parser).
func parseEvents(
    _ input: [UInt8], feeding: Feeding = .whole, limits: HTTPLimits = .init(), useSpan: Bool = false
) -> (events: [HTTPRequestParser.Event], error: HTTPParseError?) {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPRequestParser.Event] = []
    for piece in feeding.pieces(of: input) {
        if useSpan {
            parser.append(piece.span)
        } else {
            parser.append(piece)
        }
        do {
            while let event = try parser.nextEvent() {
                if case .body(let more) = event {
                    #expect(!more.isEmpty, "empty body events are never emitted")
                    if case .body(let previous) = events.last {
                        events[events.count - 1] = .body(previous + more)
                        continue
                    }
                }
                events.append(event)
            }
        } catch {
            return (events, error)
        }
    }
    return (events, nil)
}

/// The events a list of requests should produce (bodies merged).
func expectedEvents(_ requests: [HTTPRequest]) -> [HTTPRequestParser.Event] {
    requests.flatMap { request -> [HTTPRequestParser.Event] in
        request.body.isEmpty ? [.head(request.head), .end] : [.head(request.head), .body(request.body), .end]
    }
}
