import CivitasCodec
public import CivitasGossip
public import CivitasLedger
import CivitasRaft
public import CivitasTime

/// The one code that carries out `NodeCore`'s outputs, generic over the
/// world it runs in (`NodeEnvironment`): the real node and the simulator
/// each supply an environment and nothing more, so what the simulator
/// measures is what the node does.
///
/// The contract, in order, for every output the core produces:
/// 1. Raft: its snapshot, entries and hard state are made durable, then its
///    messages are sent (persist before send); compactions are recorded.
/// 2. Votes, gossip messages and dials go out; they depend on nothing unpersisted.
/// 3. Sealed blocks are appended to the block store and made durable, then
///    applied to the state, then waiting submissions are answered, then the
///    core is told (append, sync, apply, acknowledge).
/// 4. Events are reported, links the core gave up on are closed.
/// 5. The core is told Raft's state is persisted, and builds blocks from
///    what committed.
///
/// The driver also owns what both shells need around the core: the nonce
/// cache the mempool reads, submissions waiting for their commit, serving
/// block ranges (one set of limits, `BlockRangeService`), and decoding
/// consensus messages. A throw means storage failed: the node can no longer
/// keep its promises and must stop (the simulator treats it as a crash).
public struct NodeDriver<Environment: NodeEnvironment> {
    public private(set) var core: NodeCore
    public let environment: Environment
    private let nonces: NonceCache
    private var waiting: [Hash: [Waiter]] = [:]
    private var nextTicket: UInt64 = 1
    /// What the city overlay delivered for this chain to record: neighbours'
    /// checkpoints (kind 10) and referral records (kind 17).
    private var recordsDue: [TransactionPayload] = []
    /// Referral records handed to the mempool lately, by their ID on the
    /// neighbour's chain: a record that arrives again before its relay
    /// commits is not submitted twice.
    private var relaying: [Hash: MonotonicTime] = [:]
    /// Records kept waiting at most (a node unable to take submissions for long drops the oldest).
    static var maxRecordsDue: Int { 4_096 }
    /// When this gateway next sends its unanswered referrals again.
    private var nextReferralResend: MonotonicTime
    /// The earliest deadline of the waiting submissions (`.max`: none waits).
    private var nextExpiry: MonotonicTime = .max

    private typealias Waiter = SubmissionWaiter
    public typealias SubmitStart = SubmissionStart
    public typealias Input = NodeDriverInput

    /// A driver for a node whose block store ends at `applied` (genesis for a
    /// new node); a validator or learner passes what its Raft log held.
    public init(configuration: NodeCoreConfiguration, environment: Environment, applied: ChainPosition,
                restoring: NodeCore.RaftRestore?, seed: UInt64) {
        self.environment = environment
        core = NodeCore(configuration: configuration, applied: applied, restoring: restoring, now: environment.monotonicNow,
                        wall: environment.wallMillis, seed: seed)
        nonces = NonceCache(community: configuration.genesis.community) { [unowned environment] in environment.storedNonce(of: $0) }
        core.adopt(federation: environment.adoptedFederation())
        nextReferralResend = environment.monotonicNow + configuration.settings.referralResend
        // A gateway that restarts knows its recent checkpoints again (from its
        // blocks), so it can announce them to links that missed them.
        let interval = configuration.genesis.parameters.checkpointInterval
        if configuration.role == .gateway, interval > 0 {
            var recent: [SealedBlock] = []
            var height = environment.storedHeight / interval * interval
            while height > 0, recent.count < 8 {
                if let block = try? environment.readBlocks(from: height, through: height, maxBytes: .max).first { recent.append(block) }
                height -= interval
            }
            for block in recent.reversed() { core.publishCheckpointIfDue(block) }
        }
    }

    /// The mempool's view of the committed state: cached nonces, the rules against the state.
    private var view: DriverView<Environment> { DriverView(nonces: nonces, environment: environment) }

    // MARK: - Inputs

