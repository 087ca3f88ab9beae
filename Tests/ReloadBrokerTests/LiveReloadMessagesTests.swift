import Testing

@testable import ReloadBroker

@Suite("LiveReload protocol 7 messages")
struct LiveReloadMessagesTests {
    @Test func helloNamesProtocol7AndTheServer() {
        #expect(
            LiveReloadMessages.hello()
                == #"{"command":"hello","protocols":["http://livereload.com/protocols/official-7"],"serverName":"reload-broker"}"#)
    }

    @Test func reloadCarriesPathAndLiveFlags() {
        #expect(
            LiveReloadMessages.reload(path: "/style.css")
                == #"{"command":"reload","path":"/style.css","liveCSS":true,"liveImg":true}"#)
        #expect(
            LiveReloadMessages.reload(path: "a\"b</x", liveCSS: false, liveImg: false)
                == #"{"command":"reload","path":"a\"b\u003c/x","liveCSS":false,"liveImg":false}"#)
    }

    @Test func broadcastsEncodeAsReloadCommands() {
        #expect(
            LiveReloadMessages.encode(.css(epoch: 3, path: "/styles/site.css"))
                == #"{"command":"reload","path":"/styles/site.css","liveCSS":true,"liveImg":true}"#)
        // A full reload names a path no stylesheet or image matches.
        #expect(
            LiveReloadMessages.encode(.reload(epoch: 4))
                == #"{"command":"reload","path":"/","liveCSS":true,"liveImg":true}"#)
    }

    @Test func alertEscapesItsMessage() {
        #expect(LiveReloadMessages.alert(message: "Build failed:\n\"x\"") == #"{"command":"alert","message":"Build failed:\n\"x\""}"#)
    }

    @Test func clientHelloOfLivereloadJS() {
        let hello = #"{"command":"hello","protocols":["http://livereload.com/protocols/official-6","http://livereload.com/protocols/official-7"],"ver":"2.2.1"}"#
        #expect(LiveReloadClientMessage.parse(hello) == .hello(.protocol7))
        #expect(
            LiveReloadClientMessage.parse(#"{"command":"hello","protocols":["http://livereload.com/protocols/official-6"]}"#)
                == .hello(.protocol7))
    }

    @Test func extensionProbeIsAConnectionCheck() {
        let probe = #"{"command":"hello","protocols":["http://livereload.com/protocols/connection-check-1"]}"#
        #expect(LiveReloadClientMessage.parse(probe) == .hello(.connectionCheck))
    }

    @Test func helloWithoutAKnownProtocolIsUnsupported() {
        #expect(LiveReloadClientMessage.parse(#"{"command":"hello","protocols":["http://example.com/p"]}"#) == .hello(.unsupported))
        #expect(LiveReloadClientMessage.parse(#"{"command":"hello"}"#) == .hello(.unsupported))
    }

    @Test func infoKeepsTheURL() {
        let info = #"{"command":"info","plugins":{"less":{"version":"1.0"}},"url":"http://127.0.0.1:8000/"}"#
        #expect(LiveReloadClientMessage.parse(info) == .info(url: "http://127.0.0.1:8000/"))
        #expect(LiveReloadClientMessage.parse(#"{"command":"info","plugins":{}}"#) == .info(url: nil))
    }

    @Test func pingUnknownAndInvalid() {
        #expect(LiveReloadClientMessage.parse(#"{"command":"ping"}"#) == .ping)
        #expect(LiveReloadClientMessage.parse(#"{"command":"reload","path":"/"}"#) == .unknown(command: "reload"))
        for text in ["", "null", "[]", "42", #"{"type":"ping"}"#, #"{"command":7}"#, "{", #"{"command":"hello","protocols":"x"}"#] {
            #expect(LiveReloadClientMessage.parse(text) == .invalid, "\(text)")
        }
    }
}
