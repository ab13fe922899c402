import CivitasCodec
public import CivitasLedger
public import CivitasRaft
public import CivitasGossip

/// One community node as a deterministic value: Raft ordering, the mempool,
/// block production, certificate collection, the order in which sealed blocks
/// are applied, block sync, and discovery (`Membership`) and dissemination
/// (`Plumtree`) inside the community (NodeCore+Gossip.swift). It never reads
/// a clock, a socket or a disk: the shell passes time in (`tick(now:view:)`),
/// passes messages and link events in, and drains `poll()` for what to
/// persist, send, dial and apply (see `NodeOutput`).
/// The same value runs in a real node (`NodeRuntime`) and in the simulator.
///
/// ## The pipeline
/// 1. A transaction is admitted to the mempool (`submit`, or `receive` from
///    gossip); a submitted one is published to the community by Plumtree.
/// 2. The Raft leader cuts a batch when it holds a block's worth of
///    transactions (count or bytes) or the oldest has waited the block
///    interval, and proposes it as a `BlockProposal` entry.
/// 3. When an entry commits, every validator and learner builds the same block
///    from it (`build`): height and `previous` follow the chain built so far,
///    time is the later of the proposal's and the previous block's. Blocks are
///    built from the committed log, so a leader change can never fork them.
/// 4. Each validator signs the header hash and sends its vote to the others;
///    a majority of votes is the commit certificate. The proposer publishes
///    the sealed block by Plumtree.
/// 5. Sealed blocks (sealed here, delivered by Plumtree with a valid
///    certificate, or fetched by block sync) are handed to the shell strictly
///    in height order, each extending the last.
///
/// A duplicate transaction (a new leader may propose one its predecessor's
/// uncommitted batch also held) reaches a block and is recorded there as a
/// rejected nonce replay by the state machine, identically on every node.
public struct NodeCore: Sendable {
    public let configuration: NodeCoreConfiguration
    public private(set) var raft: RaftCore?
    public private(set) var mempool: Mempool
    /// The last block handed to the shell to apply.
    public private(set) var applied: ChainPosition
    /// The last block built from the committed Raft log (validators and learners).
    public private(set) var built: ChainPosition
    /// The node's monotonic clock, in milliseconds: every timer runs on it.
    public private(set) var now: Timestamp
    /// Wall-clock time (ms since the Unix epoch) as of the last tick: only
    /// stamped into what the node proposes, never used for timers.
    public private(set) var wall: Timestamp

    private var blockSync: BlockSync<CertificateVerifier>
    private let verifier: CertificateVerifier
    private let validatorIndex: UInt32?
    private var lastRaftTick: Timestamp
    /// The Ready handed out by `poll()` and not yet reported persisted.
    private var pendingReady: Ready?
    var out = NodeOutput()

    private struct Unsealed: Sendable {
        var block: Block
        var hash: Hash
        var votes: [UInt32: BlockVote] = [:]
        var ownVote: VoteMessage?
        var lastSent: Timestamp = 0
    }
    /// Built blocks waiting for their certificate, by height.
    private var unsealed: [UInt64: Unsealed] = [:]
    /// Votes for heights not built here yet (checked when the block is built).
    private var earlyVotes: [UInt64: [VoteMessage]] = [:]
    /// Sealed blocks above the applied height, waiting for their predecessors.
    private var sealedAhead: [UInt64: SealedBlock] = [:]
    /// Header hashes of recently applied blocks (divergence checks on rebuild).
    private var recentHashes: [UInt64: Hash] = [:]
    /// The Raft index each built block came from (for compaction).
    private var builtIndex: [UInt64: UInt64] = [:]
    /// Leader: Raft indexes of own proposals not yet committed.
    private var inFlight: [UInt64] = []
    /// Highest nonce per signer in proposed or built but not yet applied blocks:
    /// the next batch starts after them.
    private var pendingNonces: [PublicKey: UInt64] = [:]
    /// Community peers block sync may ask, in the order they came.
    private var syncPeers: [NodeID] = []
    private var nextStatus: Timestamp = 0
    private var nextMaintenance: Timestamp = 0
    /// When the applied height last moved (block sync's watchdog).
    private var lastProgress: Timestamp = 0
    /// A community peer told this node its height since it started.
    private var heardPeerHeight = false
    /// Transactions submitted here since the last tick, published together
    /// at the next one: one dissemination message per batch and neighbour
    /// instead of one per transaction.
    var unpublished: [Transaction] = []
    var unpublishedBytes = 0
    /// A batch this large goes out at once rather than at the next tick.
    static let publishBatchBytes = 64 << 10
    /// When each pending transaction was last offered to the community.
    private var lastOffered: [Hash: Timestamp] = [:]
    /// Discovery and failure detection, and dissemination in the community: NodeCore+Gossip.swift.
    var membership: Membership
    var plumtree: Plumtree
    /// Linked nodes of other communities (a gateway's city links): membership and the city overlay.
    var foreignPeers: Set<NodeID> = []
    /// A gateway's city overlay (NodeCore+City.swift); nil on other roles.
    var city: Plumtree?
    var cityWake: GossipTime?
    /// Transactions Plumtree delivered outside `receive(gossip:)`, admitted at the next tick.
    var inbox: [Transaction] = []
    /// When each gossip core asked to be ticked next (its last directives' `nextWakeup`).
    var membershipWake: GossipTime = 0
    var plumtreeWake: GossipTime?

