import CivitasRaft
import CivitasStorage

/// Runs a Raft cluster of `RaftCore`s in one process on a virtual clock,
/// with simulated links and disks, injects faults drawn from one seed, and
/// checks Raft's safety properties continuously and liveness once faults stop.
/// The same seed and options give the same run, event for event.
public struct RaftSimulation {
    public let seed: UInt64
    public let options: RaftSimulationOptions

    enum Event {
        case tick(ReplicaID, incarnation: Int)
        case deliver(Message)
        case fsyncDone(ReplicaID, incarnation: Int)
        case propose
        case fault
        case healPartition
        case restoreLink
        case restart(ReplicaID)
        case checkLogMatching
        case endFaults
        case livenessProbe
    }

    struct Replica {
        let id: ReplicaID
        /// The replica's core; meaningful only while `alive` (kept in place, never copied, for speed).
        var core: RaftCore
        var alive = false
        /// The replica's disk: the real WAL on a simulated file system.
        var storage: SimStorage
        var incarnation = 0
        var syncing: Ready? = nil
        var appliedIndex: UInt64 = 0
        var chain: UInt64 = 0
        var started = false
        var lastRole: RaftRole = .follower
        var lastCommit: UInt64 = 0
        /// Highest commit index already compared with the global record.
        var checkedCommit: UInt64 = 0
        var lastTerm: UInt64 = 0
        /// Highest term in which this replica sent anything (persist-before-send check).
        var maxSentTerm: UInt64 = 0
        /// Votes it granted, by term.
        var grantedVotes: [UInt64: ReplicaID] = [:]
    }

    var now: SimTime = 0
    var queue = EventQueue<Event>()
    var random: SimRandom
    var faultRandom: SimRandom
    var network: SimNetwork
    var replicas: [Replica]
    var report: RaftSimulationReport
    var faultsActive = true
    var partitionActive = false
    var nextPayload: UInt64 = 0
    /// Leader of each term ever seen.
    var leaders: [UInt64: ReplicaID] = [:]
    /// Term and payload fingerprint of every committed index ever seen.
    /// For every index ever seen committed: the entry's term and fingerprint, and
    /// the term of the replica that first saw it committed (it was committed in
    /// that term or an earlier one).
    var committed: [UInt64: (term: UInt64, fingerprint: UInt64, seenInTerm: UInt64)] = [:]
    var maxCommitted: UInt64 = 0
    /// Chain hash of the applied state at each index.
    var chainAt: [UInt64: UInt64] = [:]
    /// Replicas ever added to the configuration, and ever removed (never re-added).
    var removed: Set<ReplicaID> = []
    var livenessMarker: UInt64? = nil
    var livenessDeadline: SimTime = 0

    public init(seed: UInt64, options: RaftSimulationOptions = RaftSimulationOptions()) {
        self.seed = seed
        self.options = options
        var root = SimRandom(seed: seed)
        random = root.fork()
        faultRandom = root.fork()
        network = SimNetwork(profile: options.link)
        report = RaftSimulationReport(seed: seed)
        let total = options.voters + options.spares
        let walOptions = WALOptions(segmentSize: options.walSegmentSize, preallocate: true)
        replicas = (1...total).map {
            Replica(id: ReplicaID($0), core: RaftCore.joining(id: ReplicaID($0), seed: seed),
                    storage: SimStorage(seed: seed ^ (UInt64($0) &* 0x9E37_79B9_7F4A_7C15), walOptions: walOptions))
        }
    }

    /// Runs to the end (or the first violation) and returns the report.
    public mutating func run() -> RaftSimulationReport {
        startFounders()
        queue.schedule(.propose, at: random.below(options.proposalInterval))
        queue.schedule(.fault, at: options.faultInterval / 2)
        queue.schedule(.checkLogMatching, at: options.logMatchingInterval)
        queue.schedule(.endFaults, at: options.faultPhase)
        while report.violation == nil, let (time, event) = queue.pop() {
            now = time
            report.events += 1
            handle(event)
            if livenessMarker == nil && !faultsActive && report.recoveryTime != nil { break }
        }
        if report.violation == nil && report.recoveryTime == nil {
            fail(.liveness, nil, "no recovery within the bound")
        }
        if report.violation == nil { checkLogMatching() }
        if report.violation == nil { checkConvergence() }
        report.simulatedTime = now
        report.messagesSent = network.sent
        report.messagesLost = network.lost
        report.highestTerm = replicas.indices.filter { replicas[$0].alive }.map { replicas[$0].core.term }.max() ?? 0
        report.committedEntries = maxCommitted
        for r in replicas { report.walSegmentsRemoved += r.storage.wal?.log.segmentsRemoved ?? 0 }
        return report
    }

