public import CivitasIdentity
public import CivitasLedger
public import Foundation
public import NIOCore
public import NIOPosix
import NIOSSL
import Synchronization

/// Which side opened a link.
public enum LinkDirection: String, Sendable, Hashable {
    case inbound, outbound
}

/// A peer on an open link: who its certificate says it is, and where it is.
public struct PeerInfo: Sendable, Hashable {
    public var identity: NodeIdentity
    public var direction: LinkDirection
    /// The address of the TCP connection's other end.
    public var remoteAddress: String
    /// Where the peer says it accepts connections ("host:port"; empty if it does not listen).
    public var listenAddress: String
}

/// What happens on the links, in order, for the node (and its log).
public enum TransportEvent: Sendable, Hashable {
    /// A link passed TLS, certificate checks and the hello.
    case connected(PeerInfo)
    /// An open link closed.
    case disconnected(NodeID, reason: String)
    /// A connection refused before it opened (TLS, certificate, hello,
    /// limits, a ban), with the reason.
    case rejected(remote: String, reason: String)
    /// A message from a peer.
    case message(from: NodeID, TrafficClass, [UInt8])
}

/// One line of the transport's log. Refused handshakes (a certificate or TLS
/// error, a hello that contradicts the certificate) are warnings an operator
/// chasing a misconfiguration needs; the rest is debug detail.
public struct TransportLogLine: Sendable, CustomStringConvertible {
    public enum Level: Sendable { case debug, warning }
    public var level: Level
    public var message: String
    public var description: String { message }
}

/// Bytes and frames through a transport since it started.
public struct TransportTraffic: Sendable, Hashable {
    public var framesSent = 0, bytesSent = 0, framesReceived = 0, bytesReceived = 0
    public init() {}
}

/// The outcome of `send`.
public enum SendResult: Sendable, Hashable {
    case queued
    /// No open link to that node.
    case noLink
    /// The peer's queue for that traffic class is full: it is not keeping up.
    case queueFull
}

/// An open link as the transport keeps it.
struct LinkHandle: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<LinkHandler>
    let account: QueueAccount
    let info: PeerInfo
    let chain: [[UInt8]]
}

/// The transport's shared state, used by every link's handler.
final class TransportCore: Sendable {
    struct State {
        var links: [NodeID: LinkHandle] = [:]
        var inbound = 0
        var outbound = 0
        var banned: [NodeID: ContinuousClock.Instant] = [:]
        var stopped = false
        /// Maintained addresses ("host:port") that currently have an open link.
        var linkedAddresses: [String: NodeID] = [:]
        /// Where this node listens ("host:port" once bound), for the hello.
        var listenAddress = ""
    }

    let local: NodeID
    let settings: TransportSettings
    let state = Mutex(State())
    /// Frame bytes written and read on every link (length prefixes included,
    /// TLS record overhead not), for reports and benchmarks.
    let traffic = Mutex(TransportTraffic())
    /// The last measured ping round trip per linked peer, in seconds.
    let roundTrips = Mutex<[NodeID: Double]>([:])
    let continuation: AsyncStream<TransportEvent>.Continuation
    private let logLine: @Sendable (TransportLogLine) -> Void
    /// Per remote host: when its last refusal was logged as a warning, and how many were not since.
    private let warned = Mutex<[String: (at: ContinuousClock.Instant, suppressed: Int)]>([:])

    func log(_ message: String) { logLine(TransportLogLine(level: .debug, message: message)) }

    /// A refused handshake, as a warning: at most one per remote host a minute
    /// (a stranger retrying a bad certificate must not flood the log).
    func warnRefused(remote: String, _ message: String) {
        let host = remote.split(separator: ":").dropLast().joined(separator: ":")
        let now = ContinuousClock.now
        let suppressed: Int? = warned.withLock { w in
            if let last = w[host], now - last.at < .seconds(60) {
                w[host]!.suppressed += 1
                return nil
            }
            if w.count > 4_096 { w = w.filter { now - $0.value.at < .seconds(60) } }
            let count = w[host]?.suppressed ?? 0
            w[host] = (now, 0)
            return count
        }
        guard let suppressed else { return log(message) }
        let more = suppressed > 0 ? " (\(suppressed) more from \(host) in the last minute)" : ""
        logLine(TransportLogLine(level: .warning, message: message + more))
    }

    func recordRoundTrip(_ node: NodeID, seconds: Double) {
        roundTrips.withLock { $0[node] = seconds }
    }

    init(local: NodeID, settings: TransportSettings, continuation: AsyncStream<TransportEvent>.Continuation,
         log: @escaping @Sendable (TransportLogLine) -> Void) {
        self.local = local
        self.settings = settings
        self.continuation = continuation
        logLine = log
    }