    /// What a replica restored from its write-ahead log.
    public struct RaftRestore: Sendable {
        public var hardState: HardState
        public var snapshot: Snapshot?
        public var entries: [Entry]
        public init(hardState: HardState, snapshot: Snapshot?, entries: [Entry]) {
            self.hardState = hardState
            self.snapshot = snapshot
            self.entries = entries
        }
    }

    /// A node whose block store ends at `applied` (genesis for a new node).
    /// A validator or learner passes what its Raft log held (`restoring`), or
    /// nil to start a new log: founding validators bootstrap the genesis
    /// voters, learners join empty.
    /// `now` is the monotonic clock, `wall` the wall clock (both milliseconds).
    public init(configuration: NodeCoreConfiguration, applied: ChainPosition, restoring: RaftRestore?, now: Timestamp,
                wall: Timestamp, seed: UInt64) {
        self.configuration = configuration
        self.applied = applied
        self.now = now
        self.wall = wall
        lastRaftTick = now
        lastProgress = now
        mempool = Mempool(settings: configuration.settings.mempool)
        let genesis = configuration.genesis
        verifier = CertificateVerifier(validators: genesis.validatorKeys, community: genesis.community)
        blockSync = BlockSync(height: applied.height, head: applied.hash, verifier: verifier, settings: configuration.settings.blockSync)
        validatorIndex = configuration.role == .validator ? configuration.validatorIndex : nil
        built = .genesis(genesis)
        recentHashes[applied.height] = applied.hash
        let gossip = configuration.gossip
        membership = Membership(selfRecord: gossip.record, seeds: gossip.seeds, addressBook: gossip.addressBook,
                                settings: configuration.settings.membership, seed: seed &+ 0x6D65_6D62, now: now &* 1_000_000)
        plumtree = Plumtree(settings: configuration.settings.plumtree, seed: seed &+ 0x706C_756D)
        if configuration.role == .gateway {
            city = Plumtree(settings: Self.citySettings(configuration.settings.plumtree), seed: seed &+ 0x6369_7479)
        }
        if let id = configuration.replicaID {
            let settings = configuration.settings.raft
            if let restore = restoring {
                raft = RaftCore(restoring: id, hardState: restore.hardState, snapshot: restore.snapshot,
                                entries: restore.entries, settings: settings, seed: seed)
                if let data = restore.snapshot?.data, let position = try? ChainPosition(encoded: data) {
                    built = position
                }
            } else if configuration.role == .validator {
                raft = RaftCore.bootstrap(id: id, voters: configuration.voters, settings: settings, seed: seed)
            } else {
                raft = RaftCore.joining(id: id, settings: settings, seed: seed)
            }
        }
    }

    // MARK: - Status