    func index(_ id: ReplicaID) -> Int { Int(id) - 1 }

    /// Boots the founding voters (replicas 1...voters).
    mutating func startFounders() {
        let founders = (1...options.voters).map { ReplicaID($0) }
        for id in founders {
            replicas[index(id)].core = RaftCore.bootstrap(id: id, voters: founders, settings: options.raft, seed: seed)
            replicas[index(id)].alive = true
            start(id)
        }
    }

    mutating func fail(_ p: InvariantViolation.Property, _ replica: ReplicaID?, _ detail: String) {
        guard report.violation == nil else { return }
        report.violation = InvariantViolation(property: p, time: now, replica: replica, detail: detail)
    }

    mutating func trace(_ s: String) {
        report.trace.append("t=\(formatTime(now)) \(s)")
    }

    // MARK: Events

    mutating func handle(_ event: Event) {
        switch event {
        case let .tick(id, inc):
            guard replicas[index(id)].incarnation == inc, replicas[index(id)].alive else { return }
            replicas[index(id)].core.tick()
            afterStep(id)
            queue.schedule(.tick(id, incarnation: inc), at: now + options.tick)
        case let .deliver(m):
            guard replicas.indices.contains(index(m.to)), replicas[index(m.to)].alive else { return }
            replicas[index(m.to)].core.step(m)
            afterStep(m.to)
        case let .fsyncDone(id, inc):
            guard replicas[index(id)].incarnation == inc, let rd = replicas[index(id)].syncing else { return }
            do {
                try replicas[index(id)].storage.sync()
            } catch {
                return storageFailed(id, error)
            }
            replicas[index(id)].syncing = nil
            finish(id, rd)
        case .propose:
            proposeWorkload()
            queue.schedule(.propose, at: now + 1 + random.below(2 * options.proposalInterval))
        case .fault:
            guard faultsActive else { return }
            injectFault()
            let gap = options.faultInterval / 4 + faultRandom.below(options.faultInterval * 3 / 2)
            queue.schedule(.fault, at: now + gap)
        case .healPartition:
            network.heal()
            partitionActive = false
            trace("heal partition")
        case .restoreLink:
            network.profile = options.link
        case let .restart(id):
            restart(id)
        case .checkLogMatching:
            checkLogMatching()
            if faultsActive || livenessMarker != nil {
                queue.schedule(.checkLogMatching, at: now + options.logMatchingInterval)
            }
        case .endFaults:
            endFaults()
        case .livenessProbe:
            livenessProbe()
        }
    }

    mutating func start(_ id: ReplicaID) {
        let i = index(id)
        if replicas[i].storage.wal == nil {
            // First start: a fresh, empty disk.
            do { _ = try replicas[i].storage.open() } catch { return storageFailed(id, error) }
        }
        replicas[i].started = true
        replicas[i].incarnation += 1
        let inc = replicas[i].incarnation
        queue.schedule(.tick(id, incarnation: inc), at: now + 1 + random.below(options.tick))
        afterStep(id)
    }

    // MARK: The shell: Ready handling under the persistence contract

    mutating func afterStep(_ id: ReplicaID) {
        observe(id)
        pump(id)
    }

