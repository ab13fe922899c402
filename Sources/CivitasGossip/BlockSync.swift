public import CivitasLedger
public import CivitasTime

/// Checks one sealed block before block sync accepts it. The core only needs
/// "is this block proven?"; the node injects the real check, tests may inject a
/// counting or failing one.
public protocol BlockVerifier: Sendable {
    /// Throws if `block` is not proven (its certificate or body does not verify).
    func verify(_ block: SealedBlock) throws
}

/// The ledger's own proof: a majority of the community's validators signed the
/// header (`CommitCertificate`), and the body matches the header.
public struct CertificateVerifier: BlockVerifier {
    /// The community's validator keys, in genesis order.
    public var validators: [PublicKey]
    /// The community whose chain is synced (a block of another community is refused).
    public var community: CommunityID
    /// Check every transaction's signature too (the certificate already covers them; off saves time on catch-up).
    public var checkTransactionSignatures: Bool
    /// Where the signatures are checked.
    public var signatures: SignatureVerifier

    public init(validators: [PublicKey], community: CommunityID, checkTransactionSignatures: Bool = false,
                signatures: SignatureVerifier = .direct) {
        self.validators = validators
        self.community = community
        self.checkTransactionSignatures = checkTransactionSignatures
        self.signatures = signatures
    }

    public func verify(_ block: SealedBlock) throws {
        guard block.header.community == community else {
            throw LedgerError.blockMismatch("block of community \(block.header.community), not \(community)")
        }
        try block.verify(validators: validators, checkSignatures: checkTransactionSignatures, using: signatures)
    }
}

/// Settings of block sync; every default says why.
public struct BlockSyncSettings: Sendable, Hashable {
    /// Blocks asked for in one request. 64: a response stays a few megabytes
    /// for busy blocks, and enough requests run in parallel to use several peers.
    public var rangeSize: Int = 64
    /// Requests outstanding at one peer. 2: one in flight while the next is prepared.
    public var maxInFlightPerPeer: Int = 2
    /// Requests outstanding in all. 8: four peers' worth.
    public var maxOutstanding: Int = 8
    /// Blocks fetched ahead of the applied height (bounds the reorder buffer). 1,024.
    public var maxAhead: Int = 1_024
    /// Time a peer has to answer a request before it goes to another. 5 s:
    /// a 64-block response over a slow link, with margin.
    public var requestTimeout: Duration = .seconds(5)
    /// Timeouts in a row before a peer is dropped as unresponsive. 3.
    public var maxTimeouts: Int = 3
    /// How long a peer that sent a bad block is refused. 1 hour: a block
    /// whose certificate fails is never an accident of an honest node.
    public var badBlockBan: Duration = .seconds(3_600)

    public init() {}
}

/// What block sync asks its shell to do after an input.
public struct BlockSyncDirectives: Sendable {
    /// Requests to send.
    public var sends: [(to: NodeID, message: GossipMessage)] = []
    /// Verified blocks to store and apply, in height order, contiguous with the last applied.
    public var apply: [SealedBlock] = []
    /// Peers to disconnect.
    public var disconnects: [(peer: NodeID, reason: Misbehaviour)] = []
    /// When to call `tick(now:)` next.
    public var nextWakeup: MonotonicTime?

    public init() {}
}

/// What block sync knows of one peer. Outside the generic `BlockSync`: a
/// type nested in a generic one is generic too, and its metadata (and its
/// dictionaries') was looked up at run time on every call (`targetHeight`
/// runs at every tick of every node).
struct BlockSyncPeer: Sendable {
    var height: UInt64
    var inFlight = 0
    var timeouts = 0
}

/// One outstanding range request.
struct BlockSyncRequest: Sendable {
    var peer: NodeID
    var start: UInt64
    var count: Int
    var deadline: MonotonicTime
}

/// Catch-up for a node that is behind: fetches block ranges from several peers
/// at once, verifies each block's certificate as it arrives (through the
/// injected `BlockVerifier`), buffers blocks that arrive out of order and
/// hands them out strictly in height order, chained by header hash.
///
/// After a restart, build it again from the stored height and head: nothing
/// else survives, and nothing else is needed. The shell must store the
/// blocks of `apply` before the next input reports them as applied — the
/// core already counts them applied, so a crash re-fetches them.
public struct BlockSync<Verifier: BlockVerifier>: Sendable {
    typealias PeerInfo = BlockSyncPeer
    typealias Request = BlockSyncRequest