    public var isLeader: Bool { raft?.role == .leader }
    public var leaderNode: NodeID? { raft?.leader.flatMap { configuration.node(of: $0) } }
    /// The highest height a peer reported (block sync's target).
    public var bestKnownHeight: UInt64 { max(blockSync.targetHeight, applied.height) }
    public var unsealedCount: Int { unsealed.count }

    /// Whether this node's committed state is current enough to admit a
    /// client's transaction: after a restart it must first hear a community
    /// peer's height, and then be within `submitLagBlocks` of the best height
    /// reported. A node behind the chain cannot tell a nonce already used in
    /// a block it has not applied, so it would accept transactions that never
    /// commit. Nil when ready; otherwise the reason, for the client.
    public var notReadyForSubmissions: String? {
        let alone = configuration.genesis.validators.count == 1 && configuration.role == .validator
        if !heardPeerHeight && !alone {
            return "this node has just started and has not yet heard the chain's height from a peer; retry shortly or submit to another node"
        }
        let best = bestKnownHeight
        if best > applied.height + configuration.settings.submitLagBlocks {
            return "this node is behind the chain (at height \(applied.height), peers are at \(best)) and cannot check nonces yet; retry shortly or submit to another node"
        }
        return nil
    }
    /// One line for a stuck node's post-mortem.
    public var progressDescription: String {
        "applied \(applied), built \(built), sync at \(blockSync.height) of \(blockSync.targetHeight) "
            + "(\(blockSync.requestsDescription), \(syncPeers.count) peers) now \(now), \(sealedAhead.count) sealed ahead, "
            + "\(unsealed.count) unsealed, mempool \(mempool.count), \(gossipDescription), raft \(raft.map { "\($0.role) term \($0.term) commit \($0.commitIndex)" } ?? "-")"
    }
    public func node(of replica: ReplicaID) -> NodeID? { configuration.node(of: replica) }
    /// The gossip cores' clock: the node's milliseconds in their unit (nanoseconds).
    var gossipNow: GossipTime { now &* 1_000_000 }

    // MARK: - Inputs

    /// Time passed: Raft ticks, block cutting, vote resends, mempool upkeep,
    /// block sync timers and height reports, membership and dissemination
    /// timers. `now` is the monotonic clock (a shell's monotonic clock never
    /// goes back; an earlier value is taken as no time passing); `wall` the
    /// wall clock, which may step either way and is only stamped into proposals.
    public mutating func tick(now newNow: Timestamp, wall newWall: Timestamp, view: some MempoolView) {
        wall = newWall
        guard newNow >= now else { return }
        now = newNow
        let tickMillis = max(configuration.settings.tickMillis, 1)
        if raft != nil, now - lastRaftTick >= tickMillis {
            // One tick per call however long it has been, as a ticker that drops
            // ticks would: a node whose shell was busy (a stalled process, a
            // backlog of inputs it has not read yet) must not wake up to a burst
            // of ticks and call an election — or, as leader, step down — over
            // messages still waiting in its own queue.
            raft!.tick()
            lastRaftTick = now
        }
        produce(view: view)
        resendVotes()
        if now >= nextMaintenance {
            nextMaintenance = now + 1_000
            for evicted in mempool.evictStale(now: now) {
                lastOffered[evicted.id] = nil
                out.events.append(.evicted(evicted))
            }
            rebroadcast()
        }
        if now >= nextStatus {
            nextStatus = now + configuration.settings.statusMillis
            for peer in syncPeers {
                out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
            }
        }
        carry(blockSync.tick(now: gossipNow))
        restartStalledSync()
        publishSubmitted()
        tickGossip(view: view)
    }

