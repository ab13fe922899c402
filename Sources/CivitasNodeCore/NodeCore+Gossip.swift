import CivitasCodec
public import CivitasLedger
public import CivitasGossip
import CivitasTime

/// Discovery and dissemination inside the community, run by the core:
/// `Membership` (SWIM failure detection,
/// discovery from seeds and signed peer records, the choice of links) and
/// `Plumtree` (the community topics: transactions and sealed blocks).
///
/// The shell reports links (`peerUp`, `peerDown`, `dialFailed`), passes
/// every gossip message from a community link to `receive(gossip:from:view:)`
/// and carries out `gossipSends`, `dials` and `disconnects`. Time is the
/// core's clock in the cores' unit (`now`); randomness comes from the
/// core's seed. A transaction Plumtree delivers goes to the mempool
/// (`receive(transaction:view:)`), a sealed block to `receive(sealed:from:)`.
/// What the core publishes (a submitted transaction, a block it sealed as
/// proposer, pending transactions offered again) goes out by its Plumtree.
extension NodeCore {
    /// The address book membership keeps, for the shell to save and give
    /// back after a restart (`NodeGossipConfiguration.addressBook`).
    public var addressBook: AddressBook { membership.addressBook }

    /// Members this node knows alive (not itself), in the order they were learnt.
    public var liveMembers: [NodeID] { membership.liveMembers }

    /// Plumtree's neighbours (eager, then lazy).
    public var disseminationPeers: [NodeID] { plumtree.eagerPeers + plumtree.lazyPeers }

    var gossipDescription: String {
        "\(membership.liveMembers.count) live members, \(membership.connected.count) links"
    }

    // MARK: - Inputs

    /// A gossip message from a linked peer: membership (ping, ack,
    /// ping-request, nack, sync, digest), dissemination (gossip, ihave, graft,
    /// prune) or block sync (chain status, block response; a block request is
    /// the shell's to answer from its block store, as for `receive(sync:from:)`).
    public mutating func receive(gossip message: GossipMessage, from peer: NodeID, view: some MempoolView) {
        switch message {
        case .ping, .ack, .pingRequest, .nack, .sync, .digest:
            carry(membership.receive(message, from: peer, now: now))
        case .gossip, .ihave, .graft, .prune:
            guard !foreignPeers.contains(peer) else {
                receiveCity(message, from: peer)
                return
            }
            // Plumtree asks the application to check a new payload before it
            // forwards it; the payload decoded then is the one delivered.
            var decoded: DecodedPayload?
            let directives = plumtree.receive(message, from: peer, now: now) { topic, payload in
                decoded = Self.decode(topic, payload)
                return decoded != nil
            }
            carry(directives, decoded: decoded)
        case .chainStatus, .blockRequest, .blockResponse:
            guard !foreignPeers.contains(peer) else { return }
            receive(sync: message, from: peer)
        }
        admitInbox(view: view)
    }

    /// A dial the core asked for (`NodeOutput.dials`) failed: refused, timed
    /// out, or the handshake was refused.
    public mutating func dialFailed(address: String, node: NodeID?) {
        carry(membership.dialFailed(address: address, node: node, now: now))
    }

    // MARK: - Publishing

    /// What the core publishes to its community.
    enum Publication {
        /// A transaction a client submitted here.
        case transaction(Transaction)
        /// A block this node sealed as its proposer.
        case sealedBlock(SealedBlock)
    }

    /// Publishes to the community by Plumtree.
    mutating func publish(_ publication: Publication) {
        let (topic, payload): (GossipTopic, [UInt8]) = switch publication {
        case let .transaction(tx): (.communityTransactions, tx.encoded())
        case let .sealedBlock(block): (.communityBlocks, block.encoded())
        }
        guard payload.count <= plumtree.settings.maxPayloadBytes else {
            out.events.append(.refused("a \(topic) payload of \(payload.count) bytes is above the dissemination limit; not published"))
            return
        }
        carry(plumtree.broadcast(topic: topic, payload: payload, now: now).directives)
    }

