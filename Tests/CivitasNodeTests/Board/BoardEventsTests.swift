import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `/v1/board/events` on a real server: the head on connect, each applied
/// block after it, a limit on open streams, and graceful shutdown not held
/// up by an open page.
@Suite(.serialized) struct BoardEventsTests {
    /// A plain TCP client reading an HTTP stream as it arrives (blocking reads on a thread of its own).
    final class StreamClient: @unchecked Sendable {
        private let fd: Int32
        private let received = Mutex("")
        private let queue = DispatchQueue(label: "sse-client")

        init(port: Int, path: String) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw Chromium.Failure("cannot connect to 127.0.0.1:\(port): errno \(errno)") }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
        }

        deinit { close(fd) }

        var text: String { received.withLock { $0 } }

        /// How a read ended.
        enum ReadEnd { case found, closed, timedOut }

        /// Reads until `marker` has arrived (true); false if the peer closed or `timeout` passed first.
        func read(until marker: String, timeout: Duration = .seconds(10)) async -> Bool {
            await readEnd(until: marker, timeout: timeout) == .found
        }

        /// Reads until `marker` has arrived (or, without one, until the peer closes), or `timeout` passed.
        func readEnd(until marker: String?, timeout: Duration = .seconds(10)) async -> ReadEnd {
            await readEnd(until: marker.map { m in { @Sendable (text: String) in text.contains(m) } }, timeout: timeout)
        }

        /// Block events received so far (one on connect, then one per applied block).
        var blockEvents: Int { text.components(separatedBy: "event: block\n").count - 1 }

        /// Waits for a block event beyond the first `count`; false if none came within `timeout`.
        func nextBlockEvent(after count: Int, timeout: Duration) async -> Bool {
            await readEnd(until: { $0.components(separatedBy: "event: block\n").count - 1 > count }, timeout: timeout) == .found
        }

        /// Reads until what arrived satisfies `done` (or, without it, until the peer closes), or `timeout` passed.
        private func readEnd(until done: (@Sendable (String) -> Bool)?, timeout: Duration) async -> ReadEnd {
            let deadline = ContinuousClock.now + timeout
            return await withCheckedContinuation { continuation in
                queue.async { [self] in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while ContinuousClock.now < deadline {
                        if let done, done(text) { return continuation.resume(returning: .found) }
                        let n = recv(fd, &buffer, buffer.count, 0)
                        if n == 0 { return continuation.resume(returning: .closed) }
                        if n > 0 { received.withLock { $0 += String(decoding: buffer[0..<n], as: UTF8.self) } }
                    }
                    continuation.resume(returning: done.map { $0(text) } == true ? .found : .timedOut)
                }
            }
        }
    }

    /// Block 4 on top of the test chain (one transaction, which the rules refuse; the head moves all the same).
    static func nextBlock(_ chain: TestChain) -> SealedBlock {
        let last = chain.blocks.last!.header
        let block = Block(community: TestChain.community, height: last.height + 1, previous: last.hash, time: last.time + 60_000, proposer: 0,
                          transactions: [chain.freshTransaction("wang", nonce: 2)])
        let hash = block.header.hash
        return SealedBlock(block: block, certificate: CommitCertificate(height: block.header.height, headerHash: hash, votes: chain.validators.enumerated().map {
            BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash)
        }))
    }

    /// Serves the client API of `service` as a node does (NodeHTTPServer, with its connection limits and
    /// timeouts) on a free loopback port, in a service group of its own; runs `body` with the port.
    /// (Not `NodeLifecycle.serviceGroup`: its SIGHUP handler would race LifecycleTests' own signals.)
    static func serving(_ service: FakeNodeService, settings: ClientAPI.Settings, _ body: @escaping @Sendable (Int, ServiceGroup) async throws -> Void) async throws {
        let port = Mutex(0)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try NodeHTTPServer(router: ClientAPI.router(service: service, settings: settings), key: "api.client_listen",
                                        address: HostPort(host: "127.0.0.1", port: 0), name: "civitas-client-api",
                                        limits: HTTPServerLimits(), logger: logger, onRunning: { bound in
                                            port.withLock { $0 = bound }
                                            startedContinuation.yield()
                                        })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [.init(service: server)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for await _ in started { break }
            try await body(port.withLock { $0 }, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func anOpenPageHearsOfEachBlockAndShutdownDoesNotWaitForIt() async throws {
        let chain = TestChain()
        let service = try FakeNodeService(chain: chain)
        let shutDownAt = Mutex<ContinuousClock.Instant?>(nil)
        try await Self.serving(service, settings: ClientAPI.Settings()) { port, group in
            let stream = try StreamClient(port: port, path: "/v1/board/events")
            #expect(await stream.read(until: "\"height\":3"), "no head event: \(stream.text)")
            #expect(stream.text.contains("HTTP/1.1 200") && stream.text.contains("text/event-stream"))
            #expect(stream.text.contains("retry: 3000") && stream.text.contains("event: block") && stream.text.contains("id: 3"))
            _ = try service.state.apply(Self.nextBlock(chain))
            let hash = Self.nextBlock(chain).header.hash.hex
            #expect(await stream.read(until: "\"height\":4"), "no event for block 4: \(stream.text)")
            #expect(stream.text.contains(hash))
            // SIGTERM's graceful shutdown ends the stream rather than waiting for the page to leave.
            shutDownAt.withLock { $0 = .now }
            await group.triggerGracefulShutdown()
            // The server closes the stream (without the shutdown handler it never would: the
            // server waits for the response to end, and this read times out).
            #expect(await stream.readEnd(until: nil, timeout: .seconds(25)) == .closed)
        }
        let took = ContinuousClock.now - (shutDownAt.withLock { $0 } ?? .now)
        #expect(took < .seconds(25), "shutdown waited \(took) for the open stream")
    }

    @Test func streamsBeyondTheLimitAreRefusedWith503() async throws {
        let service = try FakeNodeService(chain: TestChain())
        var settings = ClientAPI.Settings()
        settings.board.maxEventStreams = 2
        try await Self.serving(service, settings: settings) { port, _ in
            let first = try StreamClient(port: port, path: "/v1/board/events")
            let second = try StreamClient(port: port, path: "/v1/board/events")
            let firstOpen = await first.read(until: "event: block")
            let secondOpen = await second.read(until: "event: block")
            #expect(firstOpen && secondOpen)
            let third = try StreamClient(port: port, path: "/v1/board/events")
            _ = await third.read(until: "}")
            #expect(third.text.hasPrefix("HTTP/1.1 503"), "\(third.text)")
            #expect(third.text.contains("{\"error\":\"2 event streams are open on this node already; try again later\"}"))
        }
    }
}
