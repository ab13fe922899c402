internal import CivitasCodec

/// # CivitasRaft: the Raft ordering core
///
/// `RaftCore` is one replica's Raft state machine as a value: it never reads a
/// clock, a socket, a disk or a global random source. The shell feeds it
/// `tick()` (logical time), `step(_:)` (a message that arrived) and
/// `propose(_:)`, then drains `ready()` and reports completion with `advance()`.
///
/// ## Persistence contract
///
/// Raft's safety rests on replicas remembering what they promised. For each
/// `Ready`, the shell must:
///
/// - make `snapshot`, `entries` and `hardState` durable — with fsync when
///   `mustSync` is true — **before** sending any of `messages`. A vote
///   (`hardState.vote`) must be on disk before the vote response leaves; an
///   appended entry before its acknowledgement leaves. The leader's own
///   appends are counted toward commit as soon as they are in a Ready, which is
///   safe only because its append messages go out after that Ready is durable.
/// - apply `committedEntries` only after the same Ready's entries are durable.
/// - call `advance()` once all of that is done, before the next `ready()`.
/// - treat `entries` as overwriting: delete persisted entries at or after
///   `entries.first.index` before writing them.
/// - on restart, pass back exactly what was durable:
///   `RaftCore(restoring:hardState:snapshot:entries:...)`.
///
/// `hardState.commit` may be persisted lazily (`mustSync` is false when only
/// it changed): a restarted replica relearns the commit index from the leader.
///
/// ## What it implements
///
/// Leader election with randomized timeouts, pre-vote, check-quorum and
/// follower leases; log replication with per-follower progress (probe,
/// replicate, snapshot), a bounded in-flight window, batching and fast
/// back-off; commit by counting replicas only for entries of the leader's
/// term, with a no-op appended by each new leader; compaction and snapshot
/// catch-up; single-server membership changes applied at commit, one at a
/// time and only after the leader committed in its own term; learners;
/// leadership transfer; proposal forwarding. Messages that are malformed or
/// that only a faulty leader could send are dropped and counted in
/// `droppedMessages`, never trusted and never a crash. Internal invariants are
/// asserted with `precondition` where they hold (TigerBeetle style): a failed
/// one is a bug in this core, not bad input.
public struct RaftCore: Sendable {
    /// This replica.
    public let id: ReplicaID
    public let settings: RaftSettings

    public private(set) var term: UInt64 = 0
    public private(set) var vote: ReplicaID? = nil
    public private(set) var role: RaftRole = .follower
    /// The leader of the current term, if known.
    public private(set) var leader: ReplicaID? = nil
    /// The membership in force (changes take effect when committed).
    public private(set) var configuration: Configuration
    /// Messages refused as malformed or impossible from a correct leader.
    public private(set) var droppedMessages: Int = 0
    /// Forwarded proposals that arrived where they could not be appended
    /// (no leader, or a transfer in progress). Their submitters retry.
    public private(set) var droppedProposals: Int = 0
    /// The target of a leadership transfer in progress.
    public private(set) var transferTarget: ReplicaID? = nil

    var log: RaftLog
    var progress: [ReplicaID: Progress] = [:]
    var votes: [ReplicaID: Bool] = [:]
    var messages: [Message] = []
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Index of the last membership entry appended while leader; no new change until it commits.
    var pendingConfigIndex: UInt64 = 0
    /// Index of the last membership entry applied to `configuration`.
    var configIndex: UInt64 = 0
    /// Membership after each applied change still in the log, for snapshots.
    var configHistory: [(index: UInt64, configuration: Configuration)] = []
    var snapshotConfiguration: Configuration
    var snapshotData: [UInt8] = []
    var snapshotToInstall: Snapshot? = nil
    var persistedHardState = HardState()
    var readyOutstanding = false
    var random: SplitMix64

    // MARK: Creating

