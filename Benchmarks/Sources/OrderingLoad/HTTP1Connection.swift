// A minimal persistent HTTP/1.1 client connection on SwiftNIO: one request at
// a time (no pipelining), keep-alive, a per-request timeout that closes the
// connection.
import NIOCore
import NIOHTTP1
import NIOPosix

struct HTTPReply: Sendable {
    var status: Int
    var body: String
    /// False when the server will close the connection after this reply.
    var keepAlive: Bool
}

enum HTTPClientError: Error, CustomStringConvertible {
    case connectionClosed
    case busy
    case timeout

    var description: String {
        switch self {
        case .connectionClosed: return "connection closed before the response"
        case .timeout: return "timeout"
        case .busy: return "a request is already in flight on this connection"
        }
    }
}

/// A request with the promise for its reply, written into the pipeline.
struct HTTPExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var promise: EventLoopPromise<HTTPReply>
}

final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPReply>?
    private var status = 0
    private var keepAlive = true
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.promise.fail(HTTPClientError.busy)
            promise?.fail(HTTPClientError.busy)
            return
        }
        pending = exchange.promise
        status = 0
        body.clear()
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            status = Int(h.status.code)
            keepAlive = h.isKeepAlive
        case var .body(b):
            // Only the start of an error text is kept.
            if body.readableBytes < 4096 { body.writeBuffer(&b) }
        case .end:
            let p = pending
            pending = nil
            p?.succeed(HTTPReply(status: status, body: String(buffer: body), keepAlive: keepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let p = pending
        pending = nil
        p?.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let p = pending
        pending = nil
        p?.fail(HTTPClientError.connectionClosed)
        context.fireChannelInactive()
    }
}

final class HTTP1Connection: Sendable {
    let channel: any Channel
    let hostHeader: String

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTP1Connection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHTTPClientHandlers()
                    try ch.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        return HTTP1Connection(channel: channel, hostHeader: "\(host):\(port)")
    }

    private init(channel: any Channel, hostHeader: String) {
        self.channel = channel
        self.hostHeader = hostHeader
    }

    var isActive: Bool { channel.isActive }

    func post(_ uri: String, body: [UInt8], contentType: String, timeout: TimeAmount) async throws -> HTTPReply {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: uri)
        head.headers.add(name: "Host", value: hostHeader)
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(body.count))
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        let channel = self.channel
        // A request that outlives its timeout fails and closes the connection.
        // (NIO ignores a second completion of a promise, so the handler, the
        // timer and a failed write may all try.)
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPClientError.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush(HTTPExchange(head: head, body: ByteBuffer(bytes: body), promise: promise))
            .whenFailure { error in
                promise.fail(error)
                channel.close(promise: nil)
            }
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}
