// Micro-benchmarks of the broker's pure protocol code: what one request, one handshake,
// one frame and one injected page cost in time and allocations.
//
// Throughput is operations per second (one op = one iteration below); divide the
// input size by the time per op for bytes per second. Thresholds: allocation counts
// are exact (a new malloc on these paths is a regression); time may double at p50
// before `baseline check` fails: the machine is shared, and sub-microsecond cases are bimodal
// here (Parse:Masked125B runs at ~350 or ~650 ns from one run to the next).

import Benchmark
import HTMLInjection
import HTTPCodec
import WebSocketCodec

/// A Chrome 126 page navigation: the head the broker parses most (every page load it serves or proxies).
let chromeRequestHead = Array((
    "GET /docs/index.html?utm=1 HTTP/1.1\r\n"
    + "Host: 127.0.0.1:35729\r\n"
    + "Connection: keep-alive\r\n"
    + "sec-ch-ua: \"Not/A)Brand\";v=\"8\", \"Chromium\";v=\"126\", \"Google Chrome\";v=\"126\"\r\n"
    + "sec-ch-ua-mobile: ?0\r\n"
    + "sec-ch-ua-platform: \"Linux\"\r\n"
    + "Upgrade-Insecure-Requests: 1\r\n"
    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n"
    + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    + "application/signed-exchange;v=b3;q=0.7\r\n"
    + "Sec-Fetch-Site: same-origin\r\n"
    + "Sec-Fetch-Mode: navigate\r\n"
    + "Sec-Fetch-User: ?1\r\n"
    + "Sec-Fetch-Dest: document\r\n"
    + "Referer: http://127.0.0.1:35729/\r\n"
    + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    + "Accept-Language: en-US,en;q=0.9\r\n"
    + "Cookie: session=4f1c2a9e8b7d6c5e4f3a2b1c0d9e8f7a; theme=dark\r\n"
    + "\r\n").utf8)

/// Chrome's WebSocket upgrade request for the broker's endpoint.
let chromeUpgradeHead: RequestHead = {
    var parser = HTTPRequestParser()
    parser.append(Array((
        "GET /__reload/ws HTTP/1.1\r\n"
        + "Host: 127.0.0.1:35729\r\n"
        + "Connection: Upgrade\r\n"
        + "Pragma: no-cache\r\n"
        + "Cache-Control: no-cache\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n"
        + "Upgrade: websocket\r\n"
        + "Origin: http://127.0.0.1:35729\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Accept-Language: en-US,en;q=0.9\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        + "\r\n").utf8))
    return try! parser.nextRequest()!.head
}()

let mask: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xfa, 0x21, 0x3d)
/// A masked client text frame with a 125-byte payload (the largest with a 7-bit length).
let masked125 = WebSocketFrameEncoder.text(String(repeating: "a", count: 125), maskingKey: mask)
/// A masked client binary frame of 64 KiB.
let masked64KiB = WebSocketFrameEncoder.binary([UInt8](repeating: 0x5a, count: 64 * 1024), maskingKey: mask)

/// A 100 KiB HTML page with the `</body>` near the end, where the snippet goes.
let page100KiB: [UInt8] = {
    var html = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Docs</title>\n"
        + "<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
    var paragraph = 0
    while html.utf8.count < 100 * 1024 - 200 {
        paragraph += 1
        html += "<p class=\"text\">Paragraph \(paragraph): <a href=\"/page/\(paragraph)\">lorem ipsum</a> dolor sit amet, "
            + "consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p>\n"
    }
    html += "<script src=\"/app.js\"></script>\n</body>\n</html>\n"
    return Array(html.utf8)
}()
let snippet = #"<script src="/__reload/client.js" data-reload-broker="1" data-epoch="0" defer></script>"#

func inject(chunkSize: Int) -> Int {
    var injector = HTMLInjector(snippet: snippet)
    var total = 0
    page100KiB.withUnsafeBufferPointer { page in
        var offset = 0
        while offset < page.count {
            let end = min(offset + chunkSize, page.count)
            total &+= injector.feed(UnsafeBufferPointer(rebasing: page[offset..<end]).span).count
            offset = end
        }
    }
    total &+= injector.finish().count
    precondition(injector.didInject)
    return total
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(2),
        maxIterations: 100_000,
        thresholds: [
            .mallocCountTotal: .init(relative: [.p50: 0, .p90: 0], absolute: [.p50: 0, .p90: 0]),
            .wallClock: .init(relative: [.p50: 100]),
            .throughput: .init(relative: [.p50: 100]),
        ]
    )

    Benchmark("HTTP:Parse:ChromeRequestHead") { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = HTTPRequestParser()
            parser.append(chromeRequestHead)
            blackHole(try parser.nextRequest())
        }
    }

    Benchmark("WebSocket:Handshake") { benchmark in
        for _ in benchmark.scaledIterations {
            guard case .upgrade(let response) = WebSocketHandshake.evaluate(chromeUpgradeHead) else {
                fatalError("the upgrade was refused")
            }
            blackHole(response.serialized())
        }
    }

    Benchmark("WebSocket:Frame:Parse:Masked125B") { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = WebSocketParser(role: .server)
            parser.append(masked125)
            blackHole(try parser.next())
        }
    }

    Benchmark("WebSocket:Frame:Parse:64KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = WebSocketParser(role: .server, maxMessageBytes: 128 * 1024)
            parser.append(masked64KiB)
            blackHole(try parser.next())
        }
    }

    Benchmark("WebSocket:Frame:Encode:Reload") { benchmark in
        for epoch in benchmark.scaledIterations {
            blackHole(WebSocketFrameEncoder.text(#"{"type":"reload","epoch":\#(epoch)}"#))
        }
    }

    Benchmark("HTMLInjection:100KiB:1B-chunks", configuration: .init(maxIterations: 1_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(inject(chunkSize: 1))
        }
    }

    Benchmark("HTMLInjection:100KiB:16KiB-chunks") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(inject(chunkSize: 16 * 1024))
        }
    }
}
