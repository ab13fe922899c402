public import CivitasGossip
public import CivitasLedger
import CivitasTime
import Synchronization

/// The network shell of the gossip cores: drives `Membership` (discovery
/// from seeds, SWIM failure detection) and `Plumtree` (dissemination) over
/// a `Transport`, with real time and real timers.
///
/// Each core is a value that takes an input and returns directives; this
/// actor feeds it link events, messages and ticks, and carries out what it
/// returns: messages become frames on the links, dials become `connect`s,
/// disconnects close links, deliveries go to `deliveries`. Time is a
/// `MonotonicTime` whose origin is when the node started.
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
///
/// With a node application installed (`setApplication`, the node runtime,
/// whose `NodeCore` runs the community's `Membership` and `Plumtree`), this
/// actor drives neither community core: it hands the application every link
/// event and every membership, dissemination and block-sync message from a
/// community link, and keeps the city overlay and the address-book file
/// (saving the book the application reports, `noteAddressBook`). The
/// application sends with `send(_:to:traffic:)` and dials with
/// `GossipNode.dial(_:expecting:over:failed:)`, as this actor does.
public actor GossipNode {
    /// A payload delivered to this node (once per message ID).
    public struct Delivery: Sendable, Hashable {
        public var topic: GossipTopic
        public var id: MessageID
        public var payload: [UInt8]
        /// Links the payload crossed to get here.
        public var hops: UInt32
    }

    /// What a node application (the node runtime) takes from the gossip
    /// layer. With one installed, the application runs the community's
    /// membership and dissemination: link events and community gossip go to
    /// it, consensus-class frames go to it undecoded, and city-overlay
    /// deliveries (gateways) go to it instead of the `deliveries` list.
    public struct Application: Sendable {
        /// A payload the city overlay delivered (gateways).
        public var delivered: @Sendable (Delivery, NodeID) -> Void
        public var consensus: @Sendable (NodeID, [UInt8]) -> Void
        /// A gossip message: membership kinds from any link; dissemination
        /// and block-sync kinds from links inside the community (block sync
        /// only when this node runs no `ChainSyncConfiguration`).
        public var gossip: @Sendable (NodeID, GossipMessage) -> Void
        /// A link opened or closed.
        public var link: @Sendable (LinkEvent) -> Void
        public init(delivered: @escaping @Sendable (Delivery, NodeID) -> Void, consensus: @escaping @Sendable (NodeID, [UInt8]) -> Void,
                    gossip: @escaping @Sendable (NodeID, GossipMessage) -> Void, link: @escaping @Sendable (LinkEvent) -> Void) {
            self.delivered = delivered
            self.consensus = consensus
            self.gossip = gossip
            self.link = link
        }
    }

    /// A link event for the application.
    public enum LinkEvent: Sendable {
        /// A link to `node` opened; `address` is the one dialled (nil for an
        /// inbound link); `inCommunity` is false for another community's gateway.
        case up(NodeID, address: String?, inCommunity: Bool)
        case down(NodeID)
    }

    public let transport: Transport
    private var application: Application?
    private var membership: Membership
    private var plumtree: Plumtree
    /// The city overlay (gateways only).
    private var city: Plumtree?
    private let community: CommunityID
    /// Links to other communities' gateways (the city overlay's neighbours).
    private var foreignPeers: Set<NodeID> = []
    private let bookFile: AddressBookFile?
    private var savedBook: AddressBook
    /// The book the application keeps (reported by `noteAddressBook`); saved instead of `membership`'s.
    private var applicationBook: AddressBook?
    /// The book loaded from the file at start (empty without one), for an
    /// application that keeps its own.
    public nonisolated let loadedAddressBook: AddressBook
    private var lastBookSave: MonotonicTime?
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
        self.transport = transport
        let book = addressBook?.loadOrQuarantine(report: log) ?? AddressBook()
        membership = Membership(selfRecord: record, seeds: seeds, addressBook: book, settings: membershipSettings, seed: seed, now: .origin)
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
        loadedAddressBook = membership.addressBook
        self.chainSync = chainSync.map(ChainSyncState.init)
        self.log = log
    }

    /// Installs the node application (before `start()`).
    public func setApplication(_ application: Application) {
        self.application = application
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
        saveAddressBook()
        await transport.shutdown()
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

    /// The address book as `Membership` keeps it now (the application's, with one installed).
    public var addressBook: AddressBook { applicationBook ?? membership.addressBook }

    /// The application's address book now: saved to the file when it has
    /// changed, at most every `bookSaveInterval`, and at stop.
    public func noteAddressBook(_ book: AddressBook) {
        applicationBook = book
    }

    /// Gossip messages sent so far by kind (`GossipMessage.kindName`): messages
    /// queued on a link and their encoded bytes (before the transport's 4-byte
    /// length prefix, TLS and TCP). For reports: where the bytes go.
    public nonisolated var sentByKind: [String: MessageCount] { sentCounts.withLock { $0 } }
    private nonisolated let sentCounts = Mutex<[String: MessageCount]>([:])

    /// Messages and bytes of one kind.
    public struct MessageCount: Sendable, Hashable {
        public var messages = 0
        public var bytes = 0
        public init() {}
    }

    /// Everything delivered so far, in order.
    public var deliveries: [Delivery] { deliveredList }
    /// Members this node knows alive (not itself); with an application
    /// installed, the application's membership knows them instead.
    public var liveMembers: [NodeID] { membership.liveMembers }
    /// Nodes with an open link.
    public var linkedPeers: [NodeID] { transport.peers.map(\.identity.nodeID) }

    /// The cores' clock: time since the node started.
    private var now: MonotonicTime { .origin + (ContinuousClock.now - startedAt) }

    // MARK: Inputs

    /// Link events and messages. With an application, link events and
    /// community gossip go to it; the city overlay (a gateway's links to other
    /// communities) stays here either way.
    private func handle(_ event: TransportEvent) {
        switch event {
        case let .connected(info):
            let node = info.identity.nodeID
            let address = info.direction == .outbound ? info.remoteAddress : nil
            let foreign = info.identity.community != community && city != nil
            if let application {
                application.link(.up(node, address: address, inCommunity: !foreign))
            } else {
                carry(membership.connected(node, address: address, now: now))
            }
            if foreign {
                foreignPeers.insert(node)
                carry(city!.peerUp(node, now: now))
            } else {
                if application == nil { carry(plumtree.peerUp(node, now: now)) }
                syncPeerUp(node)
            }
        case let .disconnected(node, _):
            if let application {
                application.link(.down(node))
            } else {
                carry(membership.disconnected(node, now: now))
            }
            if foreignPeers.remove(node) != nil {
                carry(city!.peerDown(node, now: now))
            } else {
                if application == nil { carry(plumtree.peerDown(node, now: now)) }
                syncPeerDown(node, now: now)
            }
        case .rejected:
            break
        case let .message(from, traffic, bytes):
            if traffic == .consensus, let application {
                application.consensus(from, bytes)
                return
            }
            let message: GossipMessage
            do {
                message = try GossipMessage(canonicalBytes: bytes)
            } catch {
                transport.disconnect(from, reason: "malformed gossip message: \(error)")
                return
            }
            switch message {
            case .ping, .ack, .pingRequest, .nack, .sync, .digest:
                if let application {
                    application.gossip(from, message)
                } else {
                    carry(membership.receive(message, from: from, now: now))
                }
            case .gossip, .ihave, .graft, .prune:
                if foreignPeers.contains(from) {
                    carry(city!.receive(message, from: from, now: now))
                } else if let application {
                    application.gossip(from, message)
                } else {
                    carry(plumtree.receive(message, from: from, now: now))
                }
            case .chainStatus, .blockRequest, .blockResponse:
                // Block sync runs inside the community only.
                guard !foreignPeers.contains(from) else { return }
                if chainSync == nil, let application {
                    application.gossip(from, message)
                } else {
                    syncReceive(message, from: from, now: now)
                }
            }
        }
    }

    /// Runs the cores' timers (the city overlay's only, with an application); returns how long to sleep.
    private func tick() -> Duration {
        let t = now
        if application == nil {
            carry(membership.tick(now: t))
            carry(plumtree.tick(now: t))
        }
        if city != nil { carry(city!.tick(now: t)) }
        if chainSync != nil { syncTick(now: t, community: transport.peers.map(\.identity.nodeID).filter { !foreignPeers.contains($0) }) }
        if let last = lastBookSave, t - last < Self.bookSaveInterval {} else { saveAddressBook() }
        return .milliseconds(10)
    }

    // MARK: Directives

    /// Queues `message` for `peer`. A full queue closes the link: the cores
    /// count a message queued on an open link as delivered (`reliableLinks`),
    /// so a link that drops one must not stay open; the peer's departure then
    /// makes Plumtree repair through others and the link is dialled again later.
    public nonisolated func send(_ message: GossipMessage, to peer: NodeID, traffic: TrafficClass = .gossip) {
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

    private func carry(_ d: MembershipDirectives) {
        for (to, message) in d.sends { send(message, to: to) }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "membership: \(reason)") }
        for event in d.events { log("membership: \(event)") }
        for (address, node) in d.dials {
            Self.dial(address, expecting: node, over: transport) { [weak self] in await self?.dialFailed(address, node) }
        }
    }

    private func carry(_ d: PlumtreeDirectives) {
        for s in d.sends { send(s.message, to: s.to) }
        for delivery in d.deliveries {
            let value = Delivery(topic: delivery.topic, id: delivery.id, payload: delivery.payload, hops: delivery.hops)
            if let application {
                application.delivered(value, delivery.from)
            } else {
                deliveredList.append(value)
            }
        }
        for (peer, reason) in d.disconnects { transport.disconnect(peer, reason: "dissemination: \(reason)") }
    }

    /// Saves the book if it changed since the last save (a failure is logged
    /// and retried at the next interval: the book is a cache, seeds still work).
    private func saveAddressBook() {
        guard let bookFile else { return }
        lastBookSave = now
        let book = applicationBook ?? membership.addressBook
        guard book != savedBook else { return }
        do throws(AddressBookFile.LoadError) {
            try bookFile.save(book)
            savedBook = book
        } catch {
            log("\(error)")
        }
    }

    /// Opens a link to `address` ("host:port") where `node` (if known) is
    /// expected; `failed` runs if it cannot (a link to that node already
    /// open, the other side having dialled too, is no failure).
    public nonisolated static func dial(_ address: String, expecting node: NodeID?, over transport: Transport,
                                        failed: @escaping @Sendable () async -> Void) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            Task { await failed() }
            return
        }
        let host = String(address[..<colon])
        Task {
            do throws(LinkRejection) {
                _ = try await transport.connect(host: host, port: port)
            } catch {
                if let node, transport.peers.contains(where: { $0.identity.nodeID == node }) { return }
                await failed()
            }
        }
    }

    private func dialFailed(_ address: String, _ node: NodeID?) {
        carry(membership.dialFailed(address: address, node: node, now: now))
    }
}