    /// Block sync's watchdog: a node that knows it is behind (a peer reported a
    /// higher height, or sealed blocks wait above a gap) but has had nothing
    /// in flight and no progress for `stallMillis` starts block sync afresh
    /// from its applied head; peers' next height reports (every
    /// `statusMillis`) send it fetching again. Seen in the node campaign: a
    /// gap below sealed blocks with block sync's frontier already past it and
    /// nothing outstanding. Its cause (blocks buffered above a gap the node
    /// then closed itself, never handed out) is fixed in `BlockSync.advanced`;
    /// 80 campaign seeds pass with this watchdog disabled. It stays as a
    /// backstop: a stalled node costs a community its replica for good.
    private mutating func restartStalledSync() {
        let behind = blockSync.targetHeight > applied.height || !sealedAhead.isEmpty
        guard behind, blockSync.outstanding == 0, now - lastProgress >= configuration.settings.stallMillis else { return }
        blockSync = BlockSync(height: applied.height, head: applied.hash, verifier: verifier, settings: configuration.settings.blockSync)
        lastProgress = now
        for peer in syncPeers {
            out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
        }
    }

    /// A client submitted `transaction` here: admit it and, if new, offer it to the community.
    public mutating func submit(_ transaction: Transaction, view: some MempoolView) -> Admission {
        let admission = mempool.admit(transaction, view: pendingView(view), now: now)
        if case let .admitted(id, displaced) = admission {
            lastOffered[id] = now
            unpublished.append(transaction)
            unpublishedBytes += Mempool.encodedSize(of: transaction)
            if unpublishedBytes >= Self.publishBatchBytes { publishSubmitted() }
            note(displaced)
            produce(view: view, onlyFull: true)
        }
        return admission
    }

    /// A transaction arrived by gossip: admit it (dissemination forwards it).
    @discardableResult
    public mutating func receive(transaction: Transaction, view: some MempoolView) -> Admission {
        let admission = mempool.admit(transaction, view: pendingView(view), now: now)
        if case let .admitted(id, displaced) = admission {
            lastOffered[id] = now
            note(displaced)
            produce(view: view, onlyFull: true)
        }
        return admission
    }

    /// A message on the consensus traffic class from `peer`.
    public mutating func receive(_ message: ConsensusMessage, from peer: NodeID, view: some MempoolView) {
        switch message {
        case let .raft(m):
            guard raft != nil, let sender = configuration.replica(of: peer), sender == m.from else {
                out.events.append(.refused("raft message from \(peer), which is not replica \(m.from)"))
                return
            }
            raft!.step(m)
            produce(view: view)
        case let .vote(v):
            receive(vote: v, from: peer)
        }
    }

    /// A sealed block arrived by gossip from `peer` (a Plumtree neighbour).
    public mutating func receive(sealed block: SealedBlock, from peer: NodeID) {
        // The sender's height is not the block's: a proposer broadcasts a block
        // it sealed before the ones below it are sealed, so only its height
        // reports (`chainStatus`) tell block sync whom to ask.
        let height = block.height
        guard height > applied.height, height <= applied.height + configuration.settings.maxAhead,
              sealedAhead[height] == nil else { return }
        do {
            try verifier.verify(block)
        } catch {
            out.events.append(.refused("sealed block \(height) from \(peer): \(error)"))
            return
        }
        accept(block)
    }

    /// A block-sync message from a community peer. Block requests are the
    /// shell's to answer (it reads the block store).
    public mutating func receive(sync message: GossipMessage, from peer: NodeID) {
        if case .chainStatus = message { heardPeerHeight = true }
        carry(blockSync.receive(message, from: peer, now: gossipNow))
    }

    /// A link to `peer` opened; `address` is the one dialled (nil for an
    /// inbound link). Membership counts every link; a link inside the
    /// community (`inCommunity`; false for a gateway's link to another
    /// community's gateway) also joins the Plumtree neighbours, and the peer
    /// is told our height (block sync may ask it).
    public mutating func peerUp(_ peer: NodeID, address: String? = nil, inCommunity: Bool = true) {
        carry(membership.connected(peer, address: address, now: gossipNow))
        guard inCommunity else {
            foreignPeers.insert(peer)
            cityPeerUp(peer)
            return
        }
        carry(plumtree.peerUp(peer, now: gossipNow))
        if !syncPeers.contains(peer) { syncPeers.append(peer) }
        out.gossipSends.append((peer, .chainStatus(height: applied.height, head: applied.hash)))
    }

