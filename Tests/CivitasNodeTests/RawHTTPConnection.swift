import CivitasNode
import Foundation
import NIOCore
import NIOPosix

/// A TCP connection that sends whatever bytes a test gives it — the way a
/// hostile or broken client would — and collects everything the server sends
/// until it closes the connection.
final class RawHTTPConnection: Sendable {
    let channel: any Channel
    /// Every byte the server sent, once it closed the connection.
    let received: EventLoopFuture<[UInt8]>

    private init(channel: any Channel, received: EventLoopFuture<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    /// Connects to `127.0.0.1:port` from `source` (any 127.x.y.z address is this host on Linux).
    static func open(port: Int, from source: String = "127.0.0.1", connectTimeout: Duration = .seconds(10)) async throws -> RawHTTPConnection {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.any().makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(TimeAmount.nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000
                                                    + connectTimeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(promise)) }
            }
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port).get()
        return RawHTTPConnection(channel: channel, received: promise.futureResult)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// What the server sent before closing, or nil if it has not closed within
    /// `limit` (a generous bound: the server's own timeouts are far shorter).
    func closedByServer(within limit: Duration = .seconds(10)) async -> RawHTTPAnswer? {
        let received = self.received
        return await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try? await received.get() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first.map(RawHTTPAnswer.init)
        }
    }

    func close() { channel.close(promise: nil) }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private var bytes: [UInt8] = []
        private let promise: EventLoopPromise<[UInt8]>
        init(_ promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += unwrapInboundIn(data).readableBytesView
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(bytes)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// The bytes a server answered on a connection, read as HTTP/1.1 responses.
struct RawHTTPAnswer: Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The first response's status code (nil if nothing came).
    var status: Int? {
        let line = text.prefix { $0 != "\r" }
        guard line.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(line.dropFirst(9).prefix(3))
    }
    /// The first response's body (as long as its Content-Length says).
    var body: String {
        guard let range = text.range(of: "\r\n\r\n") else { return "" }
        let rest = text[range.upperBound...]
        guard let length = header("content-length").flatMap({ Int($0) }) else { return String(rest) }
        return String(decoding: Array(rest.utf8).prefix(length), as: UTF8.self)
    }
    /// The `error` of the first response's JSON body ("" if none).
    var reason: String {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.utf8)).error) ?? ""
    }
    func header(_ name: String) -> String? {
        for line in text.components(separatedBy: "\r\n") {
            if line.isEmpty { return nil }
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
