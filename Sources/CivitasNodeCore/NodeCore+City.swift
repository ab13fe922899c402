import CivitasCodec
public import CivitasLedger
public import CivitasGossip
import CivitasTime

/// A gateway's city overlay: dissemination of the city topics (checkpoints,
/// referrals) over its links to other communities' gateways, with a Plumtree
/// of its own, so the community's overlay and the city's never mix. Run by
/// the core, like the community's overlay, so the simulator's cities and a
/// real gateway spread city payloads the same way.
extension NodeCore {
    /// Publishes `payload` on a city topic to the city (gateways only; else refused).
    public mutating func publishCity(topic: GossipTopic, payload: [UInt8]) {
        guard !topic.isCommunityTopic, city != nil else {
            out.events.append(.refused("only a gateway publishes on the city topic \(topic)"))
            return
        }
        carryCity(city!.broadcast(topic: topic, payload: payload, now: now).directives)
    }

    /// A gateway publishes its community's head city-wide every
    /// `checkpointInterval` blocks (a genesis parameter): height, header hash
    /// and commit certificate, so other communities can anchor it. A gateway
    /// catching up publishes each one it passes; receivers keep each once.
    mutating func publishCheckpointIfDue(_ sealed: SealedBlock) {
        let genesis = configuration.genesis
        let interval = genesis.parameters.checkpointInterval
        guard city != nil, interval > 0, sealed.height % interval == 0 else { return }
        let checkpoint = Checkpoint(community: genesis.community, genesisHash: genesis.hash, certificate: sealed.certificate)
        let payload = checkpoint.encoded()
        publishCity(topic: .cityCheckpoints, payload: payload)
        recentCheckpoints.append(MessageID.of(topic: .cityCheckpoints, payload: payload))
        if recentCheckpoints.count > Self.checkpointsReannounced { recentCheckpoints.removeFirst() }
    }

    /// A gateway passes on the neighbours' checkpoints its own chain recorded
    /// (those that verify against the adopted document): one submitted here
    /// by hand — such as a second certified head that makes tamper evidence —
    /// reaches every other community, whose gateways record it too, so the
    /// alarm goes up city-wide. One that came over the overlay is not sent
    /// again (Plumtree keeps the IDs it has seen).
    mutating func relayRecordedCheckpoints(_ sealed: SealedBlock) {
        guard city != nil, let federation else { return }
        let own = configuration.genesis.community
        for tx in sealed.block.transactions {
            guard case let .checkpoint(checkpoint) = tx.payload, checkpoint.community != own,
                  (try? federation.verify(checkpoint, using: configuration.signatureVerifier)) != nil else { continue }
            publishCity(topic: .cityCheckpoints, payload: checkpoint.encoded())
        }
    }

    /// A gateway sends a referral record of its chain city-wide: a referral
    /// to another community, this community's receipt of a neighbour's
    /// referral, or its answer to one — with the proof that its validators
    /// certified it (`ProvenTransaction`), so the other side records it.
    /// Called by the driver for records the state applied (a rejected one is
    /// in a certified block too, but must not travel), and again for records
    /// not yet answered (`sentAt` makes each sending a new message).
    public mutating func publishReferralRecord(index: Int, of sealed: SealedBlock) {
        guard city != nil, federation != nil else { return }
        let record = ProvenTransaction(index: index, of: sealed, genesisHash: configuration.genesis.hash)
        let dispatch = ReferralDispatch(sentAt: wall, record: record).encoded()
        guard dispatch.count <= city!.settings.maxPayloadBytes else {
            out.events.append(.refused("referral record \(sealed.block.transactions[index].id.hex) of \(dispatch.count) bytes is too large to send"))
            return
        }
        publishCity(topic: .cityReferrals, payload: dispatch)
    }

    /// Whether transaction `tx` of this chain is a referral record a neighbour needs.
    public func isReferralRecordForNeighbours(_ tx: Transaction) -> Bool {
        switch tx.payload {
        case let .referral(r): return r.toCommunity != configuration.genesis.community
        case let .referralRelay(relay):
            // Only a receipt (a neighbour's referral recorded here) goes back; a recorded receipt or answer of theirs does not.
            guard let carried = try? Transaction(encoded: relay.record.transaction), case .referral = carried.payload else { return false }
            return true
        case .referralAnswer: return true
        default: return false
        }
    }

    // MARK: - This chain as the city anchored it

    /// A checkpoint of this community's own chain that came back over the
    /// city (a neighbour's gateway relays the checkpoints its chain recorded;
    /// one this gateway published itself is not delivered to it again, so
    /// what arrives is a head it did not publish). Against an applied block it
    /// is checked at once; above the applied height it is kept, and the block
    /// at that height must match it to be applied (`acceptAnchored`).
    mutating func noteOwnAnchor(_ checkpoint: Checkpoint) {
        let genesis = configuration.genesis
        guard checkpoint.community == genesis.community, checkpoint.genesisHash == genesis.hash else { return }
        if checkpoint.height > applied.height {
            ownAnchors[checkpoint.height] = checkpoint.headerHash
            if ownAnchors.count > Self.maxOwnAnchors, let lowest = ownAnchors.keys.min() { ownAnchors[lowest] = nil }
        } else if let ours = recentHashes[checkpoint.height], ours != checkpoint.headerHash {
            contradiction(AnchorContradiction(height: checkpoint.height, anchored: checkpoint.headerHash, chain: ours, refused: false))
        }
    }

