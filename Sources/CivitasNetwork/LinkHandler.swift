import CivitasCodec
import CivitasIdentity
import CivitasLedger
import Foundation
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// What the TLS handshake found out about the peer, handed from the
/// verification callback (which runs off the event loop) to the link.
final class HandshakeOutcome: Sendable {
    private let state = Mutex<(identity: NodeIdentity?, chain: [[UInt8]], rejection: String?)>((nil, [], nil))

    func verified(_ identity: NodeIdentity, chain: [[UInt8]]) { state.withLock { $0.identity = identity; $0.chain = chain } }
    func rejected(_ reason: String) { state.withLock { $0.rejection = reason } }
    var identity: NodeIdentity? { state.withLock { $0.identity } }
    var chain: [[UInt8]] { state.withLock { $0.chain } }
    var rejection: String? { state.withLock { $0.rejection } }
}

/// Bytes queued per traffic class for one link, shared between `send`
/// (any thread: reserves room or refuses) and the link (releases on write).
final class QueueAccount: Sendable {
    private let used = Mutex<[Int]>([0, 0, 0])
    let limits: [Int]

    init(limits: [TrafficClass: Int]) {
        self.limits = TrafficClass.allCases.map { limits[$0] ?? (16 << 20) }
    }

    func reserve(_ bytes: Int, _ traffic: TrafficClass) -> Bool {
        used.withLock { u in
            let i = Int(traffic.rawValue)
            guard u[i] + bytes <= limits[i] else { return false }
            u[i] += bytes
            return true
        }
    }

    func release(_ bytes: Int, _ traffic: TrafficClass) {
        used.withLock { $0[Int(traffic.rawValue)] -= bytes }
    }

    var queuedBytes: Int { used.withLock { $0.reduce(0, +) } }
}

/// A token bucket on what a peer sends us: frames and bytes per second with
/// a burst allowance. A peer that empties it is flooding.
struct InboundBudget {
    var framesPerSecond: Double
    var bytesPerSecond: Double
    var frames: Double
    var bytes: Double
    var last: NIODeadline

    init(framesPerSecond: Double, bytesPerSecond: Double, burstSeconds: Double, now: NIODeadline) {
        self.framesPerSecond = framesPerSecond
        self.bytesPerSecond = bytesPerSecond
        frames = framesPerSecond * burstSeconds
        bytes = bytesPerSecond * burstSeconds
        last = now
    }

    /// Takes one frame of `size` bytes; false if the budget is exhausted.
    mutating func take(size: Int, now: NIODeadline, burstSeconds: Double) -> Bool {
        let elapsed = Double((now - last).nanoseconds) / 1e9
        last = now
        frames = min(framesPerSecond * burstSeconds, frames + elapsed * framesPerSecond) - 1
        bytes = min(bytesPerSecond * burstSeconds, bytes + elapsed * bytesPerSecond) - Double(size)
        return frames >= 0 && bytes >= 0
    }
}