    /// The link to `peer` closed.
    public mutating func peerDown(_ peer: NodeID) {
        carry(membership.disconnected(peer, now: gossipNow))
        if foreignPeers.remove(peer) != nil {
            cityPeerDown(peer)
            return
        }
        carry(plumtree.peerDown(peer, now: gossipNow))
        syncPeers.removeAll { $0 == peer }
        carry(blockSync.peerDown(peer, now: gossipNow))
    }

    // MARK: - Outputs and their completion

    /// Everything the shell must do now (see `NodeOutput` for the order).
    public mutating func poll() -> NodeOutput {
        if pendingReady == nil, raft?.hasReady == true {
            let ready = raft!.ready()
            pendingReady = ready
            out.raft = ready
        }
        let result = out
        out = NodeOutput()
        return result
    }

    /// The shell made the last `poll()`'s Raft state durable and sent its
    /// messages: build blocks from the entries it committed.
    public mutating func raftPersisted(view: some MempoolView) {
        guard let ready = pendingReady else { return }
        pendingReady = nil
        if let snapshot = ready.snapshot, let position = try? ChainPosition(encoded: snapshot.data), position.height > built.height {
            built = position
            for h in unsealed.keys where h <= position.height { unsealed[h] = nil }
            out.events.append(.snapshotInstalled(position))
        }
        for entry in ready.committedEntries {
            inFlight.removeAll { $0 <= entry.index }
            guard case let .data(bytes) = entry.payload else { continue }
            guard let proposal = try? BlockProposal(encoded: bytes) else {
                // Every replica decodes the same bytes the same way, so all skip it.
                out.events.append(.refused("raft entry \(entry.index) is not a block proposal; skipped"))
                continue
            }
            build(proposal, raftIndex: entry.index)
        }
        raft!.advance()
        produce(view: view)
    }

    /// The shell stored and applied `blocks` (the last `apply`), and `view` now shows them.
    public mutating func applied(_ blocks: [SealedBlock], view: some MempoolView) {
        var transactions: [Transaction] = []
        for block in blocks { transactions += block.block.transactions }
        for tx in transactions { lastOffered[tx.id] = nil }
        for evicted in mempool.committed(transactions, view: view) {
            lastOffered[evicted.id] = nil
            out.events.append(.evicted(evicted))
        }
        for (signer, nonce) in pendingNonces where view.committedNonce(of: signer) >= nonce {
            pendingNonces[signer] = nil
        }
        guard raft != nil, let last = blocks.last else { return }
        let every = max(configuration.settings.compactEveryBlocks, 1)
        for block in blocks where block.height % every == 0 {
            if let index = builtIndex[block.height] {
                let position = ChainPosition(height: block.height, hash: block.header.hash, time: block.header.time)
                if let snapshot = raft!.compact(to: index, data: position.encoded()) { out.compaction = snapshot }
            }
        }
        for h in builtIndex.keys where h <= last.height { builtIndex[h] = nil }
        produce(view: view)
    }

    // MARK: - Block production (leader)

    /// Cuts batches while the pipeline has room. A new transaction cuts only a
    /// full batch (`onlyFull`); one waiting out the block interval is cut by
    /// the next tick, so a busy leader proposes (and fsyncs) once per tick at
    /// most for partial batches, not once per arriving transaction.
    private mutating func produce(view: some MempoolView, onlyFull: Bool = false) {
        guard let raft, raft.role == .leader, let index = validatorIndex else {
            if !inFlight.isEmpty { inFlight.removeAll() }
            return
        }
        inFlight.removeAll { $0 <= raft.commitIndex }
        // Configured learners join through the leader, one membership change at a time.
        if let learner = configuration.learners.first(where: { !raft.configuration.isMember($0) }) {
            _ = try? self.raft!.propose(configuration: .addLearner(learner))
        }
        let params = configuration.genesis.parameters
        let local = configuration.settings
        let maxCount = min(local.maxBlockTransactions ?? Int.max, Int(params.maxBlockTransactions))
        let maxBytes = min(local.maxBlockBytes ?? Int.max, Int(params.maxBlockBytes))
        let interval = min(local.blockInterval ?? UInt64.max, params.blockInterval)
        // Batches proposed and not committed, plus blocks built and not yet
        // applied here: while these are in the pipeline, transactions gather
        // for the next batch, so blocks grow with the load instead of the
        // pipeline filling with one-transaction blocks.
        while inFlight.count + unsealed.count < configuration.settings.maxProposalsInFlight {
            let batch = mempool.batch(maxCount: maxCount, maxBytes: maxBytes, view: pendingView(view))
            guard !batch.isEmpty else { return }
            var bytes = 0
            var oldest = now
            for tx in batch {
                bytes += Mempool.encodedSize(of: tx)
                if let arrival = mempool.arrival(of: tx.id) { oldest = min(oldest, arrival) }
            }
            let full = batch.count >= maxCount || bytes + configuration.settings.mempool.maxTransactionBytes > maxBytes
            guard full || (!onlyFull && now - oldest >= interval) else { return }
            // Wall time: a block's time never goes back on the chain (`build` takes the later of it and the previous block's).
            let proposal = BlockProposal(time: wall, proposer: index, transactions: batch)
            guard case let .appended(_, first, _)? = try? self.raft!.propose([proposal.encoded()]) else { return }
            inFlight.append(first)
            notePending(batch)
            out.events.append(.proposed(transactions: batch.count, raftIndex: first))
        }
    }