    /// The settings in force.
    public let settings: BlockSyncSettings
    /// Height of the last block handed out in `apply` (0: genesis only).
    public private(set) var height: UInt64
    /// Header hash of that block (the genesis hash at height 0).
    public private(set) var head: Hash

    private var peers: [NodeID: PeerInfo] = [:]
    private var peerOrder: [NodeID] = []
    /// The highest height a peer reported (0: none), kept as reports arrive:
    /// the core asks for `targetHeight` several times at every tick.
    private var bestPeerHeight: UInt64 = 0
    private var requests: [UInt64: Request] = [:]
    private var requestOrder: [UInt64] = []
    private var nextRequestID: UInt64 = 1
    /// Lowest height never requested.
    private var frontier: UInt64
    /// Ranges to ask for again (timed out, refused, cut short), lowest first.
    private var retry: [(start: UInt64, count: Int, avoid: NodeID?)] = []
    private var buffer: [UInt64: (block: SealedBlock, from: NodeID)] = [:]
    private var banned: [NodeID: MonotonicTime] = [:]
    /// The verifier every block passes. Stored last: the other fields then sit
    /// at offsets known when compiling, so code not specialized for
    /// `Verifier` reaches them without looking up this type's metadata.
    public let verifier: Verifier

    /// Resumes from the stored chain: `height` and its header hash `head`.
    public init(height: UInt64, head: Hash, verifier: Verifier, settings: BlockSyncSettings = .init()) {
        self.settings = settings
        self.verifier = verifier
        self.height = height
        self.head = head
        frontier = height + 1
    }

    /// The highest height any peer reported.
    public var targetHeight: UInt64 { max(height, bestPeerHeight) }

    /// `bestPeerHeight` again from every peer (after one's height fell or it left).
    private mutating func recomputeBestPeerHeight() {
        bestPeerHeight = peers.values.reduce(0) { max($0, $1.height) }
    }

    /// True while some peer is ahead of us.
    public var isBehind: Bool { targetHeight > height }

    /// The outstanding requests and ranges to retry, for a post-mortem (deadlines in
    /// milliseconds since the clock's origin, as a node's own time is printed).
    public var requestsDescription: String {
        let out = requestOrder.compactMap { requests[$0] }.map {
            "\($0.start)+\($0.count)@\($0.peer.raw.hex.prefix(4)) due \($0.deadline.nanosecondsSinceOrigin / 1_000_000)"
        }
        return "requests [\(out.joined(separator: ", "))] retry \(retry.map { "\($0.start)+\($0.count)" }) frontier \(frontier)"
    }

    /// Requests outstanding now.
    public var outstanding: Int { requests.count }

    /// `peer` reports its committed height (its `chainStatus`, or a block it gossiped).
    public mutating func peerStatus(_ peer: NodeID, height peerHeight: UInt64, now: MonotonicTime) -> BlockSyncDirectives {
        var out = BlockSyncDirectives()
        if let until = banned[peer], until > now {
            out.disconnects.append((peer, .invalid("banned: sent a bad block")))
            return out
        }
        if peers[peer] == nil { peerOrder.append(peer) }
        peers[peer, default: PeerInfo(height: 0)].height = max(peers[peer]?.height ?? 0, peerHeight)
        bestPeerHeight = max(bestPeerHeight, peerHeight)
        assign(now: now, into: &out)
        finish(&out)
        return out
    }

    /// The node applied blocks through `height` by another path (a block it
    /// sealed itself, or one that arrived by gossip): buffered blocks at or
    /// below it are dropped, buffered blocks that now continue the chain are
    /// handed out in `apply`, and fetching continues above it. Requests already
    /// out stay out; their blocks at or below `height` are ignored on arrival.
    public mutating func advanced(to newHeight: UInt64, head newHead: Hash, now: MonotonicTime) -> BlockSyncDirectives {
        var out = BlockSyncDirectives()
        guard newHeight > height else { return out }
        height = newHeight
        head = newHead
        frontier = max(frontier, newHeight + 1)
        for h in buffer.keys where h <= newHeight { buffer[h] = nil }
        applyReady(now: now, into: &out)
        assign(now: now, into: &out)
        finish(&out)
        return out
    }