    /// A brand-new cluster member. The initial voters are written as the
    /// first log entries (term 1, committed), identically on every founding
    /// member, so that later joiners learn the membership from the log.
    public static func bootstrap(id: ReplicaID, voters: [ReplicaID], settings: RaftSettings = RaftSettings(), seed: UInt64) -> RaftCore {
        let sorted = Array(Set(voters)).sorted()
        precondition(sorted.contains(id), "a founding member must be one of the voters")
        let entries = sorted.enumerated().map { i, v in
            Entry(term: 1, index: UInt64(i + 1), payload: .config(.addVoter(v)))
        }
        var core = RaftCore(id: id, settings: settings, seed: seed, hardState: HardState(term: 1, vote: nil, commit: UInt64(entries.count)),
                            snapshot: nil, entries: [], persisted: false)
        core.log.append(entries)
        core.log.commit(to: UInt64(entries.count))
        core.applyCommittedConfiguration()
        return core
    }

    /// A replica joining an existing cluster: it learns everything from the leader.
    public static func joining(id: ReplicaID, settings: RaftSettings = RaftSettings(), seed: UInt64) -> RaftCore {
        RaftCore(id: id, settings: settings, seed: seed, hardState: HardState(), snapshot: nil, entries: [], persisted: true)
    }

    /// A replica restarting from what was durable.
    public init(restoring id: ReplicaID, hardState: HardState, snapshot: Snapshot?, entries: [Entry],
                settings: RaftSettings = RaftSettings(), seed: UInt64) {
        self.init(id: id, settings: settings, seed: seed, hardState: hardState, snapshot: snapshot, entries: entries, persisted: true)
    }

    private init(id: ReplicaID, settings: RaftSettings, seed: UInt64, hardState: HardState, snapshot: Snapshot?,
                 entries: [Entry], persisted: Bool) {
        precondition(settings.heartbeatTicks >= 1 && settings.electionTicks > settings.heartbeatTicks, "need 1 <= heartbeat < election ticks")
        self.id = id
        self.settings = settings
        random = SplitMix64(seed: seed ^ (id &* 0x9E37_79B9_7F4A_7C15))
        log = RaftLog(snapshot: snapshot, entries: entries, commit: hardState.commit)
        term = hardState.term
        vote = hardState.vote
        snapshotConfiguration = snapshot?.configuration ?? Configuration(voters: [])
        snapshotData = snapshot?.data ?? []
        configuration = snapshotConfiguration
        configIndex = snapshot?.index ?? 0
        if persisted { persistedHardState = HardState(term: term, vote: vote, commit: log.committed) }
        applyCommittedConfiguration()
        becomeFollower(term: term, leader: nil)
    }

    // MARK: Status

    public var commitIndex: UInt64 { log.committed }
    public var lastIndex: UInt64 { log.lastIndex }
    public var lastTerm: UInt64 { log.lastTerm }
    public var appliedIndex: UInt64 { log.applied }
    /// First index still in the log (entries before it are compacted).
    public var firstIndex: UInt64 { log.firstIndex }
    /// Term of the entry at `index`, if it is still in the log.
    public func term(at index: UInt64) -> UInt64? { log.term(at: index) }
    /// The entry at `index`, if it is still in the log.
    public func entry(at index: UInt64) -> Entry? {
        index >= log.firstIndex && index <= log.lastIndex ? log.entry(at: index) : nil
    }
    /// True if this replica may campaign: a voter of the configuration in force.
    public var isPromotable: Bool { configuration.isVoter(id) }
    /// The leader's record of each follower's match index (empty unless leader).
    public var matchIndexes: [ReplicaID: UInt64] { progress.mapValues(\.match) }

    // MARK: Inputs