/// One link after TLS and framing: sends and checks the hello, keeps the link
/// alive, queues outgoing messages by priority and drains them as the
/// channel becomes writable, enforces the inbound budget, and reports
/// everything to the transport. Runs on the channel's event loop.
final class LinkHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias InboundOut = Never
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    enum Phase { case handshaking, awaitingHello, open, closed }

    let direction: LinkDirection
    let remote: String
    private let transport: TransportCore
    private let outcome: HandshakeOutcome
    private let account: QueueAccount
    private let settings: TransportSettings
    private let local: Hello
    private var phase = Phase.handshaking
    private var peer: PeerInfo?
    /// Messages waiting, one queue per traffic class (index = raw value).
    private var queues: [CircularBuffer<[UInt8]>] = [[], [], []]
    /// Message frames are written in batches into this buffer, which is
    /// used again once TLS has sealed its bytes (TLS copies them at the
    /// flush): no fresh allocation, and no fresh pages, per message.
    private var sendBuffer = ByteBuffer()
    /// A drain is already scheduled: sends arriving meanwhile join its batch.
    private var drainScheduled = false
    private var closeReason: String?
    private var helloTimer: Scheduled<Void>?
    private var lastHeard = NIODeadline.now()
    private var pingNonce: UInt64 = 0
    /// When the outstanding ping (`pingNonce`) left, for the round-trip time.
    private var pingSentAt: NIODeadline?
    private var budget: InboundBudget
    private var context: ChannelHandlerContext?
    /// For an outbound link: told when the link opens or is refused.
    private var attempt: EventLoopPromise<PeerInfo>?

    init(direction: LinkDirection, remote: String, transport: TransportCore, outcome: HandshakeOutcome,
         account: QueueAccount, settings: TransportSettings, local: Hello, attempt: EventLoopPromise<PeerInfo>?) {
        self.attempt = attempt
        self.direction = direction
        self.remote = remote
        self.transport = transport
        self.outcome = outcome
        self.account = account
        self.settings = settings
        self.local = local
        budget = InboundBudget(framesPerSecond: settings.inboundFramesPerSecond, bytesPerSecond: settings.inboundBytesPerSecond,
                               burstSeconds: settings.inboundBurstSeconds, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let timeout = TimeAmount(settings.helloTimeout)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        helloTimer = context.eventLoop.scheduleTask(in: timeout) {
            let handler = loopBound.value
            if handler.phase == .handshaking || handler.phase == .awaitingHello {
                handler.close(reason: handler.phase == .handshaking
                    ? "TLS handshake not finished within \(handler.settings.helloTimeout)"
                    : "hello not received within \(handler.settings.helloTimeout)")
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            guard outcome.identity != nil else {
                close(reason: "TLS handshake completed without a verified certificate")
                return
            }
            phase = .awaitingHello
            // The connecting side speaks first; the accepting side answers
            // with its own hello only once it has admitted the link, so a
            // refused `connect` fails with the acceptor's reason.
            if direction == .outbound {
                write(.hello(local), context: context)
                context.flush()
            }
            return
        }
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read, phase == .open {
            if NIODeadline.now() - lastHeard >= TimeAmount(settings.idleTimeout) {
                close(reason: "no traffic for \(settings.idleTimeout)")
            } else {
                sendPing(context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase != .closed else { return }
        let frame: WireFrame
        let size: Int
        switch unwrapInboundIn(data) {
        case let .message(traffic, payload, frameBytes):
            // The hot path: the reader already split off the payload.
            frame = .message(traffic, payload)
            size = frameBytes
        case let .other(buffer):
            size = buffer.readableBytes
            do {
                frame = try buffer.withUnsafeReadableBytes { raw throws(CodecError) in try WireFrame(decoding: raw) }
            } catch {
                countReceived(size)
                close(reason: "malformed frame: \(error)", penalise: true)
                return
            }
        }
        countReceived(size)
        let now = NIODeadline.now()
        lastHeard = now
        switch phase {
        case .handshaking:
            close(reason: "frame before the TLS handshake finished")
        case .awaitingHello:
            if case let .goodbye(reason) = frame {
                close(reason: "refused by the peer: \(reason)", sendGoodbye: false, refusedHandshake: true)
                return
            }
            guard case let .hello(hello) = frame else {
                close(reason: "expected hello, got another frame", penalise: true)
                return
            }
            accept(hello, context: context)
        case .open:
            guard budget.take(size: size, now: now, burstSeconds: settings.inboundBurstSeconds) else {
                close(reason: "flooding: more than \(Int(settings.inboundFramesPerSecond)) frames/s or \(Int(settings.inboundBytesPerSecond)) bytes/s",
                      penalise: true)
                return
            }
            switch frame {
            case .hello:
                close(reason: "second hello", penalise: true)
            case let .ping(nonce):
                write(.pong(nonce), context: context)
                context.flush()
            case let .pong(nonce):
                if nonce == pingNonce, let sent = pingSentAt, let peer {
                    pingSentAt = nil
                    transport.recordRoundTrip(peer.identity.nodeID, seconds: Double((NIODeadline.now() - sent).nanoseconds) / 1e9)
                }
            case let .message(traffic, payload):
                if let peer { transport.deliver(from: peer.identity.nodeID, traffic, payload) }
            case let .goodbye(reason):
                close(reason: "peer said goodbye: \(reason)", sendGoodbye: false)
            }
        case .closed:
            break
        }
    }

    private func countReceived(_ size: Int) {
        transport.traffic.withLock { $0.framesReceived += 1; $0.bytesReceived += size + 4 }
    }

    private func accept(_ hello: Hello, context: ChannelHandlerContext) {
        guard let identity = outcome.identity else {
            close(reason: "no verified certificate", refusedHandshake: true)
            return
        }
        guard hello.agreedVersion(with: local) != nil else {
            close(reason: "no common protocol version: peer speaks \(hello.minVersion)…\(hello.maxVersion), this node \(local.minVersion)…\(local.maxVersion)", refusedHandshake: true)
            return
        }
        guard hello.node == identity.nodeID else {
            close(reason: "hello claims node \(hello.node) but the certificate names \(identity.nodeID)", penalise: true, refusedHandshake: true)
            return
        }
        guard hello.community == identity.community, hello.role == identity.role else {
            close(reason: "hello claims \(hello.community)/\(hello.role) but the certificate says \(identity.community)/\(identity.role)", penalise: true, refusedHandshake: true)
            return
        }
        let info = PeerInfo(identity: identity, direction: direction, remoteAddress: remote, listenAddress: hello.listenAddress)
        let handle = LinkHandle(channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop),
                                account: account, info: info, chain: outcome.chain)
        if let refusal = transport.register(handle) {
            close(reason: refusal)
            return
        }
        helloTimer?.cancel()
        peer = info
        phase = .open
        if direction == .inbound {
            write(.hello(local), context: context)
            context.flush()
        }
        transport.connected(info)
        attempt?.succeed(info)
        attempt = nil
        // A first round trip right away; later ones whenever the link is idle.
        sendPing(context: context)
    }

    private func sendPing(context: ChannelHandlerContext) {
        pingNonce &+= 1
        pingSentAt = NIODeadline.now()
        write(.ping(pingNonce), context: context)
        context.flush()
    }

    // MARK: Sending

    /// A batch of message frames is sealed once it holds this many bytes:
    /// small messages share TLS records, and a consensus message queued
    /// behind a batch of bulk frames waits for at most this much.
    static let batchBytes = 256 << 10
    /// The send buffer is kept between batches up to this capacity (a batch
    /// that grew larger, for a multi-megabyte block, is not held on to).
    static let keptSendBufferCapacity = 1 << 20

    /// Queues a message (room was reserved by `send`) and drains what the
    /// channel takes once the messages sent meanwhile have joined the queue.
    func enqueue(_ traffic: TrafficClass, _ payload: [UInt8]) {
        guard phase == .open, let context else {
            account.release(payload.count, traffic)
            return
        }
        queues[Int(traffic.rawValue)].append(payload)
        guard !drainScheduled else { return }
        drainScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = loopBound.value
            handler.drainScheduled = false
            if let context = handler.context, handler.phase == .open { handler.drain(context: context) }
        }
    }

    /// Writes queued messages, highest class first, while the channel is
    /// writable: frames are packed into the send buffer, sealed and flushed
    /// per batch.
    private func drain(context: ChannelHandlerContext) {
        while context.channel.isWritable, queues.contains(where: { !$0.isEmpty }) {
            sendBuffer.clear()
            var frames = 0
            while sendBuffer.readableBytes < Self.batchBytes, let i = queues.firstIndex(where: { !$0.isEmpty }) {
                let payload = queues[i].removeFirst()
                let traffic = TrafficClass(rawValue: UInt8(i))!
                account.release(payload.count, traffic)
                // Prefix, header and payload straight into the buffer: one copy.
                sendBuffer.reserveCapacity(minimumWritableBytes: 6 + payload.count)
                sendBuffer.writeInteger(UInt32(2 + payload.count))
                sendBuffer.writeInteger(WireFrame.messageKind)
                sendBuffer.writeInteger(traffic.rawValue)
                sendBuffer.writeBytes(payload)
                frames += 1
            }
            let size = sendBuffer.readableBytes
            transport.traffic.withLock { $0.framesSent += frames; $0.bytesSent += size }
            context.write(wrapOutboundOut(sendBuffer), promise: nil)
            context.flush()
        }
        if sendBuffer.capacity > Self.keptSendBufferCapacity { sendBuffer = ByteBuffer() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Writes one frame, its length prefix in the same buffer (so TLS seals
    /// prefix and body together instead of a 4-byte record of its own).
    private func write(_ frame: WireFrame, context: ChannelHandlerContext) {
        // Messages go through `drain`; these are the link's own few frames.
        let bytes = frame.encoded()
        var buffer = context.channel.allocator.buffer(capacity: 4 + bytes.count)
        buffer.writeInteger(UInt32(bytes.count))
        buffer.writeBytes(bytes)
        let size = buffer.readableBytes
        transport.traffic.withLock { $0.framesSent += 1; $0.bytesSent += size }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: Closing

    /// Closes the link once, with a reason the transport reports; `penalise`
    /// marks misbehaviour (the transport keeps such a peer out for a while).
    func close(reason: String, penalise: Bool = false, sendGoodbye: Bool = true, refusedHandshake: Bool = false) {
        guard phase != .closed, let context else { return }
        // Say why, if the peer can still hear it (TLS is up).
        let canSayGoodbye = phase == .open || phase == .awaitingHello
        phase = .closed
        closeReason = reason
        helloTimer?.cancel()
        dropQueued()
        if canSayGoodbye && sendGoodbye {
            write(.goodbye(reason), context: context)
            context.flush()
        }
        transport.closing(peer: peer, remote: remote, direction: direction, reason: reason, penalise: penalise,
                          certificate: outcome.identity, refusedHandshake: refusedHandshake)
        attempt?.fail(LinkRejection(reason))
        attempt = nil
        context.close(promise: nil)
    }

    /// Discards what was queued for a link that is closing, returning its room to the account.
    private func dropQueued() {
        for (i, queue) in queues.enumerated() {
            for payload in queue { account.release(payload.count, TrafficClass(rawValue: UInt8(i))!) }
        }
        queues = [[], [], []]
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason: String
        if let tooLarge = error as? FrameTooLarge {
            reason = "\(tooLarge)"
        } else if let rejection = outcome.rejection {
            reason = rejection
        } else if let tls = error as? NIOSSLError {
            reason = "TLS failed: \(tls)"
        } else {
            reason = "\(error)"
        }
        close(reason: reason, penalise: error is FrameTooLarge, sendGoodbye: false,
              refusedHandshake: phase != .open && (outcome.rejection != nil || error is NIOSSLError))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase != .closed {
            let reason = outcome.rejection ?? (phase == .open ? "connection closed by peer" : "connection closed during the handshake")
            phase = .closed
            helloTimer?.cancel()
            dropQueued()
            transport.closing(peer: peer, remote: remote, direction: direction, reason: reason, penalise: false,
                              certificate: outcome.identity, refusedHandshake: outcome.rejection != nil)
        }
        attempt?.fail(LinkRejection(closeReason ?? outcome.rejection ?? "connection closed"))
        attempt = nil
        transport.closed(peer: peer, direction: direction)
        context.fireChannelInactive()
    }
}