    /// The link to `peer` closed: its outstanding ranges go to others.
    public mutating func peerDown(_ peer: NodeID, now: MonotonicTime) -> BlockSyncDirectives {
        var out = BlockSyncDirectives()
        forget(peer)
        assign(now: now, into: &out)
        finish(&out)
        return out
    }

    /// A block-sync message from `peer`.
    public mutating func receive(_ message: GossipMessage, from peer: NodeID, now: MonotonicTime) -> BlockSyncDirectives {
        switch message {
        case let .chainStatus(h, _):
            return peerStatus(peer, height: h, now: now)
        case let .blockResponse(requestID, blocks):
            var out = BlockSyncDirectives()
            guard let request = requests[requestID], request.peer == peer else {  // late or not ours
                finish(&out)
                return out
            }
            requests[requestID] = nil
            requestOrder.removeAll { $0 == requestID }
            peers[peer]?.inFlight -= 1
            peers[peer]?.timeouts = 0
            accept(blocks, for: request, from: peer, now: now, into: &out)
            applyReady(now: now, into: &out)
            assign(now: now, into: &out)
            finish(&out)
            return out
        default:
            return BlockSyncDirectives()
        }
    }

    /// Time passed: time out requests and reassign their ranges.
    public mutating func tick(now: MonotonicTime) -> BlockSyncDirectives {
        var out = BlockSyncDirectives()
        for id in requestOrder {
            guard let r = requests[id], r.deadline <= now else { continue }
            requests[id] = nil
            peers[r.peer]?.inFlight -= 1
            requeue(start: r.start, count: r.count, avoid: r.peer)
            let timeouts = (peers[r.peer]?.timeouts ?? 0) + 1
            peers[r.peer]?.timeouts = timeouts
            if timeouts >= settings.maxTimeouts {
                forget(r.peer)
                out.disconnects.append((r.peer, .unresponsive))
            }
        }
        requestOrder.removeAll { requests[$0] == nil }
        assign(now: now, into: &out)
        finish(&out)
        return out
    }

    // MARK: Internals

    private mutating func accept(_ blocks: [SealedBlock], for request: Request, from peer: NodeID, now: MonotonicTime, into out: inout BlockSyncDirectives) {
        guard blocks.count <= request.count else {
            punish(peer, "sent \(blocks.count) blocks for a request of \(request.count)", now: now, into: &out)
            requeue(start: request.start, count: request.count, avoid: peer)
            return
        }
        for (i, block) in blocks.enumerated() {
            let expected = request.start + UInt64(i)
            guard block.height == expected else {
                punish(peer, "block at position \(i) has height \(block.height), expected \(expected)", now: now, into: &out)
                requeue(start: request.start, count: request.count, avoid: peer)
                return
            }
            do {
                try verifier.verify(block)
            } catch {
                punish(peer, "block \(expected) refused: \(error)", now: now, into: &out)
                requeue(start: request.start, count: request.count, avoid: peer)
                return
            }
        }
        for (i, block) in blocks.enumerated() where request.start + UInt64(i) > height {
            buffer[request.start + UInt64(i)] = (block, peer)
        }
        if blocks.count < request.count {
            // The peer has fewer blocks than it claimed: believe the answer, ask someone else for the rest.
            let served = request.start + UInt64(blocks.count)
            if var info = peers[peer] {
                info.height = min(info.height, served &- 1)
                peers[peer] = info
                recomputeBestPeerHeight()
            }
            requeue(start: served, count: request.count - blocks.count, avoid: peer)
        }
    }