    /// Time passed: the core's timers run, waits past their deadline end.
    /// Time passes: the core's timers run. Returns `nextWake()`, when ticking
    /// next matters if no input comes first.
    @discardableResult
    public mutating func tick() throws -> MonotonicTime {
        let now = environment.monotonicNow
        core.tick(now: now, wall: environment.wallMillis, view: view)
        try drain()
        if now >= nextExpiry { expireWaiters(now: now) }
        if now >= nextReferralResend {
            nextReferralResend = now + core.configuration.settings.referralResend
            relaying = relaying.filter { now - $0.value < core.configuration.settings.referralResend }
            try resendUnansweredReferrals()
            try drain()
        }
        return nextWake()
    }

    /// The earliest instant at which `tick` could do more than read the
    /// clocks, if no input arrives first (`NodeCore.nextWake`, and the
    /// driver's own: a waiting submission's deadline, the referrals' resend,
    /// neighbours' records still to record). A shell may skip ticks before
    /// it and must ask again after each input. (`mutating` only so that it
    /// is called in place, without copying the driver.)
    public mutating func nextWake() -> MonotonicTime {
        if !recordsDue.isEmpty { return core.now }
        return min(core.nextWake(), nextReferralResend, nextExpiry)
    }

    /// A client's transaction. With `wait`, a transaction admitted (or
    /// already pending) is answered when it commits here or the wait ends.
    public mutating func submit(_ transaction: Transaction, wait: Duration? = nil) throws -> SubmitStart {
        let id = transaction.id
        if let reason = core.notReadyForSubmissions {
            // A committed transaction is still answered as such: a retrying client needs its place.
            if let place = environment.committedPlace(of: id) { return .answered(.committed(id, place)) }
            return .answered(.unavailable(reason: reason))
        }
        let admission = core.submit(transaction, view: view)
        try drain()
        let accepted: SubmitOutcome
        switch admission {
        case .admitted:
            accepted = .accepted(id: id)
        case .alreadyKnown:
            accepted = .alreadyKnown(id: id)
        case let .rejected(reason):
            switch reason {
            case .full:
                return .answered(.unavailable(reason: reason.description))
            case .nonceUsed:
                // The same transaction, committed meanwhile, answers where it is; another is a replay.
                if let place = environment.committedPlace(of: id) { return .answered(.committed(id, place)) }
                return .answered(.rejected(id: id, reason: reason.description, replay: true))
            default:
                return .answered(.rejected(id: id, reason: reason.description, replay: false))
            }
        }
        guard let wait, wait > .zero else { return .answered(accepted) }
        let ticket = SubmissionTicket(value: nextTicket)
        nextTicket += 1
        let deadline = environment.monotonicNow + wait
        waiting[id, default: []].append(Waiter(ticket: ticket, deadline: deadline))
        nextExpiry = min(nextExpiry, deadline)
        return .waiting(ticket)
    }

    /// Inputs that arrived together, handled together: the core takes them
    /// all, then its outputs are carried out once — a burst of Raft appends
    /// costs one write-ahead-log sync and one set of replies.
    public mutating func receive(_ inputs: [Input]) throws {
        for input in inputs { take(input) }
        try drain()
    }

    /// One input (as `receive([input])`, without building the array).
    public mutating func receive(_ input: Input) throws {
        take(input)
        try drain()
    }

    public mutating func receive(consensus bytes: [UInt8], from peer: NodeID) throws {
        try receive(.consensus(from: peer, bytes))
    }

    public mutating func receive(gossip message: GossipMessage, from peer: NodeID) throws {
        try receive(.gossip(from: peer, message))
    }

    public mutating func linkUp(_ peer: NodeID, address: String?, inCommunity: Bool = true) throws {
        try receive(.linkUp(peer, address: address, inCommunity: inCommunity))
    }

    public mutating func linkDown(_ peer: NodeID) throws {
        try receive(.linkDown(peer))
    }

    public mutating func dialFailed(address: String, node: NodeID?) throws {
        try receive(.dialFailed(address: address, node: node))
    }

