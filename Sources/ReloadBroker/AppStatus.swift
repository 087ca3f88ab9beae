import UVLoop

/// What the proxy knows of the app's dev command (``ProxyConfiguration/command``): its state
/// and the last of its output. Shown on the waiting page, served as JSON at `<prefix>/app`, and
/// available to embedders as ``ReverseProxy/appStatus``.
public struct AppStatus: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case notStarted
        /// Its process runs (answering or not).
        case running
        /// Stopped for a file change; a new process follows.
        case restarting
        /// It ended by itself; the next file change starts it again.
        case exited(SpawnedProcess.Exit)
        /// Its process could not be started.
        case failedToStart(String)
        /// The broker is stopping.
        case stopped
    }

    /// The command as the user wrote it.
    public var command: String
    public var state: State
    /// Its process (group) id while it runs.
    public var pid: Int32?
    /// How many times it was started (1 for the first run).
    public var run: Int
    /// What it printed last.
    public var output: AppOutputTail

    /// One short sentence: "The app exited with status 1."
    public var summary: String {
        switch state {
        case .notStarted: "The app has not started yet."
        case .running: "The app is running (pid \(pid.map(String.init) ?? "?")) but does not answer yet."
        case .restarting: "The app is restarting."
        case .exited(.killed(let signal)): "The app was killed by signal \(signal)."
        case .exited(.exited(let status)): "The app exited with status \(status)."
        case .failedToStart(let reason): "The app could not be started: \(reason)."
        case .stopped: "The broker is stopping the app."
        }
    }

    /// A version for `ETag`s: changes whenever the run, the state or the output does.
    var tag: String {
        let state: String
        switch self.state {
        case .notStarted: state = "n"
        case .running: state = "r\(pid ?? 0)"
        case .restarting: state = "R"
        case .exited(.exited(let status)): state = "x\(status)"
        case .exited(.killed(let signal)): state = "k\(signal)"
        case .failedToStart: state = "f"
        case .stopped: state = "s"
        }
        return "\"\(run)-\(state)-\(output.version)\""
    }

    /// `{"command":…,"run":2,"state":"exited","status":1,"signal":0,"summary":…,"lines":[{"stream":"stderr","text":…}]}`
    var json: String {
        var fields: [String] = []
        fields.append(#""command":"\#(Messages.jsonEscaped(command))","run":\#(run)"#)
        switch state {
        case .notStarted: fields.append(#""state":"not-started""#)
        case .running: fields.append(#""state":"running","pid":\#(pid ?? 0)"#)
        case .restarting: fields.append(#""state":"restarting""#)
        case .exited(.exited(let status)): fields.append(#""state":"exited","status":\#(status),"signal":0"#)
        case .exited(.killed(let signal)): fields.append(#""state":"exited","status":0,"signal":\#(signal)"#)
        case .failedToStart: fields.append(#""state":"failed-to-start""#)
        case .stopped: fields.append(#""state":"stopped""#)
        }
        fields.append(#""summary":"\#(Messages.jsonEscaped(summary))""#)
        fields.append(#""dropped":\#(output.droppedLines)"#)
        let lines = output.allLines.map { line in
            #"{"stream":"\#(line.stream == .standardError ? "stderr" : "stdout")","text":"\#(Messages.jsonEscaped(line.text))"}"#
        }
        fields.append(#""lines":[\#(lines.joined(separator: ","))]"#)
        return "{" + fields.joined(separator: ",") + "}"
    }
}
