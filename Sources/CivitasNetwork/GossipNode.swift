public import CivitasGossip
public import CivitasLedger

/// The network shell of the gossip cores: drives `Membership` (discovery
/// from seeds, SWIM failure detection) and `Plumtree` (dissemination) over
/// a `Transport`, with real time and real timers.
///
/// Each core is a value that takes an input and returns directives; this
/// actor feeds it link events, messages and ticks, and carries out what it
/// returns: messages become frames on the links, dials become `connect`s,
/// disconnects close links, deliveries go to `deliveries`. Time is the
/// monotonic clock in nanoseconds since the node started.
///
/// Not yet here (later work in #5/#6): block sync over the links (the
/// `BlockSync` core exists; block-sync messages are ignored by this shell),
/// and saving the address book to disk.
public actor GossipNode {
    /// A payload delivered to this node (once per message ID).
    public struct Delivery: Sendable, Hashable {
        public var topic: GossipTopic
        public var id: MessageID
        public var payload: [UInt8]
        /// Links the payload crossed to get here.
        public var hops: UInt32
    }

    public let transport: Transport
    private var membership: Membership
    private var plumtree: Plumtree
    private let startedAt = ContinuousClock.now
    private var deliveredList: [Delivery] = []
    private var loops: [Task<Void, Never>] = []
    private let log: @Sendable (String) -> Void

    /// A node that will announce `record` (signed with the node's ledger key,
    /// naming its listen addresses) and join through `seeds` ("host:port").
    public init(transport: Transport, record: PeerRecord, seeds: [String], membershipSettings: MembershipSettings = .init(),
                plumtreeSettings: PlumtreeSettings = .init(), seed: UInt64, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.transport = transport
        membership = Membership(selfRecord: record, seeds: seeds, settings: membershipSettings, seed: seed, now: 0)
        // TLS over TCP: a message queued on a link that stays open arrives.
        var plumtreeSettings = plumtreeSettings
        plumtreeSettings.reliableLinks = true
        plumtree = Plumtree(settings: plumtreeSettings, seed: seed &+ 1)
        self.log = log
    }

    /// Starts consuming link events and running the cores' timers.
    public func start() {
        guard loops.isEmpty else { return }
        let events = transport.events
        loops.append(Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        })
        loops.append(Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let wait = await self.tick()
                try? await Task.sleep(for: wait)
            }
        })
    }

    /// Stops the loops and the transport.
    public func stop() async {
        for task in loops { task.cancel() }
        loops = []
        await transport.shutdown()
    }

    /// Publishes `payload` on `topic` to every node; returns its message ID.
    @discardableResult
    public func broadcast(topic: GossipTopic, payload: [UInt8]) -> MessageID {
        let (id, directives) = plumtree.broadcast(topic: topic, payload: payload, now: now)
        carry(directives)
        return id
    }

    /// Gossip messages sent so far by kind (`GossipMessage.kindName`): messages
    /// queued on a link and their encoded bytes (before the transport's 4-byte
    /// length prefix, TLS and TCP). For reports: where the bytes go.
    public private(set) var sentByKind: [String: MessageCount] = [:]

    /// Messages and bytes of one kind.
    public struct MessageCount: Sendable, Hashable {
        public var messages = 0
        public var bytes = 0
        public init() {}
    }

    /// Everything delivered so far, in order.
    public var deliveries: [Delivery] { deliveredList }
    /// Members this node knows alive (not itself).
    public var liveMembers: [NodeID] { membership.liveMembers }
    /// Nodes with an open link.
    public var linkedPeers: [NodeID] { transport.peers.map(\.identity.nodeID) }

    private var now: GossipTime {
        let elapsed = ContinuousClock.now - startedAt
        return GossipTime(elapsed.components.seconds) * 1_000_000_000 + GossipTime(elapsed.components.attoseconds / 1_000_000_000)
    }

    // MARK: Inputs

    private func handle(_ event: TransportEvent) {
        switch event {
        case let .connected(info):
            let node = info.identity.nodeID
            carry(membership.connected(node, address: info.direction == .outbound ? info.remoteAddress : nil, now: now))
            carry(plumtree.peerUp(node, now: now))
        case let .disconnected(node, _):
            carry(membership.disconnected(node, now: now))
            carry(plumtree.peerDown(node, now: now))
        case .rejected:
            break
        case let .message(from, _, bytes):
            let message: GossipMessage
            do {
                message = try GossipMessage(canonicalBytes: bytes)
            } catch {
                transport.disconnect(from, reason: "malformed gossip message: \(error)")
                return
            }
            switch message {
            case .ping, .ack, .pingRequest, .nack, .sync, .digest:
                carry(membership.receive(message, from: from, now: now))
            case .gossip, .ihave, .graft, .prune:
                carry(plumtree.receive(message, from: from, now: now))
            case .chainStatus, .blockRequest, .blockResponse:
                break // block sync over the links comes with the node (#6)
            }
        }
    }

    /// Runs both cores' timers; returns how long to sleep.
    private func tick() -> Duration {
        let t = now
        carry(membership.tick(now: t))
        carry(plumtree.tick(now: t))
        return .milliseconds(10)
    }

    // MARK: Directives

    private func send(_ message: GossipMessage, to peer: NodeID) {
        let bytes = message.canonicalBytes()
        guard transport.send(bytes, to: peer, traffic: .gossip) == .queued else { return }
        sentByKind[message.kindName, default: MessageCount()].messages += 1
        sentByKind[message.kindName, default: MessageCount()].bytes += bytes.count
    }

    private func carry(_ d: MembershipDirectives) {
        for (to, message) in d.sends { send(message, to: to) }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "membership: \(reason)") }
        for event in d.events { log("membership: \(event)") }
        for (address, node) in d.dials { dial(address, node) }
    }

    private func carry(_ d: PlumtreeDirectives) {
        for s in d.sends { send(s.message, to: s.to) }
        for delivery in d.deliveries {
            deliveredList.append(Delivery(topic: delivery.topic, id: delivery.id, payload: delivery.payload, hops: delivery.hops))
        }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "dissemination: \(reason)") }
    }

    private func dial(_ address: String, _ node: NodeID?) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            carry(membership.dialFailed(address: address, node: node, now: now))
            return
        }
        let host = String(address[..<colon])
        let transport = self.transport
        Task { [weak self] in
            do throws(LinkRejection) {
                _ = try await transport.connect(host: host, port: port)
            } catch {
                // Refused because a link to that node already exists (the
                // other side dialled too): not a failure of the address.
                if let node, transport.peers.contains(where: { $0.identity.nodeID == node }) { return }
                await self?.dialFailed(address, node)
            }
        }
    }

    private func dialFailed(_ address: String, _ node: NodeID?) {
        carry(membership.dialFailed(address: address, node: node, now: now))
    }
}
