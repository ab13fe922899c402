public import CivitasGossip
public import CivitasLedger
import CivitasNetwork

/// The node's stored chain as block sync sees it. The node adapts its block
/// store to this; tests use a chain in memory. Calls are synchronous and come
/// from the gossip node's actor, one at a time, so blocks are appended in order.
public protocol LocalChain: AnyObject, Sendable {
    /// Height of the last stored block (0: genesis only).
    var height: UInt64 { get }
    /// Header hash of that block (the genesis hash at height 0).
    var head: Hash { get }
    /// Stored blocks from `start` on, at most `count`, ascending, stopping
    /// before their encodings exceed `maxBytes` (but at least one block if
    /// `start` is stored); fewer, or none, if this node has fewer.
    func blocks(from start: UInt64, count: Int, maxBytes: Int) throws -> [SealedBlock]
    /// Stores `blocks`, which block sync verified and which extend `head` in order.
    func append(_ blocks: [SealedBlock]) throws
}

/// What a gossip node needs to catch up and to serve catch-up: the chain,
/// the community's proof of a block, and how often to tell peers its height.
public struct ChainSyncConfiguration: Sendable {
    public var chain: any LocalChain
    public var verifier: CertificateVerifier
    public var settings: BlockSyncSettings
    /// How often linked peers of the community are told this node's height
    /// (also on every new link). 5 s: a node that fell behind notices within
    /// seconds; new blocks themselves travel by gossip, not by this.
    public var statusInterval: Duration

    public init(chain: any LocalChain, verifier: CertificateVerifier, settings: BlockSyncSettings = .init(),
                statusInterval: Duration = .seconds(5)) {
        self.chain = chain
        self.verifier = verifier
        self.settings = settings
        self.statusInterval = statusInterval
    }
}

/// Block sync's state inside a gossip node.
struct ChainSyncState: Sendable {
    let configuration: ChainSyncConfiguration
    var core: BlockSync<CertificateVerifier>
    var nextStatus: ContinuousClock.Instant

    init(_ configuration: ChainSyncConfiguration) {
        self.configuration = configuration
        core = Self.resumed(configuration)
        nextStatus = .now
    }

    /// A core that starts from what the chain has stored — at start, and after
    /// a failed append (the core had counted those blocks applied).
    static func resumed(_ c: ChainSyncConfiguration) -> BlockSync<CertificateVerifier> {
        BlockSync(height: c.chain.height, head: c.chain.head, verifier: c.verifier, settings: c.settings)
    }
}

extension GossipNode {
    /// Height of the stored chain (nil without block sync).
    public var chainHeight: UInt64? { chainSync?.configuration.chain.height }

    /// True while a peer has reported a height above ours.
    public var isCatchingUp: Bool { chainSync?.core.isBehind ?? false }

    func chainStatusMessage() -> GossipMessage? {
        guard let chain = chainSync?.configuration.chain else { return nil }
        return .chainStatus(height: chain.height, head: chain.head)
    }

    /// A new link inside the community: tell it our height.
    func syncPeerUp(_ peer: NodeID) {
        guard let status = chainStatusMessage() else { return }
        send(status, to: peer)
    }

    func syncPeerDown(_ peer: NodeID, now: GossipTime) {
        guard chainSync != nil else { return }
        carrySync(chainSync!.core.peerDown(peer, now: now))
    }

    /// A block-sync message from a peer of the community.
    func syncReceive(_ message: GossipMessage, from peer: NodeID, now: GossipTime) {
        guard let sync = chainSync else { return }  // no chain: the messages are not for us
        switch message {
        case let .blockRequest(requestID, start, count):
            // The node's limits (`BlockRangeService`): the same wherever blocks are served.
            let chain = sync.configuration.chain
            let (response, failure) = BlockRangeService.respond(requestID: requestID, start: start, count: count,
                                                                storedHeight: chain.height) { from, through, maxBytes in
                try chain.blocks(from: from, count: Int(through - from + 1), maxBytes: maxBytes)
            }
            // An empty answer sends the requester to another peer.
            if let failure { log("block sync: cannot read blocks from height \(start) for \(peer): \(failure)") }
            send(response, to: peer, traffic: .bulk)
        case .chainStatus, .blockResponse:
            carrySync(chainSync!.core.receive(message, from: peer, now: now))
        default:
            break
        }
    }

    /// Timers: time out requests; now and then tell the community our height.
    func syncTick(now: GossipTime, community peers: [NodeID]) {
        guard chainSync != nil else { return }
        if ContinuousClock.now >= chainSync!.nextStatus, let status = chainStatusMessage() {
            chainSync!.nextStatus = ContinuousClock.now + chainSync!.configuration.statusInterval
            for peer in peers { send(status, to: peer) }
        }
        carrySync(chainSync!.core.tick(now: now))
    }

    private func carrySync(_ d: BlockSyncDirectives) {
        guard let sync = chainSync else { return }
        for (to, message) in d.sends { send(message, to: to) }
        if !d.apply.isEmpty {
            do {
                try sync.configuration.chain.append(d.apply)
            } catch {
                // The core counted these blocks applied; start again from what is stored.
                log("block sync: cannot store blocks \(d.apply.first!.height)...\(d.apply.last!.height): \(error); resuming from height \(sync.configuration.chain.height)")
                chainSync!.core = ChainSyncState.resumed(sync.configuration)
            }
        }
        for (peer, reason) in d.disconnects {
            log("block sync: disconnecting \(peer): \(reason)")
            transport.disconnect(peer, reason: "block sync: \(reason)")
        }
    }
}