    /// Advances logical time by one tick.
    public mutating func tick() {
        electionElapsed += 1
        if role == .leader {
            heartbeatElapsed += 1
            if electionElapsed >= settings.electionTicks {
                electionElapsed = 0
                if settings.checkQuorum && !quorumActive() {
                    becomeFollower(term: term, leader: nil)
                    return
                }
                // A transfer that did not finish within an election timeout is abandoned.
                transferTarget = nil
            }
            if heartbeatElapsed >= settings.heartbeatTicks {
                heartbeatElapsed = 0
                broadcastHeartbeat()
            }
        } else if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            campaign(preVote: settings.preVote, transfer: false)
        }
    }

    /// Proposes application data. At the leader the entries are appended; at a
    /// follower they are forwarded to the leader; otherwise refused.
    @discardableResult
    public mutating func propose(_ data: [[UInt8]]) throws(ProposalError) -> ProposalOutcome {
        switch role {
        case .leader:
            guard transferTarget == nil else { throw .leadershipTransferInProgress }
            let first = log.lastIndex + 1
            appendAsLeader(data.map { .data($0) })
            return .appended(term: term, firstIndex: first, lastIndex: log.lastIndex)
        case .follower:
            guard let leader else { throw .noLeader }
            var m = Message(type: .propose, from: id, to: leader, term: 0)
            m.entries = data.map { Entry(term: 0, index: 0, payload: .data($0)) }
            messages.append(m)
            return .forwarded(to: leader)
        case .candidate, .preCandidate:
            throw .noLeader
        }
    }

    /// Proposes a membership change (leader only; one at a time).
    @discardableResult
    public mutating func propose(configuration change: ConfigChange) throws(ProposalError) -> ProposalOutcome {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard transferTarget == nil else { throw .leadershipTransferInProgress }
        guard pendingConfigIndex <= log.committed else { throw .configurationChangePending }
        let next = configuration.applying(change)
        guard next != configuration else { throw .invalidConfigurationChange("membership would not change") }
        if case let .addVoter(learner) = change, configuration.isLearner(learner), let match = progress[learner]?.match,
           match < log.committed {
            // A voter that lags would count toward quorums it cannot help reach: promote learners once caught up.
            throw .invalidConfigurationChange("learner \(learner) has not caught up (it holds \(match) of \(log.committed) committed entries)")
        }
        guard !next.voters.isEmpty else { throw .invalidConfigurationChange("the last voter cannot be removed") }
        appendAsLeader([.config(change)])
        pendingConfigIndex = log.lastIndex
        return .appended(term: term, firstIndex: log.lastIndex, lastIndex: log.lastIndex)
    }

    /// Hands leadership to `target` (leader only): proposals pause, the target
    /// is brought up to date and told to campaign at once.
    public mutating func transferLeadership(to target: ReplicaID) throws(ProposalError) {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard target != id else { return }
        guard configuration.isVoter(target), progress[target] != nil else {
            throw .invalidConfigurationChange("replica \(target) is not a voter")
        }
        if transferTarget == target { return }
        transferTarget = target
        electionElapsed = 0
        if progress[target]!.match == log.lastIndex {
            send(Message(type: .timeoutNow, from: id, to: target, term: term))
        } else {
            sendAppend(to: target)
        }
    }

    /// Discards log entries up to `index` (which must be applied), keeping a
    /// snapshot description with the application's `data` for followers that
    /// fall behind it. Returns the snapshot for the shell to persist.
    @discardableResult
    public mutating func compact(to index: UInt64, data: [UInt8]) -> Snapshot? {
        guard index > log.snapshotIndex, index <= log.applied else { return nil }
        let config = configuration(at: index)
        log.compact(to: index)
        snapshotConfiguration = config
        snapshotData = data
        configHistory.removeAll { $0.index <= index }
        return currentSnapshot
    }

    var currentSnapshot: Snapshot {
        Snapshot(index: log.snapshotIndex, term: log.snapshotTerm, configuration: snapshotConfiguration, data: snapshotData)
    }

    // MARK: Outputs

    /// True if `ready()` would return something to do.
    public var hasReady: Bool {
        snapshotToInstall != nil || log.hasUnstable || !messages.isEmpty || log.hasUnapplied || hardState != persistedHardState
    }

    var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// Takes the work accumulated since the last call. The caller must carry
    /// it out (see `Ready`) and call `advance()` before calling this again.
    public mutating func ready() -> Ready {
        precondition(!readyOutstanding, "advance() the previous Ready first")
        var rd = Ready()
        rd.snapshot = snapshotToInstall
        snapshotToInstall = nil
        rd.entries = log.takeUnstable()
        let hs = hardState
        if hs != persistedHardState {
            rd.hardState = hs
        }
        rd.mustSync = rd.snapshot != nil || !rd.entries.isEmpty || hs.term != persistedHardState.term || hs.vote != persistedHardState.vote
        persistedHardState = hs
        rd.committedEntries = log.takeCommitted(maxCount: settings.maxCommittedPerReady)
        rd.messages = messages
        messages = []
        readyOutstanding = true
        return rd
    }

    /// The last Ready has been carried out.
    public mutating func advance() {
        precondition(readyOutstanding, "advance() without ready()")
        readyOutstanding = false
        log.applied = log.applying
    }

    // MARK: Messages

    /// Handles a message from another replica.
    public mutating func step(_ m: Message) {
        guard m.to == id, m.from != id, isWellFormed(m) else {
            droppedMessages += 1
            return
        }
        if m.type == .propose {
            stepPropose(m)
            return
        }
        if m.term > term {
            if m.type == .vote || m.type == .preVote {
                // A follower that hears a live leader ignores campaigns (lease), unless the leader asked for one.
                let inLease = settings.checkQuorum && leader != nil && electionElapsed < settings.electionTicks
                if inLease && !m.transfer { return }
            }
            switch m.type {
            case .preVote:
                break  // a pre-vote never changes our term
            case .preVoteResponse where !m.reject:
                break  // the term we would campaign at; it becomes ours only if we win
            case .append, .heartbeat, .snapshot:
                becomeFollower(term: m.term, leader: m.from)
            default:
                becomeFollower(term: m.term, leader: nil)
            }
        } else if m.term < term {
            if (settings.checkQuorum || settings.preVote) && (m.type == .heartbeat || m.type == .append) {
                // A stale leader (e.g. healed from a partition) learns our term and steps down.
                send(Message(type: .appendResponse, from: id, to: m.from, term: term))
            } else if m.type == .preVote {
                var r = Message(type: .preVoteResponse, from: id, to: m.from, term: term)
                r.reject = true
                send(r)
            }
            return
        }

        switch m.type {
        case .preVote, .vote:
            stepVoteRequest(m)
        case .preVoteResponse, .voteResponse:
            stepVoteResponse(m)
        case .append:
            heardFromLeader(m)
            handleAppend(m)
        case .heartbeat:
            heardFromLeader(m)
            log.commit(to: min(m.commit, log.lastIndex))
            applyCommittedConfiguration()
            send(Message(type: .heartbeatResponse, from: id, to: m.from, term: term))
        case .snapshot:
            heardFromLeader(m)
            handleSnapshot(m)
        case .appendResponse:
            if role == .leader { handleAppendResponse(m) }
        case .heartbeatResponse:
            if role == .leader { handleHeartbeatResponse(m) }
        case .timeoutNow:
            if isPromotable && role != .leader {
                campaign(preVote: false, transfer: true)
            }
        case .propose:
            break
        }
    }

    /// A message from this term's leader: follow it and restart the election timer.
    mutating func heardFromLeader(_ m: Message) {
        if role != .follower { becomeFollower(term: m.term, leader: m.from) }
        electionElapsed = 0
        leader = m.from
    }

    /// Terms and indexes at or above this are refused: a real cluster never
    /// gets near it, and below it no `+ 1` in the core can overflow.
    static let numberLimit: UInt64 = 1 << 62

    /// Structural checks on anything that came from the network.
    func isWellFormed(_ m: Message) -> Bool {
        let limit = Self.numberLimit
        guard m.term < limit, m.logTerm < limit, m.index < limit, m.commit < limit, m.rejectHint < limit,
              m.entries.count < limit - m.index,
              m.snapshot.map({ $0.index < limit && $0.term < limit }) ?? true else { return false }
        switch m.type {
        case .append:
            var expected = m.index + 1
            var lastTerm = m.logTerm
            for e in m.entries {
                guard e.index == expected, e.term >= lastTerm, e.term <= m.term else { return false }
                expected += 1
                lastTerm = e.term
            }
            return m.term > 0
        case .snapshot:
            guard let s = m.snapshot else { return false }
            return s.term <= m.term && !s.configuration.voters.isEmpty
        case .propose:
            return m.entries.allSatisfy { if case .data = $0.payload { return true } else { return false } }
        default:
            return m.entries.isEmpty && m.term > 0
        }
    }

    mutating func stepPropose(_ m: Message) {
        let data = m.entries.compactMap { e -> [UInt8]? in if case let .data(d) = e.payload { return d } else { return nil } }
        switch role {
        case .leader where transferTarget == nil:
            appendAsLeader(data.map { .data($0) })
        case .follower where leader != nil && leader != m.from:
            var fwd = m
            fwd.from = id
            fwd.to = leader!
            messages.append(fwd)
        default:
            // The submitter watches for commit and retries; counting makes the loss visible.
            droppedProposals += 1
        }
    }

    mutating func stepVoteRequest(_ m: Message) {
        let isPre = m.type == .preVote
        let canVote = vote == m.from || (vote == nil && leader == nil) || (isPre && m.term > term)
        var r = Message(type: isPre ? .preVoteResponse : .voteResponse, from: id, to: m.from, term: term)
        if canVote && log.isUpToDate(lastIndex: m.index, lastTerm: m.logTerm) {
            // A grant carries the campaign's term, which for a pre-vote is not ours yet.
            r.term = m.term
            if !isPre {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            r.reject = true
        }
        send(r)
    }

    mutating func stepVoteResponse(_ m: Message) {
        guard (role == .preCandidate && m.type == .preVoteResponse) || (role == .candidate && m.type == .voteResponse) else { return }
        if votes[m.from] == nil { votes[m.from] = !m.reject }
        let granted = configuration.voters.filter { votes[$0] == true }.count
        let rejected = configuration.voters.filter { votes[$0] == false }.count
        if granted >= configuration.quorum {
            if role == .preCandidate {
                campaign(preVote: false, transfer: false)
            } else {
                becomeLeader()
            }
        } else if rejected >= configuration.quorum {
            becomeFollower(term: term, leader: nil)
        }
    }

    mutating func handleAppend(_ m: Message) {
        if m.index < log.committed {
            // Everything up to our commit index is settled; say so and let the leader move on.
            var r = Message(type: .appendResponse, from: id, to: m.from, term: term)
            r.index = log.committed
            send(r)
            return
        }
        // An entry conflicting with a committed one can only come from a faulty leader.
        for e in m.entries where e.index <= log.committed {
            if let t = log.term(at: e.index), t != e.term {
                droppedMessages += 1
                return
            }
        }
        var r = Message(type: .appendResponse, from: id, to: m.from, term: term)
        if let last = log.maybeAppend(index: m.index, logTerm: m.logTerm, leaderCommit: m.commit, entries: m.entries) {
            applyCommittedConfiguration()
            r.index = last
        } else {
            // Fast back-off: point the leader at our last entry whose term is no newer than its guess.
            let hint = log.lastIndex(atOrBefore: min(m.index, log.lastIndex), withTermAtMost: m.logTerm)
            r.reject = true
            r.index = m.index
            r.rejectHint = hint
            r.logTerm = log.term(at: hint) ?? 0
        }
        send(r)
    }

    mutating func handleSnapshot(_ m: Message) {
        let s = m.snapshot!
        var r = Message(type: .appendResponse, from: id, to: m.from, term: term)
        if s.index <= log.committed {
            r.index = log.committed
        } else if log.matchTerm(s.index, s.term) {
            log.commit(to: s.index)
            applyCommittedConfiguration()
            // Acknowledge only what the snapshot proves we share with the leader: entries
            // after it may conflict with the leader's log.
            r.index = s.index
        } else {
            log.restore(s)
            snapshotConfiguration = s.configuration
            snapshotData = s.data
            configuration = s.configuration
            configIndex = s.index
            configHistory = []
            snapshotToInstall = s
            r.index = s.index
        }
        send(r)
    }

    // Progress is mutated in place through the dictionary (`progress[id]!.…`):
    // copying it out and back would copy its in-flight window on every message.

    mutating func handleAppendResponse(_ m: Message) {
        guard progress[m.from] != nil else { return }
        guard m.index <= log.lastIndex, m.rejectHint <= log.lastIndex else {
            // A follower cannot have matched (or rejected) entries this leader never had.
            droppedMessages += 1
            return
        }
        progress[m.from]!.recentActive = true
        if m.reject {
            var next = m.rejectHint
            if m.logTerm > 0 {
                next = log.lastIndex(atOrBefore: m.rejectHint, withTermAtMost: m.logTerm)
            }
            if progress[m.from]!.maybeDecrease(rejected: m.index, hint: next) {
                if progress[m.from]!.state == .replicate { progress[m.from]!.becomeProbe() }
                sendAppend(to: m.from)
            }
            return
        }
        let wasPaused = progress[m.from]!.isPaused
        guard progress[m.from]!.maybeUpdate(m.index) else { return }
        switch progress[m.from]!.state {
        case .probe:
            progress[m.from]!.becomeReplicate()
        case .snapshot:
            if progress[m.from]!.match >= progress[m.from]!.pendingSnapshot { progress[m.from]!.becomeReplicate() }
        case .replicate:
            progress[m.from]!.freeInflight(upTo: m.index)
        }
        if maybeCommit() {
            broadcastAppend()
        } else if wasPaused {
            sendAppend(to: m.from)
        }
        // Pipelining: keep the window full.
        while role == .leader, progress[m.from] != nil, maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        if m.from == transferTarget, progress[m.from]?.match == log.lastIndex {
            send(Message(type: .timeoutNow, from: id, to: m.from, term: term))
        }
    }

    mutating func handleHeartbeatResponse(_ m: Message) {
        guard progress[m.from] != nil else { return }
        progress[m.from]!.recentActive = true
        progress[m.from]!.probeSent = false
        switch progress[m.from]!.state {
        case .snapshot:
            // The snapshot or its answer may have been lost: probe again to learn where the follower is.
            progress[m.from]!.becomeProbe()
        case .replicate where progress[m.from]!.isPaused:
            // Appends in the window may have been lost: fall back to probing.
            progress[m.from]!.becomeProbe()
        default:
            break
        }
        if progress[m.from]!.match < log.lastIndex { sendAppend(to: m.from) }
    }

    // MARK: Roles

    mutating func resetTimers() {
        electionElapsed = 0
        heartbeatElapsed = 0
        let jitter = max(1, settings.electionJitterTicks ?? settings.electionTicks)
        randomizedElectionTimeout = settings.electionTicks + Int(random.next() % UInt64(jitter))
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: ReplicaID?) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        role = .follower
        leader = newLeader
        progress = [:]
        votes = [:]
        transferTarget = nil
        resetTimers()
    }

    mutating func campaign(preVote: Bool, transfer: Bool) {
        guard isPromotable else { return }
        let campaignTerm: UInt64
        if preVote {
            role = .preCandidate
            leader = nil
            votes = [:]
            progress = [:]
            resetTimers()
            campaignTerm = term + 1
        } else {
            becomeFollower(term: term + 1, leader: nil)
            role = .candidate
            vote = id
            campaignTerm = term
        }
        votes[id] = true
        if configuration.quorum == 1 {
            if preVote { campaign(preVote: false, transfer: transfer) } else { becomeLeader() }
            return
        }
        for v in configuration.voters where v != id {
            var m = Message(type: preVote ? .preVote : .vote, from: id, to: v, term: campaignTerm)
            m.index = log.lastIndex
            m.logTerm = log.lastTerm
            m.transfer = transfer
            send(m)
        }
    }

    mutating func becomeLeader() {
        role = .leader
        leader = id
        votes = [:]
        transferTarget = nil
        resetTimers()
        progress = [:]
        for member in configuration.members where member != id {
            var pr = Progress(next: log.lastIndex + 1, isLearner: configuration.isLearner(member), maxInflight: settings.maxInflight)
            pr.recentActive = true
            progress[member] = pr
        }
        // A new leader commits earlier terms' entries only through an entry of its own term (§5.4.2).
        appendAsLeader([.noop])
        // No membership change until that entry commits (the single-server change rule).
        pendingConfigIndex = log.lastIndex
    }

    mutating func appendAsLeader(_ payloads: [EntryPayload]) {
        guard !payloads.isEmpty else { return }
        var index = log.lastIndex
        let entries = payloads.map { p -> Entry in
            index += 1
            return Entry(term: term, index: index, payload: p)
        }
        log.append(entries)
        if maybeCommit() {}
        broadcastAppend()
    }

    // MARK: Replication

    mutating func send(_ m: Message) { messages.append(m) }

    mutating func broadcastAppend() {
        for member in progress.keys.sorted() { sendAppend(to: member) }
    }

    mutating func broadcastHeartbeat() {
        for member in progress.keys.sorted() {
            var m = Message(type: .heartbeat, from: id, to: member, term: term)
            m.commit = min(progress[member]!.match, log.committed)
            send(m)
        }
    }

    mutating func sendAppend(to member: ReplicaID) {
        _ = maybeSendAppend(to: member, sendIfEmpty: true)
    }

    /// Sends the next batch of entries (or a snapshot) to `member` unless paused.
    mutating func maybeSendAppend(to member: ReplicaID, sendIfEmpty: Bool) -> Bool {
        guard progress[member] != nil, !progress[member]!.isPaused else { return false }
        let next = progress[member]!.next
        let prevIndex = next - 1
        guard let prevTerm = log.term(at: prevIndex) else {
            // The entries it needs were compacted: send the snapshot.
            var m = Message(type: .snapshot, from: id, to: member, term: term)
            m.snapshot = currentSnapshot
            progress[member]!.becomeSnapshot(log.snapshotIndex)
            send(m)
            return false
        }
        let entries = next <= log.lastIndex
            ? log.slice(from: next, to: log.lastIndex, maxCount: settings.maxEntriesPerMessage, maxBytes: settings.maxBytesPerMessage)
            : []
        if entries.isEmpty && !sendIfEmpty { return false }
        var m = Message(type: .append, from: id, to: member, term: term)
        m.index = prevIndex
        m.logTerm = prevTerm
        m.commit = log.committed
        m.entries = entries
        progress[member]!.sentEntries(last: entries.last?.index ?? prevIndex, count: entries.count)
        send(m)
        return true
    }

    /// Commits the highest index a quorum of voters holds, if it is from this term.
    mutating func maybeCommit() -> Bool {
        var matches = configuration.voters.map { $0 == id ? log.lastIndex : (progress[$0]?.match ?? 0) }
        guard !matches.isEmpty else { return false }
        matches.sort(by: >)
        let candidate = matches[configuration.quorum - 1]
        guard candidate > log.committed, log.term(at: candidate) == term else { return false }
        log.commit(to: candidate)
        applyCommittedConfiguration()
        return true
    }

    /// True if a quorum of voters was heard from since the last call; starts a new round.
    mutating func quorumActive() -> Bool {
        let active = configuration.voters.filter { $0 == id || progress[$0]?.recentActive == true }.count
        for key in progress.keys { progress[key]!.recentActive = false }
        return active >= configuration.quorum
    }

    // MARK: Membership

    /// Applies membership entries that have become committed, in log order.
    mutating func applyCommittedConfiguration() {
        guard configIndex < log.committed else { return }
        var index = max(configIndex + 1, log.firstIndex)
        while index <= log.committed {
            if case let .config(change) = log.entry(at: index).payload {
                configuration = configuration.applying(change)
                configHistory.append((index, configuration))
                configurationChanged()
                if role != .leader && role != .follower && !isPromotable {
                    becomeFollower(term: term, leader: nil)
                }
            }
            index += 1
        }
        configIndex = log.committed
    }

    mutating func configurationChanged() {
        guard role == .leader else { return }
        guard configuration.isVoter(id) else {
            // A leader that removed (or demoted) itself steps down once the change is committed.
            becomeFollower(term: term, leader: nil)
            return
        }
        for member in configuration.members where member != id {
            if progress[member] == nil {
                var pr = Progress(next: log.lastIndex + 1, isLearner: configuration.isLearner(member), maxInflight: settings.maxInflight)
                pr.recentActive = true
                progress[member] = pr
            } else {
                progress[member]!.isLearner = configuration.isLearner(member)
            }
        }
        for member in progress.keys where !configuration.isMember(member) {
            progress[member] = nil
        }
        if let t = transferTarget, !configuration.isVoter(t) { transferTarget = nil }
    }

    func configuration(at index: UInt64) -> Configuration {
        configHistory.last { $0.index <= index }?.configuration ?? snapshotConfiguration
    }
}
