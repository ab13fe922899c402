public import CivitasGossip
public import CivitasLedger
import Synchronization

/// The node's links, as one object: what the node talks to on the network.
/// It turns the transport's events into one ordered queue of inputs —
/// consensus frames (undecoded), gossip messages (decoded; a malformed one
/// closes its link), links opening and closing — and carries the node's
/// sends, dials and disconnects to the transport. It decides nothing about
/// what a message means: the node does.
///
/// The node takes the inputs in batches (`take()` after each `wakeups`
/// signal): everything that arrived while it was busy is handled together,
/// so a burst of Raft appends costs one fsync and one set of replies.
public final class LinkMultiplexer: Sendable {
    /// One input for the node, in the order the links produced them.
    public enum Input: Sendable {
        case consensus(from: NodeID, [UInt8])
        case gossip(from: NodeID, GossipMessage)
        /// A link to `node` opened; `address` is the one dialled (nil for an
        /// inbound link); `community` is the peer's (a gateway's link to
        /// another community's gateway has another).
        case up(NodeID, address: String?, community: CommunityID)
        case down(NodeID)
        /// A dial the node asked for failed.
        case dialFailed(address: String, node: NodeID?)
    }

    public let transport: Transport
    /// A signal for the one consumer: inputs wait in `take()`.
    public let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let queue = Mutex<(inputs: [Input], finished: Bool)>(([], false))
    private let reader = Mutex<Task<Void, Never>?>(nil)
    private let sentCounts = Mutex<[String: MessageCount]>([:])

    /// Messages and bytes of one kind.
    public struct MessageCount: Sendable, Hashable {
        public var messages = 0
        public var bytes = 0
        public init() {}
    }

    public init(transport: Transport) {
        self.transport = transport
        (wakeups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Every input that arrived since the last call, in order.
    public func take() -> [Input] {
        queue.withLock { q in
            defer { q.inputs = [] }
            return q.inputs
        }
    }

    /// Queues `input` and wakes the consumer if it was idle.
    private func push(_ input: Input) {
        let wasEmpty = queue.withLock { q -> Bool in
            guard !q.finished else { return false }
            q.inputs.append(input)
            return q.inputs.count == 1
        }
        if wasEmpty { continuation.yield() }
    }

    /// Starts turning the transport's events into inputs.
    public func start() {
        let events = transport.events
        let transport = self.transport
        reader.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in
                for await event in events {
                    switch event {
                    case let .connected(info):
                        let address = info.direction == .outbound ? info.remoteAddress : nil
                        push(.up(info.identity.nodeID, address: address, community: info.identity.community))
                    case let .disconnected(node, _):
                        push(.down(node))
                    case .rejected:
                        break
                    case let .message(from, traffic, bytes):
                        if traffic == .consensus {
                            push(.consensus(from: from, bytes))
                            continue
                        }
                        do {
                            push(.gossip(from: from, try GossipMessage(canonicalBytes: bytes)))
                        } catch {
                            transport.disconnect(from, reason: "malformed gossip message: \(error)")
                        }
                    }
                }
            }
        }
    }

    /// Stops the inputs and the transport.
    public func stop() async {
        reader.withLock { $0?.cancel() }
        queue.withLock { $0.finished = true }
        continuation.finish()
        await transport.shutdown()
    }

    // MARK: Sending

    /// Queues a consensus-class frame for `peer` (dropped without a link).
    public func send(consensus bytes: [UInt8], to peer: NodeID) {
        _ = transport.send(bytes, to: peer, traffic: .consensus)
    }

    /// Queues `message` for `peer`. A full queue closes the link: the cores
    /// count a message queued on an open link as delivered (`reliableLinks`),
    /// so a link that drops one must not stay open; the peer's departure then
    /// makes dissemination repair through others and the link is dialled again later.
    public func send(_ message: GossipMessage, to peer: NodeID, traffic: TrafficClass = .gossip) {
        let bytes = message.canonicalBytes()
        switch transport.send(bytes, to: peer, traffic: traffic) {
        case .queued: break
        case .noLink: return
        case .queueFull:
            transport.disconnect(peer, reason: "its \(traffic) queue is full: not keeping up")
            return
        }
        sentCounts.withLock {
            $0[message.kindName, default: MessageCount()].messages += 1
            $0[message.kindName, default: MessageCount()].bytes += bytes.count
        }
    }

    /// Opens a link to `address` ("host:port") where `node` (if known) is
    /// expected; a failure comes back as `.dialFailed` (a link to that node
    /// already open, the other side having dialled too, is no failure).
    public func dial(_ address: String, expecting node: NodeID?) {
        let transport = self.transport
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            push(.dialFailed(address: address, node: node))
            return
        }
        let host = String(address[..<colon])
        Task { [self] in
            do throws(LinkRejection) {
                _ = try await transport.connect(host: host, port: port)
            } catch {
                if let node, transport.peers.contains(where: { $0.identity.nodeID == node }) { return }
                push(.dialFailed(address: address, node: node))
            }
        }
    }

    public func disconnect(_ peer: NodeID, reason: String) {
        transport.disconnect(peer, reason: reason)
    }

    /// Gossip messages sent so far by kind (`GossipMessage.kindName`): messages
    /// queued on a link and their encoded bytes (before the transport's 4-byte
    /// length prefix, TLS and TCP). For reports: where the bytes go.
    public var sentByKind: [String: MessageCount] { sentCounts.withLock { $0 } }
}