    /// Hands one input to the core (block requests are answered here, from the block store).
    private mutating func take(_ input: Input) {
        switch input {
        case let .consensus(peer, bytes):
            do {
                core.receive(try ConsensusMessage(encoded: bytes), from: peer, view: view)
            } catch {
                environment.disconnect(peer, reason: .malformedConsensus("\(error)"))
            }
        case let .gossip(peer, .blockRequest(requestID, start, count)):
            let env = environment
            let (response, failure) = BlockRangeService.respond(requestID: requestID, start: start, count: count,
                                                                storedHeight: env.storedHeight) { from, through, maxBytes in
                try env.readBlocks(from: from, through: through, maxBytes: maxBytes)
            }
            if let failure { env.note(.blockReadFailed("blocks from \(start) for \(peer): \(failure)")) }
            env.send(response, to: peer, lane: .bulk)
        case let .gossip(peer, message):
            core.receive(gossip: message, from: peer, view: view)
        case let .linkUp(peer, address, inCommunity):
            core.peerUp(peer, address: address, inCommunity: inCommunity)
        case let .linkDown(peer):
            core.peerDown(peer)
        case let .dialFailed(address, node):
            core.dialFailed(address: address, node: node)
        }
    }

    /// Checkpoints of this chain that neighbours anchored, fetched by the
    /// shell (`NodeCore.learnAnchors`); returns how many were taken.
    @discardableResult
    public mutating func learnAnchors(_ checkpoints: [Checkpoint]) throws -> Int {
        let taken = core.learnAnchors(checkpoints)
        try drain()
        return taken
    }

    /// Publishes `payload` city-wide on a city topic (gateways only).
    public mutating func publishCity(topic: GossipTopic, payload: [UInt8]) throws {
        core.publishCity(topic: topic, payload: payload)
        try drain()
    }

    /// The node stops: every waiting submission is answered "not yet".
    public mutating func stop() {
        for ticket in waiting.values.flatMap({ $0.map(\.ticket) }).sorted() {
            environment.submissionFinished(ticket, nil)
        }
        waiting = [:]
    }

    // MARK: - Carrying out the core's outputs

    private mutating func drain() throws {
        var rounds = 0
        while true {
            let out = core.poll()
            if out.isEmpty {
                // Records wait while the node cannot take submissions (it is
                // catching up): dropped, a neighbour's checkpoint would be lost.
                if recordsDue.count > Self.maxRecordsDue {
                    environment.note(.refused("\(recordsDue.count - Self.maxRecordsDue) neighbours' records dropped: the node has been unable to take submissions for long"))
                    recordsDue.removeFirst(recordsDue.count - Self.maxRecordsDue)
                }
                guard !recordsDue.isEmpty, core.notReadyForSubmissions == nil else { return }
                record()
                continue
            }
            try carry(out)
            rounds += 1
            if rounds >= 10_000 {
                environment.note(.refused("the node core kept producing output for \(rounds) rounds; yielding"))
                return
            }
        }
    }

    private mutating func carry(_ out: NodeOutput) throws {
        let env = environment
        if let ready = out.raft {
            try env.persist(ready)
            for m in ready.messages {
                if let node = core.node(of: m.to) { env.send(.raft(m), to: node) }
            }
        }
        if let snapshot = out.compaction { try env.persistCompaction(snapshot) }
        for (to, message) in out.sends { env.send(message, to: to) }
        for (to, message) in out.gossipSends { env.send(message, to: to, lane: .gossip) }
        for (address, node) in out.dials { env.dial(address, expecting: node) }
        if !out.apply.isEmpty { try apply(out.apply) }
        for event in out.events {
            env.note(event)
            switch event {
            case let .cityDelivery(.cityCheckpoints, payload, _):
                if let checkpoint = try? Checkpoint(encoded: payload), checkpoint.community != core.configuration.genesis.community {
                    recordsDue.append(.checkpoint(checkpoint))
                }
            case let .cityDelivery(.cityReferrals, payload, _):
                try take(referralDispatch: payload)
            default:
                break
            }
        }
        for (peer, reason) in out.disconnects { env.disconnect(peer, reason: reason) }
        if out.raft != nil { core.raftPersisted(view: view) }
    }

