import UVLoop

/// Sends a file in 64 KiB steps, waiting for the socket to drain between bursts, and yielding
/// to the loop after each megabyte so one fast reader cannot monopolise it.
final class FileStreamer {
    let file: LocalFile
    var remaining: Int64
    let responder: HTTPResponder
    private var yieldTimer: LoopTimer?
    static let stepsPerTurn = 16

    init(file: LocalFile, remaining: Int64, responder: HTTPResponder) {
        self.file = file
        self.remaining = remaining
        self.responder = responder
    }

    func pump() {
        responder.onWritable = { [self] in pump() }
        var steps = 0
        while remaining > 0, responder.isConnected {
            if steps == Self.stepsPerTurn {
                let timer = yieldTimer ?? LoopTimer(loop: responder.loop)
                yieldTimer = timer
                timer.start(after: 0) { [self] in pump() }
                return
            }
            steps += 1
            let chunk: [UInt8]
            do throws(UVError) {
                chunk = try file.read(maxLength: Int(min(remaining, 64 * 1024)))
            } catch {
                done(abort: true)
                return
            }
            if chunk.isEmpty {
                done(abort: true)  // the file shrank: the promised length cannot be met
                return
            }
            remaining -= Int64(chunk.count)
            if !responder.write(chunk), remaining > 0 { return }  // resumes in onWritable
        }
        done(abort: !responder.isConnected)
    }

    private func done(abort: Bool) {
        file.close()
        yieldTimer?.close()
        yieldTimer = nil
        responder.onWritable = nil
        if abort { responder.abort() } else { responder.finish() }
    }
}
