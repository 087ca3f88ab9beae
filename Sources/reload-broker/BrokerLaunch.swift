import ArgumentParser
import Logging
import ReloadBroker

/// Creates the broker, turning bind failures into their exit statuses.
func makeBroker(_ configuration: BrokerConfiguration, logger: Logger) throws -> ReloadBroker {
    do {
        return try ReloadBroker(configuration: configuration, logger: logger)
    } catch {
        printError("reload-broker: \(error)")
        switch error {
        case .addressInUse: throw ExitStatus.addressInUse.exitCode
        default: throw ExitStatus.cannotListen.exitCode
        }
    }
}

/// The start-up lines about the network and watching, then runs the broker until it stops.
func announceAndRun(_ broker: ReloadBroker, watched: [String], quiet: Bool) {
    // Bound beyond loopback: where phones and other machines reach it (one line per address).
    for url in broker.networkURLs { print("reload-broker: on your network: \(url)/") }
    if watched.isEmpty {
        print("reload-broker: watching nothing; trigger with: curl -X POST \(broker.url)\(broker.configuration.prefix)/trigger")
    } else {
        print("reload-broker: watching \(watched.joined(separator: ", "))")
    }
    CommandLineOutput.flush()
    broker.run()
    if !quiet { printError("reload-broker: stopped") }
}