    mutating func pump(_ id: ReplicaID) {
        let i = index(id)
        guard replicas[i].syncing == nil, replicas[i].alive, replicas[i].core.hasReady else { return }
        let rd = replicas[i].core.ready()
        if let s = rd.snapshot {
            // The application reaches the snapshot's state (durably) before the snapshot
            // itself is recorded: a crash in between must not leave a log that starts
            // after the applied state (found by seed 370).
            installSnapshot(id, s)
            if report.violation != nil { return }
        }
        do {
            try replicas[i].storage.append(snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState)
        } catch {
            return storageFailed(id, error)
        }
        if rd.mustSync && !options.shellSendsBeforeSync {
            do { try replicas[i].storage.flush() } catch { return storageFailed(id, error) }
            replicas[i].syncing = rd
            queue.schedule(.fsyncDone(id, incarnation: replicas[i].incarnation), at: now + random.between(options.fsyncLatency))
        } else {
            finish(id, rd)
        }
    }

    mutating func finish(_ id: ReplicaID, _ rd: Ready) {
        let i = index(id)
        for e in rd.committedEntries where e.index > replicas[i].appliedIndex {
            apply(id, e)
            if report.violation != nil { return }
        }
        for m in rd.messages { send(m) }
        replicas[i].core.advance()
        maybeCompact(id)
        observe(id)
        pump(id)
    }

    mutating func send(_ m: Message) {
        let i = index(m.from)
        // Pre-votes carry the term the sender would campaign at, which it never persists.
        if m.type != .preVote && m.type != .preVoteResponse {
            replicas[i].maxSentTerm = max(replicas[i].maxSentTerm, m.term)
        }
        if m.type == .voteResponse && !m.reject { replicas[i].grantedVotes[m.term] = m.to }
        if m.type == .append {
            report.appendMessagesSent += 1
            report.appendEntriesSent += m.entries.count
        }
        for t in network.deliveries(from: m.from, to: m.to, now: now, random: &random) {
            queue.schedule(.deliver(m), at: t)
        }
    }

    mutating func apply(_ id: ReplicaID, _ e: Entry) {
        let i = index(id)
        guard e.index == replicas[i].appliedIndex + 1 else {
            fail(.stateMachineSafety, id, "applied index \(e.index) after \(replicas[i].appliedIndex): a gap")
            return
        }
        let chain = mix(replicas[i].chain, e.term, e.index, fingerprint(e.payload))
        if let known = chainAt[e.index], known != chain {
            fail(.stateMachineSafety, id, "applied a different entry at index \(e.index) than another replica")
            return
        }
        chainAt[e.index] = chain
        replicas[i].chain = chain
        replicas[i].appliedIndex = e.index
        do { try replicas[i].storage.writeApplied(index: e.index, chain: chain) } catch { return storageFailed(id, error) }
        if case let .data(d) = e.payload, let marker = livenessMarker, payloadID(d) == marker {
            checkLivenessDone()
        }
    }

    mutating func installSnapshot(_ id: ReplicaID, _ s: Snapshot) {
        let i = index(id)
        report.snapshotsInstalled += 1
        let chain = decodeChain(s.data)
        if let known = chainAt[s.index], known != chain {
            fail(.stateMachineSafety, id, "snapshot at \(s.index) carries a state no replica applied")
            return
        }
        // Fetching the state (blocks, in Civitas) from peers is modelled as instant and verified by the chain hash.
        if s.index > replicas[i].appliedIndex {
            replicas[i].appliedIndex = s.index
            replicas[i].chain = chain
            do {
                try replicas[i].storage.writeApplied(index: s.index, chain: chain)
                try replicas[i].storage.syncApplied()
            } catch {
                return storageFailed(id, error)
            }
        }
    }

    mutating func maybeCompact(_ id: ReplicaID) {
        let i = index(id)
        guard replicas[i].alive else { return }
        let applied = min(replicas[i].core.appliedIndex, replicas[i].appliedIndex)
        guard applied >= replicas[i].core.firstIndex + options.compactionThreshold else { return }
        let target = applied - options.compactionThreshold / 2
        guard let chain = chainAt[target] else { return }
        // The application's state must be durable up to the snapshot before the
        // snapshot is recorded (and WAL segments before it removed).
        do { try replicas[i].storage.syncApplied() } catch { return storageFailed(id, error) }
        if let s = replicas[i].core.compact(to: target, data: encodeChain(chain)) {
            do { try replicas[i].storage.append(snapshot: s) } catch { return storageFailed(id, error) }
        }
    }

    // MARK: Invariants checked after every step

