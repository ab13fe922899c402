import CivitasCodec
import CivitasLedger
@testable import CivitasNode
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

/// Clients that are slow, lie, hold connections or send broken bytes, against
/// a real client API server on loopback (short timeouts, small caps). Each
/// one gets a JSON refusal or is cut off; nothing reaches the node; the
/// server keeps answering others.
@Suite(.serialized) struct HostileHTTPClientTests {
    static var limits: HTTPServerLimits {
        var l = HTTPServerLimits()
        l.readTimeout = .milliseconds(400)
        l.idleTimeout = .milliseconds(400)
        l.writeTimeout = .milliseconds(400)
        l.maxConnections = 24
        l.maxConnectionsPerAddress = 6
        l.maxHeaderBytes = 4_096
        return l
    }

    /// Runs `body` against a client API server on an ephemeral loopback port.
    static func withServer(_ service: FakeNodeService, limits: HTTPServerLimits = limits, metrics: NodeMetrics = NodeMetrics(),
                           _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        var settings = ClientAPI.Settings()
        settings.maxBodyBytes = 2_048
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try NodeHTTPServer(router: ClientAPI.router(service: service, metrics: metrics, settings: settings),
                                        key: "api.client_listen", address: HostPort(host: "127.0.0.1", port: 0),
                                        name: "test-client-api", limits: limits, metrics: metrics,
                                        logger: Logger(label: "test"), onRunning: { continuation.yield($0) })
        try await withRunningServer(server) {
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            try await body(port)
        }
    }