    /// Publishes the transactions submitted since the last tick: one alone as
    /// itself, several as one `TransactionOffer`.
    mutating func publishSubmitted() {
        guard !unpublished.isEmpty else { return }
        let batch = unpublished
        unpublished = []
        unpublishedBytes = 0
        if batch.count == 1 {
            publish(.transaction(batch[0]))
        } else {
            offerAgain(batch)
        }
    }

    /// Offers pending transactions again. Plumtree delivers a payload once,
    /// so by Plumtree they travel as `TransactionOffer`s (new payloads), as
    /// many as the payload limit needs.
    mutating func offerAgain(_ transactions: [Transaction]) {
        let limit = plumtree.settings.maxPayloadBytes - 64
        var batch: [Transaction] = []
        var bytes = 0
        for tx in transactions {
            let size = tx.encodedSize
            if !batch.isEmpty, bytes + size > limit {
                publishOffer(batch)
                batch = []
                bytes = 0
            }
            batch.append(tx)
            bytes += size
        }
        if !batch.isEmpty { publishOffer(batch) }
    }

    mutating func publishOffer(_ batch: [Transaction]) {
        let payload = TransactionOffer(time: now.nanosecondsSinceOrigin / 1_000_000, transactions: batch).encoded()
        guard payload.count <= plumtree.settings.maxPayloadBytes else { return }
        carry(plumtree.broadcast(topic: .communityTransactions, payload: payload, now: now).directives)
    }

    // MARK: - Timers and directives

    /// Both cores' timers, each when its last directives asked (`nextWakeup`).
    mutating func tickGossip(view: some MempoolView) {
        let t = now
        if t >= membershipWake { carry(membership.tick(now: t)) }
        if let wake = plumtreeWake, t >= wake { carry(plumtree.tick(now: t)) }
        tickCity()
        admitInbox(view: view)
    }

    mutating func carry(_ d: MembershipDirectives) {
        membershipWake = d.nextWakeup ?? .origin
        for (to, message) in d.sends { out.gossipSends.append((to, message)) }
        for dial in d.dials { out.dials.append(dial) }
        for (peer, reason) in d.disconnects { out.disconnects.append((peer, .membership(reason))) }
        for event in d.events { out.events.append(.membership(event)) }
    }

    /// Carries out Plumtree's directives; a delivery is the payload `decoded`
    /// when the application checked it, decoded here otherwise.
    mutating func carry(_ d: PlumtreeDirectives, decoded: DecodedPayload? = nil) {
        plumtreeWake = d.nextWakeup
        for send in d.sends { out.gossipSends.append((send.to, send.message)) }
        for (peer, reason) in d.disconnects { out.disconnects.append((peer, .dissemination(reason))) }
        for delivery in d.deliveries {
            guard let payload = d.deliveries.count == 1 ? decoded ?? Self.decode(delivery.topic, delivery.payload)
                : Self.decode(delivery.topic, delivery.payload) else { continue }
            switch payload {
            case let .transaction(tx): inbox.append(tx)
            case let .offer(offer): inbox += offer.transactions
            case let .sealed(block): receive(sealed: block, from: delivery.from)
            }
        }
    }

    /// Transactions delivered by Plumtree go to the mempool as any gossiped transaction.
    mutating func admitInbox(view: some MempoolView) {
        guard !inbox.isEmpty else { return }
        let transactions = inbox
        inbox = []
        for tx in transactions { receive(transaction: tx, view: view) }
    }

    /// A community payload, decoded.
    enum DecodedPayload {
        case transaction(Transaction)
        case offer(TransactionOffer)
        case sealed(SealedBlock)
    }

    /// Decodes a payload of a community topic; nil if it is not one this node
    /// publishes (Plumtree then neither delivers nor forwards it).
    static func decode(_ topic: GossipTopic, _ payload: [UInt8]) -> DecodedPayload? {
        switch topic {
        case .communityTransactions:
            if payload.first == TransactionOffer.typeTag {
                return (try? TransactionOffer(encoded: payload)).map { .offer($0) }
            }
            return (try? Transaction(encoded: payload)).map { .transaction($0) }
        case .communityBlocks:
            return (try? SealedBlock(encoded: payload)).map { .sealed($0) }
        default:
            return nil
        }
    }
}