    mutating func observe(_ id: ReplicaID) {
        let i = index(id)
        guard replicas[i].alive else { return }
        if replicas[i].core.droppedMessages > 0 {
            fail(.malformedMessage, id, "a correct replica sent a message this replica had to drop")
        }
        if replicas[i].core.term < replicas[i].lastTerm {
            fail(.termWentBackwards, id, "term \(replicas[i].core.term) after \(replicas[i].lastTerm)")
        }
        if replicas[i].core.commitIndex < replicas[i].lastCommit {
            fail(.commitWentBackwards, id, "commit \(replicas[i].core.commitIndex) after \(replicas[i].lastCommit)")
        }
        replicas[i].lastTerm = replicas[i].core.term
        replicas[i].lastCommit = replicas[i].core.commitIndex
        if replicas[i].core.role == .leader && replicas[i].lastRole != .leader {
            report.elections += 1
            if let other = leaders[replicas[i].core.term], other != id {
                fail(.electionSafety, id, "second leader in term \(replicas[i].core.term) (first: \(other))")
            }
            leaders[replicas[i].core.term] = id
            checkLeaderCompleteness(i)
        }
        replicas[i].lastRole = replicas[i].core.role
        // Record newly committed entries and check agreement with earlier commits.
        if replicas[i].core.commitIndex > maxCommitted {
            var k = max(maxCommitted + 1, replicas[i].core.firstIndex)
            while k <= replicas[i].core.commitIndex {
                if let e = replicas[i].core.entry(at: k) { committed[k] = (e.term, fingerprint(e.payload), replicas[i].core.term) }
                k += 1
            }
            maxCommitted = replicas[i].core.commitIndex
        }
        // Every index this replica newly counts as committed must match what was committed before.
        let lo = max(replicas[i].core.firstIndex, replicas[i].checkedCommit + 1)
        replicas[i].checkedCommit = max(replicas[i].checkedCommit, replicas[i].core.commitIndex)
        if lo <= replicas[i].core.commitIndex {
            for k in lo...replicas[i].core.commitIndex {
                if let e = replicas[i].core.entry(at: k), let c = committed[k], c.term != e.term || c.fingerprint != fingerprint(e.payload) {
                    fail(.committedEntryLost, id, "index \(k) committed as term \(c.term) but this replica committed term \(e.term)")
                    return
                }
            }
        }
    }

    /// Raft §5.4: an entry committed in term t is in the log of every leader of a
    /// term after t. (A leader of an older term — its votes arrived late — need
    /// not hold it; it cannot commit anything, its append messages are refused.)
    mutating func checkLeaderCompleteness(_ i: Int) {
        let id = replicas[i].id
        let term = replicas[i].core.term
        var k = max(replicas[i].core.firstIndex, 1)
        while k <= maxCommitted {
            if let c = committed[k], c.seenInTerm < term, replicas[i].core.term(at: k) != c.term {
                let has = replicas[i].core.term(at: k).map { "term \($0)" } ?? "nothing"
                fail(.leaderCompleteness, id, "leader of term \(term) has \(has) at \(k), but an entry of term \(c.term) was committed there by term \(c.seenInTerm)")
                return
            }
            k += 1
        }
    }

    mutating func checkLogMatching() {
        let live = replicas.indices.filter { replicas[$0].alive }
        for (n, a) in live.enumerated() {
            for b in live[(n + 1)...] {
                let lo = max(replicas[a].core.firstIndex, replicas[b].core.firstIndex)
                let hi = min(replicas[a].core.lastIndex, replicas[b].core.lastIndex)
                guard lo <= hi else { continue }
                // The highest index where both logs have the same term…
                var top = hi
                while top >= lo, replicas[a].core.term(at: top) != replicas[b].core.term(at: top) { top -= 1 }
                guard top >= lo else { continue }
                // …must have identical logs below it.
                var k = lo
                while k <= top {
                    if replicas[a].core.entry(at: k) != replicas[b].core.entry(at: k) {
                        fail(.logMatching, replicas[a].id, "replicas \(replicas[a].id) and \(replicas[b].id) agree at \(top) but differ at \(k)")
                        return
                    }
                    k += 1
                }
            }
        }
    }