    /// Admits an open link, or says why not (banned, or a duplicate that loses the tie-break).
    func register(_ handle: LinkHandle) -> String? {
        let node = handle.info.identity.nodeID
        if node == local { return "the peer is this node itself" }
        enum Decision { case admit(replacing: LinkHandle?), refuse(String) }
        let decision = state.withLock { s -> Decision in
            if s.stopped { return .refuse("the transport is shutting down") }
            if let until = s.banned[node] {
                if ContinuousClock.now < until { return .refuse("node \(node) is kept out after misbehaving") }
                s.banned[node] = nil
            }
            var replaced: LinkHandle? = nil
            if let existing = s.links[node] {
                // Both ends keep the link opened by the lower node ID, so a
                // simultaneous connect leaves exactly one link, the same on both sides.
                let initiator = { (h: LinkHandle) in h.info.direction == .outbound ? self.local : node }
                let keepNew = initiator(handle) == min(local, node) && initiator(existing) != min(local, node)
                guard keepNew else { return .refuse("already linked to node \(node)") }
                replaced = existing
            }
            s.links[node] = handle
            if handle.info.direction == .outbound { s.linkedAddresses[handle.info.remoteAddress] = node }
            return .admit(replacing: replaced)
        }
        switch decision {
        case let .refuse(reason):
            return reason
        case let .admit(replacing: old):
            if let old {
                old.channel.eventLoop.execute { old.handler.value.close(reason: "replaced by a link opened by the lower node ID") }
            }
            return nil
        }
    }

    func connected(_ info: PeerInfo) {
        log("link to \(info.identity) (\(info.direction), \(info.remoteAddress)) open")
        continuation.yield(.connected(info))
    }

    func deliver(from node: NodeID, _ traffic: TrafficClass, _ payload: [UInt8]) {
        continuation.yield(.message(from: node, traffic, payload))
    }

    /// A link is closing: unregister it, ban the peer if it misbehaved, report why.
    /// `refusedHandshake`: TLS, the certificate or the hello was refused (not a connection that merely dropped).
    func closing(peer: PeerInfo?, remote: String, direction: LinkDirection, reason: String, penalise: Bool, certificate: NodeIdentity?,
                 refusedHandshake: Bool = false) {
        let banUntil = ContinuousClock.now + settings.banDuration
        let wasTheLink = state.withLock { s -> Bool in
            if penalise, let node = peer?.identity.nodeID ?? certificate?.nodeID { s.banned[node] = banUntil }
            guard let peer, let current = s.links[peer.identity.nodeID], current.info == peer else { return false }
            s.links[peer.identity.nodeID] = nil
            if peer.direction == .outbound { s.linkedAddresses[peer.remoteAddress] = nil }
            return true
        }
        if let peer, !wasTheLink {
            // A duplicate that lost the tie-break: the node is still linked,
            // so the node is not told it disconnected.
            log("duplicate link to \(peer.identity) closed: \(reason)")
        } else if let peer {
            log("link to \(peer.identity) closed: \(reason)")
            continuation.yield(.disconnected(peer.identity.nodeID, reason: reason))
        } else if refusedHandshake {
            warnRefused(remote: remote, "connection \(direction) \(remote) refused: \(reason)")
            continuation.yield(.rejected(remote: remote, reason: reason))
        } else {
            log("connection \(direction) \(remote) refused: \(reason)")
            continuation.yield(.rejected(remote: remote, reason: reason))
        }
    }

    /// The connection is gone: free its slot.
    func closed(peer: PeerInfo?, direction: LinkDirection) {
        state.withLock { s in
            if direction == .inbound { s.inbound -= 1 } else { s.outbound -= 1 }
        }
    }
}

/// TLS 1.3 links with mutual authentication between Civitas nodes.
///
/// Every connection runs: TCP → TLS 1.3 (both sides present certificates,
/// each checked against the federation trust bundle, validity and
/// revocation lists, community and role) → 4-byte length-prefixed frames
/// (frames announcing more than `maxFrameBytes` close the link as soon as
/// their length arrives) → the
/// hello (protocol versions, and a node ID that must be the certificate's)
/// → messages, keepalives and a goodbye. Outgoing messages wait in per-peer
/// queues by traffic class (consensus first) with byte limits, drained as
/// the socket becomes writable. A peer that floods, sends malformed frames
/// or lies in its hello is disconnected and kept out for `banDuration`.
///
/// Addresses given to `maintain` are reconnected forever, with exponential
/// backoff and jitter: a configured seed is never given up on.
public final class Transport: Sendable {
    public let settings: TransportSettings
    public let credentials: TLSCredentialStore
    /// Everything that happens on the links. One consumer.
    public let events: AsyncStream<TransportEvent>
    private let core: TransportCore
    private let group: any EventLoopGroup
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let maintainers = Mutex<[String: Task<Void, Never>]>([:])