    private mutating func notePending(_ transactions: [Transaction]) {
        for tx in transactions where tx.nonce > pendingNonces[tx.signer, default: 0] {
            pendingNonces[tx.signer] = tx.nonce
        }
    }

    private func pendingView<V: MempoolView>(_ view: V) -> PendingNonceView<V> {
        PendingNonceView(base: view, pending: pendingNonces)
    }

    // MARK: - Building and sealing (validators and learners)

    private mutating func build(_ proposal: BlockProposal, raftIndex: UInt64) {
        let genesis = configuration.genesis
        let block = Block(community: genesis.community, height: built.height + 1, previous: built.hash,
                          time: max(proposal.time, built.time), proposer: proposal.proposer,
                          transactions: proposal.transactions)
        let hash = block.header.hash
        let height = block.header.height
        built = ChainPosition(height: height, hash: hash, time: block.header.time)
        builtIndex[height] = raftIndex
        notePending(proposal.transactions)
        if height <= applied.height {
            if let known = recentHashes[height], known != hash {
                out.events.append(.divergence(height: height, built: hash, known: known))
            }
            return
        }
        if let sealed = sealedAhead[height], sealed.header.hash != hash {
            out.events.append(.divergence(height: height, built: hash, known: sealed.header.hash))
            return
        }
        var entry = Unsealed(block: block, hash: hash)
        if let index = validatorIndex {
            let vote = VoteMessage(height: height, headerHash: hash,
                                   vote: BlockVote(index: index, key: configuration.nodeKey, headerHash: hash))
            entry.votes[index] = vote.vote
            entry.ownVote = vote
            entry.lastSent = now
            sendToValidators(.vote(vote))
        }
        for early in earlyVotes.removeValue(forKey: height) ?? [] where early.headerHash == hash {
            entry.votes[early.vote.validator] = early.vote
        }
        unsealed[height] = entry
        trySeal(height)
    }

    private mutating func receive(vote v: VoteMessage, from peer: NodeID) {
        let validators = configuration.genesis.validators
        guard raft != nil, v.height > applied.height, v.height <= applied.height + configuration.settings.maxAhead else { return }
        guard Int(v.vote.validator) < validators.count,
              NodeID(deriving: validators[Int(v.vote.validator)].nodeKey) == peer,
              validators[Int(v.vote.validator)].nodeKey.isValidSignature(v.vote.signature, for: v.headerHash.bytes, domain: .blockVote)
        else {
            out.events.append(.refused("vote for block \(v.height) from \(peer): not a valid signature of that validator"))
            return
        }
        guard var entry = unsealed[v.height] else {
            var early = earlyVotes[v.height, default: []]
            if !early.contains(v), early.count < validators.count * 2 { early.append(v) }
            earlyVotes[v.height] = early
            return
        }
        guard entry.hash == v.headerHash else {
            out.events.append(.refused("vote for block \(v.height) from \(peer) names \(v.headerHash.hex), built here: \(entry.hash.hex)"))
            return
        }
        entry.votes[v.vote.validator] = v.vote
        unsealed[v.height] = entry
        trySeal(v.height)
    }