    mutating func checkConvergence() {
        let final = currentConfiguration()
        for id in final.members {
            let i = index(id)
            guard replicas[i].alive else { continue }
            if replicas[i].appliedIndex < maxCommitted {
                fail(.liveness, id, "applied \(replicas[i].appliedIndex) of \(maxCommitted) committed entries after recovery")
                return
            }
            if let c = chainAt[replicas[i].appliedIndex], c != replicas[i].chain {
                fail(.stateMachineSafety, id, "final state differs at \(replicas[i].appliedIndex)")
                return
            }
        }
    }

    // MARK: Crashes

    mutating func crash(_ id: ReplicaID) {
        let i = index(id)
        guard replicas[i].alive else { return }
        replicas[i].alive = false
        replicas[i].syncing = nil
        replicas[i].incarnation += 1
        report.walSegmentsRemoved += replicas[i].storage.wal?.log.segmentsRemoved ?? 0
        replicas[i].storage.crash()
        replicas[i].lastRole = .follower
        report.crashes += 1
        trace("crash \(id)")
    }

    mutating func restart(_ id: ReplicaID) {
        let i = index(id)
        guard !replicas[i].alive, replicas[i].started else { return }
        // Recovery is the WAL's own; injected read errors make it fail, and the restart is retried.
        replicas[i].storage.fs.readErrorRate = faultsActive ? options.storageReadErrorRate : 0
        let recovered: SimStorage.Recovered
        do {
            recovered = try replicas[i].storage.open()
        } catch {
            replicas[i].storage.fs.readErrorRate = 0
            if case .io(_, _, 5) = error {
                report.storageReadErrors += 1
                queue.schedule(.restart(id), at: now + 100_000 + faultRandom.below(900_000))
                return
            }
            return storageFailed(id, error)
        }
        replicas[i].storage.fs.readErrorRate = 0
        if recovered.report.truncatedTail != nil { report.tornTailsRecovered += 1 }
        let d = (hardState: recovered.raft.hardState, snapshot: recovered.raft.snapshot, entries: recovered.raft.entries,
                 appliedIndex: recovered.appliedIndex, appliedChain: recovered.appliedChain)
        // Persist-before-send: nothing the replica said can be newer than its disk.
        if d.hardState.term < replicas[i].maxSentTerm {
            fail(.persistenceContract, id, "restarted at term \(d.hardState.term) after sending in term \(replicas[i].maxSentTerm)")
            return
        }
        if let granted = replicas[i].grantedVotes[d.hardState.term], d.hardState.vote != granted {
            fail(.persistenceContract, id, "granted a vote to \(granted) in term \(d.hardState.term) but restarted with vote \(String(describing: d.hardState.vote))")
            return
        }
        replicas[i].core = RaftCore(restoring: id, hardState: d.hardState, snapshot: d.snapshot, entries: d.entries,
                                    settings: options.raft, seed: seed &+ UInt64(replicas[i].incarnation))
        replicas[i].alive = true
        replicas[i].appliedIndex = d.appliedIndex
        replicas[i].chain = d.appliedChain
        replicas[i].lastTerm = d.hardState.term
        replicas[i].lastCommit = 0
        replicas[i].checkedCommit = 0
        trace("restart \(id) at term \(d.hardState.term), log \(d.snapshot?.index ?? 0)+\(d.entries.count), applied \(d.appliedIndex)")
        start(id)
    }

    /// The simulated disk never loses synced data and never corrupts it, so
    /// any storage error outside an injected read error is a bug.
    mutating func storageFailed(_ id: ReplicaID, _ error: StorageError) {
        fail(.storage, id, "\(error)")
    }

    // MARK: Workload

    mutating func proposeWorkload() {
        let live = replicas.indices.filter { replicas[$0].alive }.map { replicas[$0].id }
        guard !live.isEmpty else { return }
        let leader = currentLeader()
        let target = (leader != nil && random.chance(0.7)) ? leader! : random.pick(live)
        let count = 1 + Int(random.below(UInt64(options.maxBatch)))
        let batch = (0..<count).map { _ -> [UInt8] in
            nextPayload += 1
            return payload(nextPayload)
        }
        do {
            try replicas[index(target)].core.propose(batch)
        } catch {
            report.proposalsRefused += 1
        }
        afterStep(target)
    }