    /// Append, sync, apply, acknowledge.
    private mutating func apply(_ blocks: [SealedBlock]) throws {
        let env = environment
        let fresh = blocks.filter { $0.height > env.storedHeight }
        if !fresh.isEmpty { try env.storeBlocks(fresh) }
        for block in blocks {
            let rejected = try env.apply(block)
            for (i, tx) in block.block.transactions.enumerated() {
                if rejected[tx.id] == nil, core.isReferralRecordForNeighbours(tx) { core.publishReferralRecord(index: i, of: block) }
                guard let list = waiting.removeValue(forKey: tx.id) else { continue }
                let place = CommittedPlace(height: block.height, index: UInt32(i), applied: rejected[tx.id] == nil, reason: rejected[tx.id])
                for w in list { env.submissionFinished(w.ticket, .committed(tx.id, place)) }
            }
            nonces.advance(by: block.block.transactions)
        }
        core.applied(blocks, view: view)
        unwedgeRecords()
        if blocks.contains(where: { $0.block.transactions.contains { $0.payload.kind == .federationAdoption } }) {
            core.adopt(federation: env.adoptedFederation())
        }
    }

    /// A gateway records what its city overlay delivered for this chain —
    /// neighbours' checkpoints (their certificates already checked against
    /// the adopted document) and referral records — as transactions of this
    /// chain, signed with its anchoring key, through its own mempool and its
    /// community's ordering; every replica checks each proof again when it
    /// applies the block. One another gateway of this community recorded
    /// first is refused by the rules as already recorded, and is dropped.
    private mutating func record() {
        let due = recordsDue
        recordsDue = []
        guard let key = environment.anchoringKey else { return }
        let community = core.configuration.genesis.community
        for payload in due {
            let pending = core.mempool.pending(of: key.publicKey).map(\.nonce).max() ?? 0
            let nonce = max(nonces.nonce(of: key.publicKey), pending) + 1
            let tx = UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce, time: core.wall,
                                         payload: payload).signed(with: key)
            if case let .rejected(reason) = core.submit(tx, view: view) {
                switch payload {
                case let .checkpoint(checkpoint):
                    environment.note(.refused("checkpoint of \(checkpoint.community) at height \(checkpoint.height) not recorded: \(reason)"))
                default:
                    environment.note(.refused("referral record not recorded: \(reason)"))
                }
            }
        }
    }

    /// A gateway's records wait in nonce order, so one that cannot commit
    /// holds back every later one, its neighbours' checkpoints included. That
    /// happens when the rules come to refuse a record already signed (a
    /// neighbour's referral relayed again, and answered here before the copy
    /// committed): a leader that did not yet hold it refuses it, so its nonce
    /// never reaches a block. It also happens when the record with the next
    /// nonce left this mempool (stale, displaced). Then the gateway's pending
    /// records are withdrawn, the refused ones dropped, and the rest signed
    /// again from the next nonce. Old copies that still commit elsewhere use
    /// up their nonces, and their duplicates are refused as already recorded.
    private mutating func unwedgeRecords() {
        guard let key = environment.anchoringKey, let head = core.mempool.pending(of: key.publicKey).first else { return }
        let next = nonces.nonce(of: key.publicKey) + 1
        let refused = head.nonce == next ? view.permission(for: head) : nil
        guard head.nonce > next || refused != nil else { return }
        environment.note(.refused("this gateway's records waited behind nonce \(next) (\(refused ?? "not held here")); signed again from it"))
        let withdrawn = core.withdraw(of: key.publicKey)
        recordsDue.insert(contentsOf: withdrawn.filter { view.permission(for: $0) == nil }.map(\.payload), at: 0)
    }

    // MARK: - Referrals across the city

    /// A referral record the city overlay delivered (its proof checked): a
    /// neighbour's referral to this community, or the neighbour's receipt of
    /// or answer to one this community made, is recorded here once. A
    /// referral already received was sent again because its origin has not
    /// seen the receipt or the answer: they are sent again instead.
    private mutating func take(referralDispatch payload: [UInt8]) throws {
        guard environment.anchoringKey != nil, let dispatch = try? ReferralDispatch(encoded: payload),
              let tx = try? Transaction(encoded: dispatch.record.transaction) else { return }
        let own = core.configuration.genesis.community
        switch tx.payload {
        case let .referral(referral) where referral.toCommunity == own:
            if let received = environment.incomingReferral(tx.id) {
                try resend(received.transaction)
                if let answer = received.answerTransaction { try resend(answer) }
                return
            }
        case let .referralRelay(relay) where relay.record.community == own:
            guard let carried = try? Transaction(encoded: relay.record.transaction),
                  environment.referral(carried.id)?.delivered == nil else { return }
        case let .referralAnswer(answer) where answer.fromCommunity == own:
            guard environment.referral(answer.referral)?.answer == nil else { return }
        default:
            return
        }
        let now = environment.monotonicNow
        if let since = relaying[tx.id], now - since < core.configuration.settings.referralResend { return }
        relaying[tx.id] = now
        recordsDue.append(.referralRelay(ReferralRelay(record: dispatch.record)))
    }

    /// Sends this community's unanswered referrals city-wide again (gateways with an adopted document).
    private mutating func resendUnansweredReferrals() throws {
        guard core.city != nil, core.federation != nil else { return }
        for referral in environment.unansweredReferrals() { try resend(referral.id) }
    }

    /// Sends the record `id` of this chain city-wide again, from the block store.
    private mutating func resend(_ id: Hash) throws {
        guard core.city != nil, let place = environment.committedPlace(of: id), place.applied,
              let block = try environment.readBlocks(from: place.height, through: place.height, maxBytes: .max).first,
              Int(place.index) < block.block.transactions.count else { return }
        core.publishReferralRecord(index: Int(place.index), of: block)
    }

    private mutating func expireWaiters(now: MonotonicTime) {
        var due: [SubmissionTicket] = []
        nextExpiry = .max
        for (id, list) in waiting {
            let rest = list.filter { $0.deadline > now }
            if rest.count < list.count {
                due += list.filter { $0.deadline <= now }.map(\.ticket)
                waiting[id] = rest.isEmpty ? nil : rest
            }
            for waiter in rest { nextExpiry = min(nextExpiry, waiter.deadline) }
        }
        for ticket in due.sorted() { environment.submissionFinished(ticket, nil) }
    }
}