    /// Checkpoints of this chain an operator had the node fetch from
    /// neighbours' nodes (`[federation] anchors_from`): any node, not only a
    /// gateway, then refuses to sync a block that contradicts one. Each must
    /// be certified by this community's own validators (a neighbour's node
    /// cannot invent one); returns how many were taken.
    @discardableResult
    public mutating func learnAnchors(_ checkpoints: [Checkpoint]) -> Int {
        let genesis = configuration.genesis
        var taken = 0
        for checkpoint in checkpoints where checkpoint.community == genesis.community && checkpoint.genesisHash == genesis.hash {
            guard (try? checkpoint.certificate.verify(validators: genesis.validatorKeys, using: configuration.signatureVerifier)) != nil else { continue }
            noteOwnAnchor(checkpoint)
            taken += 1
        }
        return taken
    }

    /// Whether the block `next` (hash `hash`) may be applied: not if the city
    /// anchored another header of this chain at its height.
    mutating func acceptAnchored(_ next: SealedBlock, hash: Hash) -> Bool {
        guard let anchored = ownAnchors[next.height] else { return true }
        guard anchored == hash else {
            contradiction(AnchorContradiction(height: next.height, anchored: anchored, chain: hash, refused: true))
            return false
        }
        ownAnchors[next.height] = nil
        return true
    }

    mutating func contradiction(_ c: AnchorContradiction) {
        if !anchorContradictions.contains(c) {
            anchorContradictions.append(c)
            if anchorContradictions.count > Self.maxOwnAnchors { anchorContradictions.removeFirst() }
        }
        out.events.append(.refused(c.description))
    }

    /// Own anchors kept above the applied height, and contradictions kept.
    static let maxOwnAnchors = 1_024

    /// The gateways this node is linked to in other communities.
    public var cityPeers: [NodeID] { city.map { $0.eagerPeers + $0.lazyPeers } ?? [] }

    /// A dissemination message from another community's gateway. Checked
    /// before anything else: a checkpoint whose certificate does not verify
    /// against the adopted federation document is neither delivered nor
    /// relayed, and counts against its sender (Plumtree's penalty). Without
    /// an adopted document the gateway has nothing to check against and
    /// ignores city traffic.
    mutating func receiveCity(_ message: GossipMessage, from peer: NodeID) {
        guard city != nil else { return }
        guard let federation else {
            if !saidNoFederation {
                saidNoFederation = true
                out.events.append(.refused("city traffic ignored: this community has not adopted a federation document"))
            }
            return
        }
        let signatures = configuration.signatureVerifier
        carryCity(city!.receive(message, from: peer, now: now) { topic, payload in
            Self.cityPayloadIsValid(topic: topic, payload: payload, federation: federation, signatures: signatures)
        })
    }

    /// Whether a city payload may be delivered and relayed.
    static func cityPayloadIsValid(topic: GossipTopic, payload: [UInt8], federation: FederationDocument,
                                   signatures: SignatureVerifier = .direct) -> Bool {
        switch topic {
        case .cityCheckpoints:
            guard let checkpoint = try? Checkpoint(encoded: payload) else { return false }
            return (try? federation.verify(checkpoint, using: signatures)) != nil
        case .cityReferrals:
            guard let dispatch = try? ReferralDispatch(encoded: payload),
                  let tx = try? dispatch.record.verify(against: federation, using: signatures) else { return false }
            switch tx.payload {
            case .referral, .referralRelay, .referralAnswer: return true
            default: return false
            }
        case .communityTransactions, .communityBlocks, .blockSignatures:
            return false
        }
    }

    /// The driver's copy of the adopted federation document.
    public mutating func adopt(federation document: FederationDocument?) {
        federation = document
        if document != nil { saidNoFederation = false }
    }

    mutating func cityPeerUp(_ peer: NodeID) {
        guard city != nil else { return }
        carryCity(city!.peerUp(peer, now: now))
        // A link that was down may have missed checkpoints: announce them to it.
        carryCity(city!.reannounce(recentCheckpoints, to: [peer], now: now))
    }

    /// Own checkpoints announced again (the last this many).
    static let checkpointsReannounced = 64

    mutating func cityPeerDown(_ peer: NodeID) {
        guard city != nil else { return }
        carryCity(city!.peerDown(peer, now: now))
    }

    mutating func tickCity() {
        guard city != nil else { return }
        if now >= nextCheckpointReannounce {
            nextCheckpointReannounce = now + configuration.settings.checkpointReannounce
            carryCity(city!.reannounce(recentCheckpoints, to: cityPeers, now: now))
        }
        guard let wake = cityWake, now >= wake else { return }
        carryCity(city!.tick(now: now))
    }

    mutating func carryCity(_ d: PlumtreeDirectives) {
        cityWake = d.nextWakeup
        for send in d.sends { out.gossipSends.append((send.to, send.message)) }
        for (peer, reason) in d.disconnects { out.disconnects.append((peer, .dissemination(reason))) }
        for delivery in d.deliveries {
            if delivery.topic == .cityCheckpoints, let checkpoint = try? Checkpoint(encoded: delivery.payload) {
                noteOwnAnchor(checkpoint)
            }
            out.events.append(.cityDelivery(topic: delivery.topic, payload: delivery.payload, from: delivery.from))
        }
    }

    /// The city overlay's settings: the community's, carrying the city topics only.
    static func citySettings(_ community: PlumtreeSettings) -> PlumtreeSettings {
        var settings = community
        settings.topics = Set(GossipTopic.allCases.filter { !$0.isCommunityTopic })
        return settings
    }
}