    /// A well-behaved request on a fresh connection from `source`: the server still answers.
    static func serves(_ port: Int, from source: String = "127.0.0.9") async throws -> Bool {
        let c = try await RawHTTPConnection.open(port: port, from: source)
        try await c.send("GET /v1/blocks/head HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
        let answer = await c.closedByServer()
        return answer?.status == 200
    }

    let chain = TestChain()

    @Test func slowHeadersAreCutWithA408() async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            let c = try await RawHTTPConnection.open(port: port)
            try await c.send("POST /v1/transactions HTTP/1.1\r\nHost: node\r\n")
            // A header byte now and then: the headers never complete.
            let drip = Task {
                for byte in Array("X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                    try await Task.sleep(for: .milliseconds(50))
                    try await c.send([byte])
                }
            }
            defer { drip.cancel() }
            let answer = try #require(await c.closedByServer(), "the server kept a slow-header connection open")
            #expect(answer.status == 408)
            #expect(answer.reason.contains("did not arrive within"))
            #expect(try await Self.serves(port))
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func aSlowBodyIsCut() async throws {
        let service = try FakeNodeService(chain: chain)
        let tx = Array(chain.freshTransaction().encoded())
        try await Self.withServer(service) { port in
            let c = try await RawHTTPConnection.open(port: port)
            try await c.send("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/octet-stream\r\n"
                             + "Content-Length: \(tx.count)\r\n\r\n")
            let drip = Task {
                for byte in tx {
                    try await Task.sleep(for: .milliseconds(50))
                    try await c.send([byte])
                }
            }
            defer { drip.cancel() }
            #expect(await c.closedByServer() != nil, "the server kept a slow-body connection open")
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func aLyingContentLengthIsRefusedOrCut() async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            // Claims 10 MB: refused at once, before any body is read.
            let big = try await RawHTTPConnection.open(port: port)
            try await big.send("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/octet-stream\r\n"
                               + "Content-Length: 10000000\r\n\r\n0123456789")
            let refused = try #require(await big.closedByServer(), "a 10 MB claim kept the connection open")
            #expect(refused.status == 413)
            #expect(refused.reason == "the body is 10000000 bytes, larger than 2048")
            // Claims 500 bytes within the limit and sends 10: cut at the read timeout.
            let short = try await RawHTTPConnection.open(port: port)
            try await short.send("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/octet-stream\r\n"
                                 + "Content-Length: 500\r\n\r\n0123456789")
            #expect(await short.closedByServer() != nil, "a body shorter than its Content-Length kept the connection open")
            #expect(try await Self.serves(port))
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func idleConnectionsAreShedAndTheServerKeepsAnswering() async throws {
        let service = try FakeNodeService(chain: chain)
        let metrics = NodeMetrics()
        try await Self.withServer(service, metrics: metrics) { port in
            // 4 addresses × 8 connections that send half a request and hold:
            // 6 per address are taken (the cap), the other 2 closed at once.
            var held: [RawHTTPConnection] = []
            for a in 2...5 {
                for _ in 0..<8 {
                    let c = try await RawHTTPConnection.open(port: port, from: "127.0.0.\(a)")
                    // The server may already have closed one over its address's limit.
                    try? await c.send("GET /v1/blocks/head HTTP/1.1\r\nHost: node\r\n")
                    held.append(c)
                }
            }
            // The server answers others while they hold, and sheds every one of them.
            #expect(try await Self.serves(port, from: "127.0.0.20"))
            var shed = 0
            for c in held where await c.closedByServer() != nil { shed += 1 }
            #expect(shed == held.count, "\(held.count - shed) idle connections were never closed")
            let text = metrics.render()
            #expect(text.contains("reason=\"per_address_limit\""), "no per-address refusal counted:\n\(text)")
            #expect(text.contains("reason=\"head_timeout\""), "no head timeout counted:\n\(text)")
            #expect(try await Self.serves(port))
        }
    }

    @Test func atTheConnectionCapNewConnectionsWaitAndAreServedOnceTheIdleAreShed() async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            // Fill the server's 24 connections from 4 addresses (6 each).
            var held: [RawHTTPConnection] = []
            for a in 2...5 {
                for _ in 0..<6 { held.append(try await RawHTTPConnection.open(port: port, from: "127.0.0.\(a)")) }
            }
            // One more, from a fifth address: it waits in the backlog (the
            // server refuses to accept, it does not fail), and is served
            // once the holders are shed at their read timeout.
            #expect(try await Self.serves(port, from: "127.0.0.30"))
            for c in held { #expect(await c.closedByServer() != nil) }
        }
    }

    @Test(arguments: [
        ("UTF-16 with a byte-order mark", [0xFE, 0xFF] + Array("{\"transaction\":\"00\"}".utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] },
         "byte-order mark"),
        ("UTF-16LE without one", Array("{\"transaction\":\"00\"}".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "not UTF-8 text"),
        ("UTF-32BE", Array("{\"transaction\":\"00\"}".unicodeScalars).flatMap { [0, 0, 0, UInt8($0.value)] }, "not UTF-8 text"),
        ("invalid UTF-8", Array("{\"transaction\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8), "not valid UTF-8"),
    ] as [(String, [UInt8], String)])
    func jsonThatIsNotUTF8IsRefused(name: String, body: [UInt8], reason: String) async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            let c = try await RawHTTPConnection.open(port: port)
            try await c.send(Array("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n".utf8)
                             + Array("Content-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
            let answer = try #require(await c.closedByServer())
            #expect(answer.status == 400, "\(name): \(answer.text)")
            #expect(answer.reason.contains(reason), "\(name): \(answer.reason)")
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func aCharsetOtherThanUTF8IsRefused() async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            let c = try await RawHTTPConnection.open(port: port)
            let body = "{\"transaction\":\"\(Hex.encode(chain.freshTransaction().encoded()))\"}"
            try await c.send("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json; charset=utf-16\r\n"
                             + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            let answer = try #require(await c.closedByServer())
            #expect(answer.status == 415)
            #expect(answer.reason == "charset 'utf-16' is not utf-8")
        }
        #expect(service.submissions.isEmpty)
    }

    @Test(arguments: [
        ("raw 0xFF bytes in the request line", Array("GET /v1/blocks/".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: node\r\n\r\n".utf8),
         400, "invalid"),
        ("a chunk size that is not hexadecimal",
         Array("POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".utf8),
         400, "chunk"),
        ("headers larger than the limit", Array("GET /v1/blocks/head HTTP/1.1\r\nHost: node\r\nX-Big: \(String(repeating: "a", count: 8_000))\r\n\r\n".utf8),
         431, "larger than"),
        ("not HTTP at all", Array("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\r\n\r\n".utf8), 400, "malformed"),
    ] as [(String, [UInt8], Int, String)])
    func malformedRequestsGetAJSONReason(name: String, request: [UInt8], status: Int, reason: String) async throws {
        let service = try FakeNodeService(chain: chain)
        try await Self.withServer(service) { port in
            let c = try await RawHTTPConnection.open(port: port)
            try await c.send(request)
            let answer = try #require(await c.closedByServer(), "\(name): the connection stayed open")
            #expect(answer.status == status, "\(name): \(answer.text)")
            #expect(answer.header("content-type") == "application/json", "\(name): \(answer.text)")
            #expect(answer.reason.contains(reason), "\(name): \(answer.reason)")
            #expect(try await Self.serves(port))
        }
        #expect(service.submissions.isEmpty)
    }
}

/// The guard's write deadline on an in-memory channel: a response the client
/// stops reading (the socket stays unwritable) closes the connection; one
/// that drains in time does not.
@Suite struct HTTPConnectionGuardWriteTests {
    static func connection() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.pipeline.syncOperations.addHandler(
            HTTPConnectionGuard(limits: HostileHTTPClientTests.limits, ledger: ConnectionLedger(perAddress: 4), shed: { _ in }))
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: "node", path: "/v1/blocks/1")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        return (channel, loop)
    }

    @Test func aResponseTheClientDoesNotReadIsAbandoned() throws {
        let (channel, loop) = try Self.connection()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        loop.advanceTime(by: .milliseconds(300))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive, "a response stalled past the write timeout kept its connection")
    }

    @Test func aResponseThatDrainsInTimeKeepsItsConnection() throws {
        let (channel, loop) = try Self.connection()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        loop.advanceTime(by: .milliseconds(300))
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        loop.advanceTime(by: .milliseconds(300))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
