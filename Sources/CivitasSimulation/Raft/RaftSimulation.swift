import CivitasRaft
import CivitasStorage

/// Runs a Raft cluster of `RaftCore`s in one process on a virtual clock,
/// with simulated links and disks, injects faults drawn from one seed, and
/// checks Raft's safety properties continuously and liveness once faults stop.
/// The same seed and options give the same run, event for event.
///
/// This file holds the state, the event loop and the cluster queries; the
/// rest are extensions: +Shell (RaftCore driven under the persistence
/// contract, crashes and recovery), +Faults, +Workload, +Invariants,
/// +Liveness; AppliedChain.swift is the replicated state machine.
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

    var now = SimTime.start
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
    var livenessDeadline = SimTime.start

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
        queue.schedule(.propose, at: .start + random.duration(below: options.proposalInterval))
        queue.schedule(.fault, at: .start + options.faultInterval / 2)
        queue.schedule(.checkLogMatching, at: .start + options.logMatchingInterval)
        queue.schedule(.endFaults, at: .start + options.faultPhase)
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
            queue.schedule(.propose, at: now + .microseconds(1) + random.duration(below: options.proposalInterval * 2))
        case .fault:
            guard faultsActive else { return }
            injectFault()
            let gap = options.faultInterval / 4 + faultRandom.duration(below: options.faultInterval * 3 / 2)
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
        queue.schedule(.tick(id, incarnation: inc), at: now + .microseconds(1) + random.duration(below: options.tick))
        afterStep(id)
    }

    // MARK: Cluster queries

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
}
