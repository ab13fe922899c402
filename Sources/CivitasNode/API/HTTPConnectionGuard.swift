import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// Open connections per remote address, shared by every connection of one
/// server. A connection over its address's limit is refused at once.
final class ConnectionLedger: Sendable {
    private let perAddress: Int
    private let counts = Mutex<[String: Int]>([:])

    init(perAddress: Int) { self.perAddress = perAddress }

    /// Counts a new connection from `address`; false (and not counted) if that address is at its limit.
    func open(_ address: String) -> Bool {
        counts.withLock { counts in
            let n = counts[address, default: 0]
            guard n < perAddress else { return false }
            counts[address] = n + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLock { counts in
            let n = counts[address, default: 0]
            counts[address] = n > 1 ? n - 1 : nil
        }
    }

    var open: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// Why a connection was closed by the server rather than by its client.
enum ShedReason: String, Sendable {
    case perAddressLimit = "per_address_limit"
    case headTimeout = "head_timeout"
    case bodyTimeout = "body_timeout"
    case idleTimeout = "idle_timeout"
    case writeTimeout = "write_timeout"
}

/// One connection's guard, placed after HTTP decoding (Hummingbird's
/// `additionalChannelHandlers`): it enforces `HTTPServerLimits`' timeouts and
/// per-address limit, and turns the server's empty answer to a malformed
/// request into the API's JSON error.
///
/// Deadlines, by what the connection is doing:
/// - waiting for a request's head: `readTimeout` on a new connection (a
///   client that connects and trickles its headers), `idleTimeout` between
///   keep-alive requests;
/// - reading a request: its head and body within `readTimeout` of the head;
/// - answering: none while the node works on it (a `wait=committed` is
///   bounded by the API), but a response the client stops reading for
///   `writeTimeout` closes the connection.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        case awaitingHead(fresh: Bool)
        case readingRequest
        case answering
    }

    private let limits: HTTPServerLimits
    private let ledger: ConnectionLedger
    private let shed: @Sendable (ShedReason) -> Void
    private var phase = Phase.awaitingHead(fresh: true)
    /// Requests whose head arrived and whose response has not ended.
    private var unanswered = 0
    private var address: String?
    private var readDeadline: Scheduled<Void>?
    private var writeDeadline: Scheduled<Void>?
    /// The decoder's error, while the server answers it (`HTTPParserError`).
    private var parseError: HTTPParserError?
    /// The JSON body replacing the server's empty error answer, written before its end.
    private var pendingErrorBody: ByteBuffer?

    init(limits: HTTPServerLimits, ledger: ConnectionLedger, shed: @escaping @Sendable (ShedReason) -> Void) {
        self.limits = limits
        self.ledger = ledger
        self.shed = shed
    }

    // MARK: Connection

    func handlerAdded(context: ChannelHandlerContext) {
        let remote = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard ledger.open(remote) else {
            shed(.perAddressLimit)
            context.close(promise: nil)
            return
        }
        address = remote
        arm(context, limits.readTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        readDeadline?.cancel()
        writeDeadline?.cancel()
        if let address {
            ledger.close(address)
            self.address = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        readDeadline?.cancel()
        writeDeadline?.cancel()
        if let address {
            ledger.close(address)
            self.address = nil
        }
        context.fireChannelInactive()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            phase = .readingRequest
            arm(context, limits.readTimeout)
        case .body:
            break
        case .end:
            phase = .answering
            readDeadline?.cancel()
            readDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parse = error as? HTTPParserError { parseError = parse }
        context.fireErrorCaught(error)
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response):
            // The server answers a request its decoder refused with an empty
            // 400 (`Connection: close`); the API promises a JSON reason.
            if let error = parseError, unanswered == 0 || response.headerFields[.connection] == "close",
               response.status.code == 400, response.headerFields[.contentLength] == "0" {
                let (status, reason) = Self.describe(error)
                let body = ByteBuffer(bytes: Array(JSONBody.data(ErrorBody(error: reason))))
                response.status = status
                response.headerFields[.contentType] = "application/json"
                response.headerFields[.contentLength] = String(body.readableBytes)
                pendingErrorBody = body
            }
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            if let body = pendingErrorBody {
                pendingErrorBody = nil
                context.write(wrapOutboundOut(.body(body)), promise: nil)
            }
            context.write(data, promise: promise)
            unanswered = max(0, unanswered - 1)
            if unanswered == 0, case .answering = phase {
                phase = .awaitingHead(fresh: false)
                arm(context, limits.idleTimeout)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeDeadline?.cancel()
            writeDeadline = nil
        } else if writeDeadline == nil {
            let loop = context.eventLoop.assumeIsolated()
            writeDeadline = loop.scheduleTask(in: TimeAmount(limits.writeTimeout)) { [self] in
                writeDeadline = nil
                guard !context.channel.isWritable else { return }
                shed(.writeTimeout)
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Deadlines

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration) {
        readDeadline?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        readDeadline = loop.scheduleTask(in: TimeAmount(timeout)) { [self] in
            readDeadline = nil
            expired(context)
        }
    }

    private func expired(_ context: ChannelHandlerContext) {
        switch phase {
        case let .awaitingHead(fresh):
            guard unanswered == 0 else { return }
            if fresh {
                // Nothing is in flight on this connection: say why it closes.
                shed(.headTimeout)
                let body = ByteBuffer(bytes: Array(JSONBody.data(ErrorBody(
                    error: "the request's headers did not arrive within \(limits.readTimeout)"))))
                var response = HTTPResponse(status: .requestTimeout)
                response.headerFields[.contentType] = "application/json"
                response.headerFields[.contentLength] = String(body.readableBytes)
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                shed(.idleTimeout)
            }
            context.close(promise: nil)
        case .readingRequest:
            // The route may be reading the body: closing is the only safe answer.
            shed(.bodyTimeout)
            context.close(promise: nil)
        case .answering:
            break
        }
    }

    /// The status and one-line reason for a request the HTTP decoder refused.
    static func describe(_ error: HTTPParserError) -> (HTTPResponse.Status, String) {
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge, "the request line and headers are larger than this server accepts")
        case .invalidChunkSize, .invalidEOFState:
            return (.badRequest, "malformed chunked body: a chunk size is not hexadecimal or the body ended early")
        case .invalidCharactersUsed, .invalidConstant, .lfExpected, .strictModeAssertion:
            return (.badRequest, "malformed HTTP request: invalid characters in the request line or headers")
        case .invalidMethod:
            return (.badRequest, "malformed HTTP request: unknown method")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            return (.badRequest, "malformed HTTP request: invalid request target")
        case .invalidVersion:
            return (.badRequest, "malformed HTTP request: not HTTP/1.x")
        case .invalidContentLength, .unexpectedContentLength:
            return (.badRequest, "malformed HTTP request: invalid Content-Length")
        default:
            return (.badRequest, "malformed HTTP request: \(error)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.nanoseconds)
    }
}
