import HTTPCodec
import UVLoop

/// Asks the app whether it is up: connects and (unless `connectOnly`) waits for a status line.
final class UpstreamProbe: TCPConnectionDelegate {
    unowned let proxy: ProxyState
    let connectOnly: Bool
    private var connection: TCPConnection?
    private var timer: LoopTimer?
    private var received: [UInt8] = []
    private var finished = false

    init(proxy: ProxyState, connectOnly: Bool) {
        self.proxy = proxy
        self.connectOnly = connectOnly
    }

    func start() {
        let timer = LoopTimer(loop: proxy.loop)
        self.timer = timer
        timer.start(after: min(proxy.timeout, 5000)) { [weak self] in self?.finish(answered: false) }
        TCPConnection.connect(
            loop: proxy.loop, host: proxy.configuration.upstreamHost, port: proxy.configuration.upstreamPort
        ) { [weak self] result in
            guard let self else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .failure:
                self.finish(answered: false)
            case .success(let connection):
                guard !self.finished else {
                    connection.close()
                    return
                }
                self.connection = connection
                if self.connectOnly {
                    self.finish(answered: true)
                    return
                }
                connection.delegate = self
                connection.startReading()
                let headers: HTTPHeaders = [
                    "Host": self.proxy.configuration.authority, "User-Agent": "reload-broker-probe",
                    "Connection": "close",
                ]
                connection.write(RequestHead(method: "HEAD", target: "/", headers: headers).serialized())
            }
        }
    }

    func cancel() {
        finished = true
        timer?.close()
        timer = nil
        connection?.close()
        connection = nil
    }

    private func finish(answered: Bool) {
        guard !finished else { return }
        cancel()
        proxy.probeFinished(self, answered: answered)
    }

    func connection(_ connection: TCPConnection, didRead bytes: Span<UInt8>) {
        for index in bytes.indices where received.count < 16 { received.append(bytes[index]) }
        if received.count >= 12 { finish(answered: received.starts(with: Array("HTTP/1.".utf8))) }
    }

    func connectionDidReachEndOfInput(_ connection: TCPConnection) { finish(answered: false) }
    func connectionDidDrain(_ connection: TCPConnection) {}
    func connectionDidClose(_ connection: TCPConnection, error: UVError?) { finish(answered: false) }
}