    // MARK: Faults

    func currentConfiguration() -> Configuration {
        // The configuration of the replica that has applied the most (all agree on committed configurations).
        var best: Int? = nil
        for i in replicas.indices where replicas[i].alive {
            if best == nil || replicas[i].core.commitIndex > replicas[best!].core.commitIndex { best = i }
        }
        return best.map { replicas[$0].core.configuration } ?? Configuration(voters: [])
    }

    func currentLeader() -> ReplicaID? {
        var best: Int? = nil
        for i in replicas.indices where replicas[i].alive && replicas[i].core.role == .leader {
            if best == nil || replicas[i].core.term > replicas[best!].core.term { best = i }
        }
        return best.map { replicas[$0].id }
    }

    mutating func injectFault() {
        let kinds = RaftSimulationOptions.FaultKind.allCases.filter { options.faults.contains($0) }
        guard !kinds.isEmpty else { return }
        let kind = faultRandom.pick(kinds)
        let started = replicas.indices.filter { replicas[$0].started }.map { replicas[$0].id }
        switch kind {
        case .crash:
            let live = started.filter { replicas[index($0)].alive }
            guard !live.isEmpty else { return }
            let leader = currentLeader()
            let victim = (leader != nil && faultRandom.chance(0.4)) ? leader! : faultRandom.pick(live)
            crash(victim)
            queue.schedule(.restart(victim), at: now + faultRandom.between(50_000...4_000_000))
        case .partition:
            guard !partitionActive else { return }
            partitionActive = true
            report.partitions += 1
            let shape = faultRandom.pick(SimNetwork.PartitionKind.allCases)
            let focus = shape == .isolateLeader ? currentLeader() : nil
            let what = network.partition(shape, nodes: started, focus: focus, random: &faultRandom)
            trace("partition \(what)")
            queue.schedule(.healPartition, at: now + faultRandom.between(200_000...8_000_000))
        case .clog:
            let node = faultRandom.pick(started)
            let until = now + faultRandom.between(500_000...4_000_000)
            network.clog(node, delay: faultRandom.between(50_000...1_500_000), until: until)
            report.otherFaults += 1
            trace("clog \(node)")
        case .loss:
            network.profile.loss = Double(faultRandom.between(5...40)) / 100
            degradeLinks("loss \(network.profile.loss)", jitterFactor: 1...20)
        case .duplication:
            network.profile.duplication = Double(faultRandom.between(5...30)) / 100
            degradeLinks("duplication \(network.profile.duplication)", jitterFactor: 1...30)
        case .leaderTransfer:
            guard let leader = currentLeader() else { return }
            let voters = replicas[index(leader)].core.configuration.voters.filter { $0 != leader }
            guard !voters.isEmpty else { return }
            let target = faultRandom.pick(voters)
            if (try? replicas[index(leader)].core.transferLeadership(to: target)) != nil {
                report.transfers += 1
                trace("transfer leadership \(leader) -> \(target)")
            }
            afterStep(leader)
        case .membership:
            changeMembership()
        }
    }

    /// A burst of bad links: more jitter (so more reordering) for a while, then back to normal.
    mutating func degradeLinks(_ what: String, jitterFactor: ClosedRange<UInt64>) {
        network.profile.jitter = options.link.jitter * faultRandom.between(jitterFactor)
        report.otherFaults += 1
        trace(what)
        queue.schedule(.restoreLink, at: now + faultRandom.between(500_000...5_000_000))
    }