// The driver's value types live outside the generic `NodeDriver`: a type
// nested in a generic type is generic too, and every array or dictionary of
// it had its metadata looked up at run time, on every input to every node.

/// Something the links brought (`NodeDriver.Input`).
public enum NodeDriverInput: Sendable {
    /// A consensus-class message (Raft or a vote), undecoded.
    case consensus(from: NodeID, [UInt8])
    case gossip(from: NodeID, GossipMessage)
    /// A link opened (`address`: the one dialled; nil for an inbound link).
    case linkUp(NodeID, address: String?, inCommunity: Bool)
    case linkDown(NodeID)
    /// A dial the core asked for failed.
    case dialFailed(address: String, node: NodeID?)
}

/// What `NodeDriver.submit` answers at once, or the ticket a later answer
/// comes with (`NodeEnvironment.submissionFinished`).
public enum SubmissionStart: Sendable, Hashable {
    case answered(SubmitOutcome)
    case waiting(SubmissionTicket)
}

/// A submission waiting for its commit.
struct SubmissionWaiter {
    let ticket: SubmissionTicket
    /// On the monotonic clock.
    let deadline: MonotonicTime
}

extension SubmitOutcome {
    /// Committed at `place`.
    static func committed(_ id: Hash, _ place: CommittedPlace) -> SubmitOutcome {
        .committed(id: id, height: place.height, index: place.index, applied: place.applied, reason: place.reason)
    }
}

/// The mempool's view through the driver: nonces from the cache, the rules from the environment.
struct DriverView<Environment: NodeEnvironment>: MempoolView {
    let nonces: NonceCache
    let environment: Environment
    var community: CommunityID { nonces.community }
    func committedNonce(of signer: PublicKey) -> UInt64 { nonces.nonce(of: signer) }
    func permission(for transaction: Transaction) -> String? { environment.permission(for: transaction) }
}
