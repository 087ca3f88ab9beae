import ArgumentParser
import ReloadBroker

struct Trigger: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell a running broker to reload every connected page.",
        discussion: """
            Examples:
              reload-broker trigger                          reload every page
              reload-broker trigger --path styles/site.css   swap that stylesheet in place
              reload-broker trigger --path a.css --path b.css  swap both stylesheets
              reload-broker trigger --url http://127.0.0.1:4000/__reload --token "$TOKEN"

            Exit statuses: 0 the broker reached at least one page, 1 it took the reload but no page was
            connected, 7 no broker answered, 8 the broker refused (token, origin) or failed.
            """)

    @Option(help: "The broker's base URL: scheme, host, port and prefix.")
    var url = "http://127.0.0.1:35729/__reload"

    @Option(help: "A changed file; repeatable. Only .css paths (at most 8) swap those stylesheets instead of reloading.")
    var path: [String] = []

    @Option(help: "The broker's token, when it was started with --token.")
    var token: String?

    @Option(help: "Seconds to wait for the broker.")
    var timeout: Double = 5

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        guard TriggerClient(url: url) != nil else {
            throw ValidationError("--url must look like http://127.0.0.1:35729/__reload, not \"\(url)\".")
        }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds.") }
    }

    func run() throws {
        let client = TriggerClient(url: url, paths: path, token: token)!
        switch try client.send(timeoutMilliseconds: UInt64(timeout * 1000)) {
        case .failed(let message):
            printError("reload-broker: no broker answered at \(url): \(message)")
            throw ExitStatus.brokerUnreachable.exitCode
        case .answered(let status, let text):
            guard status == 200 else {
                printError("reload-broker: the broker refused the trigger (\(status)): \(text.split(separator: "\n").first ?? "")")
                throw ExitStatus.triggerRefused.exitCode
            }
            let clients = Int(Self.field("clients", in: text) ?? "") ?? 0
            if !quiet { print("reload-broker: reload sent to \(clients) client\(clients == 1 ? "" : "s")") }
            if clients == 0 { throw ExitStatus.noClients.exitCode }
        }
    }

    static func field(_ name: String, in text: String) -> String? {
        guard let range = text.firstRange(of: "\"\(name)\":") else { return nil }
        return String(text[range.upperBound...].prefix { $0.isNumber })
    }
}