    mutating func changeMembership() {
        guard let leader = currentLeader() else { return }
        let config = replicas[index(leader)].core.configuration
        var options: [ConfigChange] = []
        if let spare = replicas.indices.first(where: { !replicas[$0].started && !removed.contains(replicas[$0].id) }).map({ replicas[$0].id }) {
            options.append(.addLearner(spare))
        }
        for l in config.learners { options.append(.addVoter(l)) }
        if config.voters.count > 3 {
            for v in config.voters { options.append(.remove(v)) }
        }
        for l in config.learners { options.append(.remove(l)) }
        guard !options.isEmpty else { return }
        let change = faultRandom.pick(options)
        do {
            try replicas[index(leader)].core.propose(configuration: change)
        } catch {
            afterStep(leader)
            return
        }
        report.membershipChanges += 1
        trace("membership \(change) proposed at \(leader)")
        switch change {
        case let .addLearner(id):
            let i = index(id)
            if !replicas[i].started {
                replicas[i].core = RaftCore.joining(id: id, settings: self.options.raft, seed: seed)
                replicas[i].alive = true
                start(id)
            }
        case let .remove(id):
            removed.insert(id)
        case .addVoter:
            break
        }
        afterStep(leader)
    }

    // MARK: Liveness

    mutating func endFaults() {
        faultsActive = false
        network.heal()
        network.profile = options.link
        partitionActive = false
        for i in replicas.indices where replicas[i].started && !replicas[i].alive { restart(replicas[i].id) }
        trace("faults stop; liveness bound \(formatTime(options.livenessBound))")
        livenessDeadline = now + options.livenessBound
        nextPayload += 1
        livenessMarker = nextPayload
        queue.schedule(.livenessProbe, at: now)
        queue.schedule(.checkLogMatching, at: now + options.logMatchingInterval)
    }

    mutating func livenessProbe() {
        guard let marker = livenessMarker else { return }
        if now > livenessDeadline {
            let leader = currentLeader().map(String.init) ?? "none"
            fail(.liveness, nil, "the proposal made when faults stopped was not applied by every member within \(formatTime(options.livenessBound)) (leader: \(leader))")
            return
        }
        if let leader = currentLeader() {
            _ = try? replicas[index(leader)].core.propose([payload(marker)])
            afterStep(leader)
        }
        queue.schedule(.livenessProbe, at: now + 500_000)
    }

    mutating func checkLivenessDone() {
        guard let marker = livenessMarker else { return }
        let members = currentConfiguration().members
        let markerApplied = members.allSatisfy { id in
            let i = index(id)
            return replicas[i].alive && replicas[i].appliedIndex >= maxCommitted && replicas[i].appliedIndex > 0 && appliedMarker(i, marker)
        }
        if markerApplied {
            report.recoveryTime = now - (livenessDeadline - options.livenessBound)
            livenessMarker = nil
        }
    }

    func appliedMarker(_ i: Int, _ marker: UInt64) -> Bool {
        // The marker is applied once the replica applied an entry carrying it.
        guard replicas[i].alive else { return false }
        var k = replicas[i].appliedIndex
        while k >= replicas[i].core.firstIndex && k > 0 {
            if let e = replicas[i].core.entry(at: k), case let .data(d) = e.payload, payloadID(d) == marker { return true }
            k -= 1
        }
        return false
    }
}

// MARK: Payloads and fingerprints

func payload(_ id: UInt64) -> [UInt8] {
    var bytes = withUnsafeBytes(of: id.littleEndian, Array.init)
    bytes.append(contentsOf: repeatElement(UInt8(truncatingIfNeeded: id), count: 24))
    return bytes
}

func payloadID(_ d: [UInt8]) -> UInt64 {
    guard d.count >= 8 else { return 0 }
    return d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}

func fingerprint(_ p: EntryPayload) -> UInt64 {
    switch p {
    case .noop: return 0x6e6f_6f70
    case let .data(d):
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in d { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    case let .config(c):
        switch c {
        case let .addVoter(id): return 0xA000_0000 ^ id
        case let .addLearner(id): return 0xB000_0000 ^ id
        case let .remove(id): return 0xC000_0000 ^ id
        }
    }
}

func mix(_ chain: UInt64, _ term: UInt64, _ index: UInt64, _ fp: UInt64) -> UInt64 {
    var h = chain ^ 0x9E37_79B9_7F4A_7C15
    for v in [term, index, fp] {
        h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
    }
    return h
}

func encodeChain(_ c: UInt64) -> [UInt8] { withUnsafeBytes(of: c.littleEndian, Array.init) }

func decodeChain(_ d: [UInt8]) -> UInt64 {
    guard d.count == 8 else { return 0 }
    return d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}