    /// A transport for the node named by `credentials` (its certificate).
    /// `log` receives one line per connection event (default: nothing);
    /// refused handshakes come as warnings, at most one per remote host a minute.
    public init(credentials: TLSCredentialStore, settings: TransportSettings = TransportSettings(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                log: @escaping @Sendable (TransportLogLine) -> Void = { _ in }) {
        self.settings = settings
        self.credentials = credentials
        self.group = group
        let (stream, continuation) = AsyncStream<TransportEvent>.makeStream(bufferingPolicy: .unbounded)
        events = stream
        core = TransportCore(local: credentials.credentials.snapshot.node.identity.nodeID, settings: settings,
                             continuation: continuation, log: log)
    }

    /// This node's ID (from its certificate).
    public var nodeID: NodeID { core.local }

    /// Frames and bytes sent and received so far.
    public var traffic: TransportTraffic { core.traffic.withLock { $0 } }

    /// The peers with open links.
    /// The last ping round trip measured to `node` (on opening the link and
    /// whenever it is idle), if any.
    public func roundTrip(to node: NodeID) -> Duration? {
        core.roundTrips.withLock { $0[node] }.map { .nanoseconds(Int64($0 * 1e9)) }
    }

    public var peers: [PeerInfo] { core.state.withLock { $0.links.values.map(\.info) } }

    /// Starts accepting connections; returns the port bound (pass 0 for any).
    @discardableResult
    public func listen(host: String, port: Int) async throws -> Int {
        let core = self.core
        let settings = self.settings
        let credentials = self.credentials
        let hello = self.hello
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: Self.receiveBuffers)
            .childChannelInitializer { channel in
                let remote = channel.remoteAddress?.description ?? "unknown"
                let admitted = core.state.withLock { s -> Bool in
                    guard !s.stopped, s.inbound < settings.maxInbound else { return false }
                    s.inbound += 1
                    return true
                }
                guard admitted else {
                    core.continuation.yield(.rejected(remote: remote, reason: "inbound connection limit (\(settings.maxInbound)) reached"))
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, direction: .inbound, remote: remote, core: core, settings: settings,
                                       credentials: credentials.credentials, hello: hello(), attempt: nil)
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        serverChannel.withLock { $0 = channel }
        let bound = channel.localAddress?.port ?? port
        core.state.withLock { $0.listenAddress = "\(host):\(bound)" }
        return bound
    }

    /// The hello this node sends (its listen address as bound).
    private var hello: @Sendable () -> Hello {
        let identity = credentials.credentials.snapshot.node.identity
        let core = self.core
        return { Hello(node: identity.nodeID, community: identity.community, role: identity.role, listenAddress: core.state.withLock { $0.listenAddress }) }
    }

    /// Opens one link to `host:port`; returns the peer once the link is open,
    /// or throws `LinkRejection` with the reason it was refused.
    @discardableResult
    public func connect(host: String, port: Int) async throws(LinkRejection) -> PeerInfo {
        let admitted = core.state.withLock { s -> Bool in
            guard !s.stopped, s.outbound < self.settings.maxOutbound else { return false }
            s.outbound += 1
            return true
        }
        guard admitted else { throw LinkRejection("outbound connection limit (\(self.settings.maxOutbound)) reached or shutting down") }
        let core = self.core
        let settings = self.settings
        let credentials = self.credentials.credentials
        let hello = self.hello()
        let remote = "\(host):\(port)"
        let attempt = group.next().makePromise(of: PeerInfo.self)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: Self.receiveBuffers)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, direction: .outbound, remote: remote, core: core, settings: settings,
                                       credentials: credentials, hello: hello, attempt: attempt)
                }
            }
        do {
            _ = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            core.state.withLock { $0.outbound -= 1 }
            attempt.fail(LinkRejection("cannot connect to \(remote): \(error)"))
        }
        do {
            return try await attempt.futureResult.get()
        } catch let rejection as LinkRejection {
            throw rejection
        } catch {
            throw LinkRejection("\(error)")
        }
    }

    /// Keeps a link to `host:port` open for as long as the transport runs:
    /// reconnects after every close or failure, waiting `reconnectBase`
    /// doubled per consecutive failure up to `reconnectMax`, times a random
    /// factor in [0.5, 1.5). Never gives up.
    public func maintain(host: String, port: Int) {
        let key = "\(host):\(port)"
        let core = self.core
        let settings = self.settings
        let task = Task { [weak self] in
            var failures = 0
            var random = SystemRandomNumberGenerator()
            while !Task.isCancelled {
                guard let self else { return }
                let linked = core.state.withLock { $0.linkedAddresses[key] != nil }
                if !linked {
                    do throws(LinkRejection) {
                        _ = try await self.connect(host: host, port: port)
                        failures = 0
                    } catch {
                        failures += 1
                    }
                }
                let base = failures == 0 ? settings.reconnectBase : settings.reconnectBase * (1 << min(failures - 1, 20))
                let delay = min(base, settings.reconnectMax) * Double.random(in: 0.5..<1.5, using: &random)
                try? await Task.sleep(for: delay)
            }
        }
        maintainers.withLock { $0[key]?.cancel(); $0[key] = task }
    }

    /// Queues `payload` for `node`. Never blocks: a full queue is refused.
    public func send(_ payload: [UInt8], to node: NodeID, traffic: TrafficClass) -> SendResult {
        guard let link = core.state.withLock({ $0.links[node] }) else { return .noLink }
        guard payload.count + 16 <= settings.maxFrameBytes else { return .queueFull }
        guard link.account.reserve(payload.count, traffic) else { return .queueFull }
        let handler = link.handler
        link.channel.eventLoop.execute { handler.value.enqueue(traffic, payload) }
        return .queued
    }

    /// Closes the link to `node`, saying why.
    public func disconnect(_ node: NodeID, reason: String) {
        guard let link = core.state.withLock({ $0.links[node] }) else { return }
        let handler = link.handler
        link.channel.eventLoop.execute { handler.value.close(reason: reason) }
    }

    /// Re-reads the certificate files (new handshakes use them; open links stay),
    /// then re-checks every open link's certificate against the new trust
    /// bundle and revocation lists, closing those that no longer pass.
    @discardableResult
    public func reloadCertificates(now: Date = Date()) async throws(LinkRejection) -> [TrustChange] {
        let changes = try credentials.reload()
        await recheckLinks(now: now)
        return changes
    }

    /// Closes every open link whose certificate the current credentials refuse.
    public func recheckLinks(now: Date = Date()) async {
        let current = credentials.credentials
        let links = core.state.withLock { Array($0.links.values) }
        for link in links {
            do throws(PeerCertificateError) {
                _ = try await current.verify(chainDER: link.chain, now: now)
            } catch {
                let handler = link.handler
                link.channel.eventLoop.execute { handler.value.close(reason: "certificate no longer accepted: \(error)") }
            }
        }
    }

    /// Stops reconnecting, closes every link and the listener.
    public func shutdown() async {
        let tasks = maintainers.withLock { m -> [Task<Void, Never>] in
            let all = Array(m.values)
            m = [:]
            return all
        }
        for task in tasks { task.cancel() }
        let links = core.state.withLock { s -> [LinkHandle] in
            s.stopped = true
            return Array(s.links.values)
        }
        for link in links {
            let handler = link.handler
            link.channel.eventLoop.execute { handler.value.close(reason: "node shutting down") }
            try? await link.channel.closeFuture.get()
        }
        if let server = serverChannel.withLock({ $0 }) { try? await server.close() }
        core.continuation.finish()
    }

    /// Reads of up to 256 KiB: a block or a catch-up range arrives in a few
    /// reads instead of dozens (NIO's default grows from 2 KiB to 64 KiB).
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 2048, initial: 16 << 10, maximum: 256 << 10)

    /// The pipeline of one connection.
    static func configure(channel: any Channel, direction: LinkDirection, remote: String, core: TransportCore,
                          settings: TransportSettings, credentials: TLSCredentials, hello: Hello,
                          attempt: EventLoopPromise<PeerInfo>?) throws {
        let outcome = HandshakeOutcome()
        let verify: NIOSSLCustomVerificationCallback = { certificates, promise in
            let chain = certificates.compactMap { try? $0.toDERBytes() }
            Task {
                do throws(PeerCertificateError) {
                    let identity = try await credentials.verify(chainDER: chain, now: Date())
                    outcome.verified(identity, chain: chain)
                    promise.succeed(.certificateVerified)
                } catch {
                    outcome.rejected("certificate refused: \(error)")
                    promise.succeed(.failed)
                }
            }
        }
        let tls: any ChannelHandler = direction == .inbound
            ? NIOSSLServerHandler(context: credentials.serverContext, customVerificationCallback: verify)
            : try NIOSSLClientHandler(context: credentials.clientContext, serverHostname: nil, customVerificationCallback: verify)
        let link = LinkHandler(direction: direction, remote: remote, transport: core, outcome: outcome,
                               account: QueueAccount(limits: settings.queueLimitBytes), settings: settings, local: hello,
                               attempt: attempt)
        let keepalive = TimeAmount(settings.keepaliveInterval)
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(tls)
        // Frames in: split by the reader. Frames out: the link writes each
        // with its length prefix.
        try sync.addHandler(FrameReader(maxFrameBytes: settings.maxFrameBytes))
        try sync.addHandler(IdleStateHandler(readTimeout: keepalive))
        try sync.addHandler(link)
    }
}