    private mutating func applyReady(now: MonotonicTime, into out: inout BlockSyncDirectives) {
        while let (block, from) = buffer[height + 1] {
            buffer[height + 1] = nil
            guard block.header.previous == head else {
                // Certified but not on our chain: the certificate check passed, so this
                // is a verifier misconfiguration or a fork; refuse the sender, refetch.
                punish(from, "block \(height + 1) does not extend our head \(head.hex)", now: now, into: &out)
                requeue(start: height + 1, count: 1, avoid: from)
                return
            }
            height += 1
            head = block.header.hash
            out.apply.append(block)
        }
    }

    private mutating func assign(now: MonotonicTime, into out: inout BlockSyncDirectives) {
        let target = targetHeight
        // Drop retry ranges already covered by applied blocks.
        retry = retry.compactMap { r in
            let end = r.start + UInt64(r.count)
            if end <= height + 1 { return nil }
            let start = max(r.start, height + 1)
            return (start, Int(end - start), r.avoid)
        }
        while requests.count < settings.maxOutstanding {
            var range: (start: UInt64, count: Int, avoid: NodeID?)
            var fromRetry = false
            if let first = retry.first {
                range = first
                fromRetry = true
            } else {
                guard frontier <= target, frontier <= height + UInt64(settings.maxAhead) else { return }
                range = (frontier, Int(min(UInt64(settings.rangeSize), target - frontier + 1)), nil)
            }
            guard let peer = choosePeer(covering: range.start, avoid: range.avoid, now: now) else {
                // Nobody has it yet (or every holder is busy): wait for the next input.
                return
            }
            let available = Int(min(UInt64(range.count), (peers[peer]?.height ?? 0) - range.start + 1))
            if fromRetry {
                retry.removeFirst()
                if available < range.count { retry.insert((range.start + UInt64(available), range.count - available, range.avoid), at: 0) }
            } else {
                frontier = range.start + UInt64(available)
            }
            let id = nextRequestID
            nextRequestID += 1
            requests[id] = Request(peer: peer, start: range.start, count: available, deadline: now + settings.requestTimeout)
            requestOrder.append(id)
            peers[peer]?.inFlight += 1
            out.sends.append((peer, .blockRequest(requestID: id, start: range.start, count: UInt32(available))))
        }
    }

    private func choosePeer(covering start: UInt64, avoid: NodeID?, now: MonotonicTime) -> NodeID? {
        var best: NodeID?
        var bestLoad = Int.max
        for pass in 0..<2 {
            for id in peerOrder {
                guard let p = peers[id], p.height >= start, p.inFlight < settings.maxInFlightPerPeer else { continue }
                if pass == 0 && id == avoid { continue }
                // Least loaded first; among equals, the most advanced peer (it can serve whole ranges).
                if p.inFlight < bestLoad || (p.inFlight == bestLoad && p.height > peers[best!]!.height) {
                    best = id
                    bestLoad = p.inFlight
                }
            }
            if best != nil { return best }
        }
        return nil
    }

    private mutating func requeue(start: UInt64, count: Int, avoid: NodeID?) {
        guard count > 0 else { return }
        let at = retry.firstIndex { $0.start > start } ?? retry.count
        retry.insert((start, count, avoid), at: at)
    }

    private mutating func punish(_ peer: NodeID, _ why: String, now: MonotonicTime, into out: inout BlockSyncDirectives) {
        banned[peer] = now + settings.badBlockBan
        // Blocks it sent that wait in the buffer are not trusted either.
        for (h, entry) in buffer where entry.from == peer {
            buffer[h] = nil
            requeue(start: h, count: 1, avoid: peer)
        }
        forget(peer)
        out.disconnects.append((peer, .invalid(why)))
    }

    private mutating func forget(_ peer: NodeID) {
        for id in requestOrder {
            guard let r = requests[id], r.peer == peer else { continue }
            requests[id] = nil
            requeue(start: r.start, count: r.count, avoid: peer)
        }
        requestOrder.removeAll { requests[$0] == nil }
        if peers.removeValue(forKey: peer) != nil { recomputeBestPeerHeight() }
        peerOrder.removeAll { $0 == peer }
    }

    private func finish(_ out: inout BlockSyncDirectives) {
        var wake: MonotonicTime?
        for id in requestOrder { if let d = requests[id]?.deadline { wake = min(wake ?? d, d) } }
        out.nextWakeup = wake
    }
}