    private mutating func trySeal(_ height: UInt64) {
        guard let entry = unsealed[height], entry.votes.count * 2 > configuration.genesis.validators.count else { return }
        let certificate = CommitCertificate(height: height, headerHash: entry.hash, votes: entry.votes.values.sorted())
        let sealed = SealedBlock(block: entry.block, certificate: certificate)
        unsealed[height] = nil
        if entry.block.header.proposer == validatorIndex {
            publish(.sealedBlock(sealed))
        }
        accept(sealed)
    }

    private mutating func resendVotes() {
        let period = configuration.settings.voteResendMillis
        for height in unsealed.keys.sorted() {
            guard let vote = unsealed[height]?.ownVote, now - unsealed[height]!.lastSent >= period else { continue }
            unsealed[height]!.lastSent = now
            sendToValidators(.vote(vote))
        }
    }

    private mutating func sendToValidators(_ message: ConsensusMessage) {
        let me = NodeID(deriving: configuration.nodeKey.publicKey)
        for node in configuration.validatorNodes where node != me {
            out.sends.append((node, message))
        }
    }

    // MARK: - Applying in order

    /// `block` is proven (sealed here, or its certificate checked): apply it
    /// once every block below it is applied.
    private mutating func accept(_ block: SealedBlock) {
        guard block.height > applied.height, sealedAhead[block.height] == nil else { return }
        sealedAhead[block.height] = block
        while let next = sealedAhead.removeValue(forKey: applied.height + 1) {
            let hash = next.header.hash
            guard next.header.previous == applied.hash else {
                out.events.append(.refused("sealed block \(next.height) does not extend the applied head \(applied)"))
                break
            }
            if let entry = unsealed.removeValue(forKey: next.height), entry.hash != hash {
                out.events.append(.divergence(height: next.height, built: entry.hash, known: hash))
            }
            earlyVotes[next.height] = nil
            applied = ChainPosition(height: next.height, hash: hash, time: next.header.time)
            lastProgress = now
            recentHashes[next.height] = hash
            recentHashes[next.height &- configuration.settings.maxAhead] = nil
            out.apply.append(next)
        }
        // Blocks block sync holds just above the new head come back in its
        // directives' `apply` and through `carry` to here again, each once.
        carry(blockSync.advanced(to: applied.height, head: applied.hash, now: gossipNow))
    }

    private mutating func carry(_ d: BlockSyncDirectives) {
        out.gossipSends += d.sends
        for (peer, reason) in d.disconnects { out.disconnects.append((peer, .blockSync(reason))) }
        for block in d.apply where block.height > applied.height { accept(block) }
    }

    // MARK: - Mempool upkeep

    private mutating func note(_ displaced: [EvictedTransaction]) {
        for evicted in displaced {
            lastOffered[evicted.id] = nil
            out.events.append(.evicted(evicted))
        }
    }

    /// Offers again the pending transactions that waited longest since they
    /// were last offered (one may have missed the leader while links changed).
    private mutating func rebroadcast() {
        let period = configuration.settings.rebroadcastMillis
        let due = lastOffered.filter { now - $0.value >= period }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            .prefix(configuration.settings.rebroadcastBatch)
        var again: [Transaction] = []
        for (id, _) in due {
            guard let tx = mempool.transaction(id) else { lastOffered[id] = nil; continue }
            lastOffered[id] = now
            again.append(tx)
        }
        offerAgain(again)
    }
}

/// A view whose committed nonces include those of batches proposed or built
/// but not yet applied, so the next batch starts after them.
struct PendingNonceView<Base: MempoolView>: MempoolView {
    let base: Base
    let pending: [PublicKey: UInt64]
    var community: CommunityID { base.community }
    func committedNonce(of signer: PublicKey) -> UInt64 { max(base.committedNonce(of: signer), pending[signer] ?? 0) }
    func permission(for transaction: Transaction) -> String? { base.permission(for: transaction) }
}
