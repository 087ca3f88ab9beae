// A complete program that embeds the broker: it starts one on its own thread,
// serves a page that carries the client script, triggers reloads and stops it.
// Build and run: swift run embedded-example
import ReloadBroker

var configuration = BrokerConfiguration()
configuration.port = 0  // any free port; 35729 by default

let broker = try ReloadBroker(configuration: configuration)
try broker.start()  // the broker's event loop now runs on its own thread
print("broker listening on \(broker.url)")

// Your app renders pages with the script tag in <head> (absolute when the app is on another port):
print("put this in your pages: \(broker.scriptTag(origin: broker.url))")

// After your code changed, from any thread:
broker.reload()                           // every tab reloads
broker.reload(path: "styles/site.css")    // tabs swap that stylesheet in place
if let reached = broker.reloadAndWait() { // or wait and learn how many tabs it reached
    print("reload reached \(reached) client(s); epoch is now \(broker.epoch)")
}

broker.stop()  // close frames to every tab, done within the grace period (1 s)
print("broker stopped")
