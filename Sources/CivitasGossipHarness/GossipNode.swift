public import CivitasGossip
public import CivitasLedger
public import CivitasNetwork

/// The gossip cores on their own over real TLS links — a harness for the
/// network tests and the serf benchmark, not part of the node (whose
/// `NodeCore` runs these cores, over a `LinkMultiplexer`): drives
/// `Membership` (discovery from seeds, SWIM failure detection) and
/// `Plumtree` (dissemination) over the links, with real time and real timers.
///
/// Each core is a value that takes an input and returns directives; this
/// actor feeds it link events, messages and ticks, and carries out what it
/// returns: messages become frames on the links, dials become `connect`s,
/// disconnects close links, deliveries go to `deliveries`. Time is the
/// monotonic clock in nanoseconds since the node started.
///
/// A gateway runs a second `Plumtree` for the city overlay: the city topics
/// (checkpoints, referrals) travel over its links to other communities'
/// gateways, the community topics over its links inside the community; which
/// overlay a message belongs to follows from the link it came on.
///
/// With an `addressBook` file, the book `Membership` keeps is loaded at start
/// (a damaged file is moved aside and reported, and the node starts from its
/// seeds) and saved when it has changed, at most every `bookSaveInterval`, and at stop.
///
/// With a `ChainSyncConfiguration`, the node also runs block sync over its
/// community links (ChainSync.swift): it tells peers its height, fetches
/// ranges from several peers at once when it is behind, and serves ranges.
public actor GossipNode {
    /// A payload delivered to this node (once per message ID).
    public struct Delivery: Sendable, Hashable {
        public var topic: GossipTopic
        public var id: MessageID
        public var payload: [UInt8]
        /// Links the payload crossed to get here.
        public var hops: UInt32
    }

    public let links: LinkMultiplexer
    public var transport: Transport { links.transport }
    private var membership: Membership
    private var plumtree: Plumtree
    /// The city overlay (gateways only).
    private var city: Plumtree?
    private let community: CommunityID
    /// Links to other communities' gateways (the city overlay's neighbours).
    private var foreignPeers: Set<NodeID> = []
    private let bookFile: AddressBookFile?
    private var savedBook: AddressBook
    private var lastBookSave: ContinuousClock.Instant?
    /// Least time between two saves of a changed address book.
    public static let bookSaveInterval: Duration = .seconds(30)
    private let startedAt = ContinuousClock.now
    private var deliveredList: [Delivery] = []
    private var loops: [Task<Void, Never>] = []
    let log: @Sendable (String) -> Void
    /// Block sync (nil: this node neither fetches nor serves blocks).
    var chainSync: ChainSyncState?

    /// A node that will announce `record` (signed with the node's ledger key,
    /// naming its listen addresses) and join through `seeds` ("host:port").
    /// `addressBook`, if given, is where the learnt peers are kept across restarts.
    public init(transport: Transport, record: PeerRecord, seeds: [String], membershipSettings: MembershipSettings = .init(),
                plumtreeSettings: PlumtreeSettings = .init(), addressBook: AddressBookFile? = nil,
                chainSync: ChainSyncConfiguration? = nil, seed: UInt64,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        links = LinkMultiplexer(transport: transport)
        let book = addressBook?.loadOrQuarantine(report: log) ?? AddressBook()
        membership = Membership(selfRecord: record, seeds: seeds, addressBook: book, settings: membershipSettings, seed: seed, now: 0)
        // TLS over TCP: a message queued on a link that stays open arrives.
        var plumtreeSettings = plumtreeSettings
        plumtreeSettings.reliableLinks = true
        plumtree = Plumtree(settings: plumtreeSettings, seed: seed &+ 1)
        if record.role == .gateway {
            var citySettings = plumtreeSettings
            citySettings.topics = Set(GossipTopic.allCases.filter { !$0.isCommunityTopic })
            city = Plumtree(settings: citySettings, seed: seed &+ 2)
        }
        community = record.community
        bookFile = addressBook
        savedBook = membership.addressBook
        self.chainSync = chainSync.map(ChainSyncState.init)
        self.log = log
    }

    /// Starts consuming link events and running the cores' timers.
    public func start() {
        guard loops.isEmpty else { return }
        links.start()
        let links = self.links
        loops.append(Task { [weak self] in
            for await _ in links.wakeups {
                guard let self else { return }
                for input in links.take() { await self.handle(input) }
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
        saveAddressBook()
        await links.stop()
    }

    /// Publishes `payload` on `topic` to every node; returns its message ID.
    /// City topics are published by gateways only (a precondition).
    @discardableResult
    public func broadcast(topic: GossipTopic, payload: [UInt8]) -> MessageID {
        if topic.isCommunityTopic {
            let (id, directives) = plumtree.broadcast(topic: topic, payload: payload, now: now)
            carry(directives)
            return id
        }
        precondition(city != nil, "only a gateway publishes on the city topic \(topic)")
        let (id, directives) = city!.broadcast(topic: topic, payload: payload, now: now)
        carry(directives)
        return id
    }

    /// The address book as `Membership` keeps it now.
    public var addressBook: AddressBook { membership.addressBook }

    /// Gossip messages sent so far by kind (`LinkMultiplexer.sentByKind`).
    public nonisolated var sentByKind: [String: LinkMultiplexer.MessageCount] { links.sentByKind }

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

    /// Link events and messages; the city overlay (a gateway's links to other
    /// communities) has its own Plumtree.
    private func handle(_ input: LinkMultiplexer.Input) {
        switch input {
        case let .up(node, address, peerCommunity):
            carry(membership.connected(node, address: address, now: now))
            if peerCommunity != community && city != nil {
                foreignPeers.insert(node)
                carry(city!.peerUp(node, now: now))
            } else {
                carry(plumtree.peerUp(node, now: now))
                syncPeerUp(node)
            }
        case let .down(node):
            carry(membership.disconnected(node, now: now))
            if foreignPeers.remove(node) != nil {
                carry(city!.peerDown(node, now: now))
            } else {
                carry(plumtree.peerDown(node, now: now))
                syncPeerDown(node, now: now)
            }
        case .consensus:
            break
        case let .dialFailed(address, node):
            carry(membership.dialFailed(address: address, node: node, now: now))
        case let .gossip(from, message):
            switch message {
            case .ping, .ack, .pingRequest, .nack, .sync, .digest:
                carry(membership.receive(message, from: from, now: now))
            case .gossip, .ihave, .graft, .prune:
                if foreignPeers.contains(from) {
                    carry(city!.receive(message, from: from, now: now))
                } else {
                    carry(plumtree.receive(message, from: from, now: now))
                }
            case .chainStatus, .blockRequest, .blockResponse:
                // Block sync runs inside the community only.
                guard !foreignPeers.contains(from) else { return }
                syncReceive(message, from: from, now: now)
            }
        }
    }

    /// Runs the cores' timers; returns how long to sleep.
    private func tick() -> Duration {
        let t = now
        carry(membership.tick(now: t))
        carry(plumtree.tick(now: t))
        if city != nil { carry(city!.tick(now: t)) }
        if chainSync != nil { syncTick(now: t, community: transport.peers.map(\.identity.nodeID).filter { !foreignPeers.contains($0) }) }
        if let last = lastBookSave, ContinuousClock.now - last < Self.bookSaveInterval {} else { saveAddressBook() }
        return .milliseconds(10)
    }

    // MARK: Directives

    /// Queues `message` for `peer` (`LinkMultiplexer.send`: a full queue closes the link).
    nonisolated func send(_ message: GossipMessage, to peer: NodeID, traffic: TrafficClass = .gossip) {
        links.send(message, to: peer, traffic: traffic)
    }

    private func carry(_ d: MembershipDirectives) {
        for (to, message) in d.sends { send(message, to: to) }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "membership: \(reason)") }
        for event in d.events { log("membership: \(event)") }
        for (address, node) in d.dials { links.dial(address, expecting: node) }
    }

    private func carry(_ d: PlumtreeDirectives) {
        for s in d.sends { send(s.message, to: s.to) }
        for delivery in d.deliveries {
            deliveredList.append(Delivery(topic: delivery.topic, id: delivery.id, payload: delivery.payload, hops: delivery.hops))
        }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "dissemination: \(reason)") }
    }

    /// Saves the book if it changed since the last save (a failure is logged
    /// and retried at the next interval: the book is a cache, seeds still work).
    private func saveAddressBook() {
        guard let bookFile else { return }
        lastBookSave = ContinuousClock.now
        let book = membership.addressBook
        guard book != savedBook else { return }
        do throws(AddressBookFile.LoadError) {
            try bookFile.save(book)
            savedBook = book
        } catch {
            log("\(error)")
        }
    }
}
