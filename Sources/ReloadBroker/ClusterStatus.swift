/// What `/health` shows of the cluster (shared across loops; written by the primary loop).
struct ClusterStatus: Sendable {
    var redis: String
    var channel: String
    var state: ClusterState.Link = .connecting
    var lastEpoch: Int?
    var outages = 0
    var lastError: String?

    var json: String {
        let state = switch self.state {
        case .connecting: "connecting"
        case .linked: "connected"
        case .away: "away"
        }
        var fields = [
            #""redis":"\#(Messages.jsonEscaped(redis))""#,
            #""channel":"\#(Messages.jsonEscaped(channel))""#,
            #""state":"\#(state)""#,
            #""connected":\#(self.state == .linked)"#,
            #""lastEpoch":\#(lastEpoch.map(String.init) ?? "null")"#,
            #""outages":\#(outages)"#,
        ]
        if let lastError { fields.append(#""lastError":"\#(Messages.jsonEscaped(lastError))""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
