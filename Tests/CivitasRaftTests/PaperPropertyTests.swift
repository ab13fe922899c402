// Raft's safety properties (Raft paper, Figure 3), checked after every step of
// seeded random runs: a driver writes script commands at random (deliver,
// drop, duplicate or reorder a message, tick, propose, crash, restart,
// partition, heal, compact, change membership, transfer leadership) and feeds
// them to a `ScriptCluster`, which checks all five properties after each one.
// A failure prints the run as a script that replays it exactly.
import CivitasCodec
import CivitasRaft
import Testing

/// The driver's generator: the shared SplitMix64, with the picks the driver needs.
struct TestRandom {
    private var base: SplitMix64
    init(seed: UInt64) { base = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D) }
    mutating func next() -> UInt64 { base.next() }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

/// One seeded random run.
struct ChaosRun: Sendable {
    let seed: UInt64
    /// The first broken property or contract, if any.
    var failure: String?
    /// Every command executed, as a script.
    var script: String
    /// Liveness after the faults stopped: nil if the cluster converged, else why not.
    var stuck: String?
    var leaderTerms: Int

    var brokenProperty: SafetyProperty? {
        SafetyProperty.allCases.first { failure?.hasPrefix($0.rawValue) == true }
    }

    var report: String {
        "seed \(seed): \(failure ?? stuck ?? "ok")\nreplay with ScriptCluster.run(\"\"\"\n\(script)\n\"\"\")"
    }
}

struct ChaosDriver {
    static let steps = 500
    private(set) var cluster = ScriptCluster()
    private var random: TestRandom
    private var lines: [String] = []
    private(set) var failure: String? = nil

    /// Even seeds run plain Raft as in the paper (no pre-vote, no check-quorum)
    /// with tiny appends: more disruptive elections, more logs that diverge, and
    /// followers that hold an old term's entries without the new leader's no-op.
    init(seed: UInt64) {
        random = TestRandom(seed: seed)
        // Short timeouts so that a few hundred steps see many elections.
        let plain = seed % 2 == 0 ? " pre-vote off check-quorum off max-entries 1 max-inflight 2" : ""
        run("settings election 6 heartbeat 1 seed \(seed)" + plain)
        run("bootstrap 1 2 3 4 5")
    }

    var script: String { lines.joined(separator: "\n") }

    /// Executes one script line unless the run already failed.
    mutating func run(_ line: String) {
        guard failure == nil else { return }
        lines.append(line)
        failure = cluster.execute(line: line.split(separator: " ").map(String.init))
    }

    mutating func step(_ n: Int) {
        run(randomCommand(n))
    }

    private mutating func randomCommand(_ n: Int) -> String {
        let live = cluster.liveIDs
        let crashed = cluster.ids.filter { cluster.core($0) == nil }
        let links = cluster.nonEmptyLinks
        let leader = cluster.currentLeader
        switch random.below(100) {
        case 0..<40 where !links.isEmpty:
            return "deliver \(random.pick(links)) x1"
        case 40..<43 where !links.isEmpty:
            return "drop \(random.pick(links)) x1"
        case 43..<45 where !links.isEmpty:
            return "dup \(random.pick(links)) x1"
        case 45..<47 where !links.isEmpty:
            return "reorder \(random.pick(links))"
        case 47..<58:
            return "tick-all"
        case 58..<62:
            return "tick \(random.pick(live))"
        case 62..<72:
            return "propose \(random.pick(live)) v\(n)"
        case 72..<75 where crashed.count < 2:
            return "crash \(random.pick(live))"
        case 75..<79 where !crashed.isEmpty:
            return "restart \(random.pick(crashed))"
        case 79..<82:
            var ids = cluster.ids
            for i in stride(from: ids.count - 1, to: 0, by: -1) { ids.swapAt(i, random.below(i + 1)) }
            let k = 1 + random.below(ids.count - 1)
            return "partition \(ids[..<k].map(String.init).joined(separator: " ")) | \(ids[k...].map(String.init).joined(separator: " "))"
        case 82..<86:
            return "heal"
        case 86..<89:
            let id = random.pick(live), c = cluster.core(id)!, applied = cluster.app(id)!.index
            if applied >= c.firstIndex { return "compact \(id) \(c.firstIndex + UInt64(random.below(Int(applied - c.firstIndex + 1))))" }
            return "tick \(id)"
        case 89..<92 where leader != nil:
            let l = leader!, config = cluster.core(l)!.configuration, target = ReplicaID(4 + random.below(2))
            if config.isVoter(target) && config.voters.count > 3 { return "propose-conf \(l) add-learner \(target)" }
            return "propose-conf \(l) add-voter \(target)"
        case 92..<94 where leader != nil:
            return "transfer \(leader!) -> \(random.pick(cluster.core(leader!)!.configuration.voters))"
        case 94..<100:
            return "deliver"
        default:
            return "tick-all"
        }
    }

    /// The faults stop: everything heals and restarts; the cluster must elect one
    /// leader and commit a new proposal everywhere.
    mutating func converge() -> String? {
        run("heal")
        for id in cluster.ids where cluster.core(id) == nil { run("restart \(id)") }
        run("stabilize x400")
        guard failure == nil else { return nil }
        guard let leader = cluster.currentLeader else { return "no single leader after the faults stopped\n\(cluster.dump)" }
        run("propose \(leader) final")
        run("run x5")
        guard failure == nil else { return nil }
        let last = cluster.core(leader)!.lastIndex
        for id in cluster.liveIDs where cluster.core(id)!.commitIndex != last {
            return "replica \(id) did not commit through \(last) after the faults stopped\n\(cluster.dump)"
        }
        run("expect applied-equal")
        return nil
    }

    static func run(seed: UInt64) -> ChaosRun {
        var d = ChaosDriver(seed: seed)
        for n in 0..<steps where d.failure == nil { d.step(n) }
        let stuck = d.failure == nil ? d.converge() : nil
        return ChaosRun(seed: seed, failure: d.failure, script: d.script, stuck: stuck, leaderTerms: d.cluster.leaders.count)
    }
}

@Suite("Raft paper properties under random faults")
struct PaperPropertyTests {
    /// Fifty seeded runs, each checked for every property after every step;
    /// computed once, in parallel, and shared by the tests below.
    static let runs = Task {
        await withTaskGroup(of: ChaosRun.self) { group in
            for seed in UInt64(1)...50 { group.addTask { ChaosDriver.run(seed: seed) } }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.seed < $1.seed }
        }
    }

    static func expectHeld(_ p: SafetyProperty, sourceLocation: SourceLocation = #_sourceLocation) async {
        for r in await runs.value where r.brokenProperty == p {
            Issue.record(Comment(rawValue: r.report), sourceLocation: sourceLocation)
        }
    }

    @Test func electionSafety_atMostOneLeaderPerTerm() async {
        await Self.expectHeld(.electionSafety)
        // The runs are not trivial: they see many elections.
        let runs = await Self.runs.value
        #expect(runs.map(\.leaderTerms).reduce(0, +) >= 4 * runs.count)
    }

    @Test func leaderAppendOnly_aLeaderNeverOverwritesOrDeletesItsEntries() async {
        await Self.expectHeld(.leaderAppendOnly)
    }

    @Test func logMatching_logsAgreeingOnAnEntryAgreeOnEverythingBefore() async {
        await Self.expectHeld(.logMatching)
    }

    @Test func leaderCompleteness_aNewLeaderHoldsEveryCommittedEntry() async {
        await Self.expectHeld(.leaderCompleteness)
    }

    @Test func stateMachineSafety_noTwoReplicasApplyDifferentEntriesAtAnIndex() async {
        await Self.expectHeld(.stateMachineSafety)
    }

    @Test func readyContract_persistedLogsAreContiguousAndEntriesApplyInOrder() async {
        for r in await Self.runs.value where r.failure != nil && r.brokenProperty == nil {
            Issue.record(Comment(rawValue: r.report))
        }
    }

    @Test func liveness_onceFaultsStopOneLeaderCommitsEverywhere() async {
        for r in await Self.runs.value where r.stuck != nil {
            Issue.record(Comment(rawValue: r.report))
        }
    }
}

/// Targeted checks of the rules behind the properties, section by section (in the spirit of etcd's raft_paper_test.go).
@Suite("Raft paper rules")
struct PaperRuleTests {
    /// §5.1: a replica that sees a higher term adopts it; a candidate that hears a leader of its term follows it.
    @Test func section5_1_higherTermsAreAdoptedAndACandidateFollowsALeaderOfItsTerm() {
        ScriptCluster.run("""
            settings pre-vote off
            bootstrap 1 2 3
            campaign 1
            campaign 2                     # both candidates of term 2
            deliver 1->3
            deliver 3->1                   # 1 wins with 3's vote
            expect leader 1 term 2
            expect role 2 candidate
            deliver 1->2                   # 1's vote request and no-op reach 2
            expect role 2 follower
            expect term 2 == 2
            deliver
            expect commit all == 4
            """)
    }

    /// §5.2: election timeouts are drawn at random from [T, 2T), so replicas rarely time out together.
    @Test func section5_2_electionTimeoutsAreRandomizedWithinOneToTwoTimeouts() {
        var c = ScriptCluster()
        c.bootstrap([1, 2, 3, 4, 5])
        var ticks: [Int] = []
        for id in c.ids {
            var n = 0
            while c.core(id)!.role == .follower && n < 100 {
                c.tick(id)
                n += 1
            }
            ticks.append(n)
        }
        let t = c.settings.electionTicks
        #expect(ticks.allSatisfy { (t..<(2 * t)).contains($0) }, "\(ticks)")
        #expect(Set(ticks).count > 1, "\(ticks)")
    }

    /// §5.3: a follower refuses an append whose preceding entry it does not hold, and the leader backs off.
    @Test func section5_3_aFollowerRejectsAnAppendThatDoesNotFollowItsLog() {
        var c = ScriptCluster.run("""
            bootstrap 1 2 3
            campaign 1
            deliver
            """)
        var m = Message(type: .append, from: 1, to: 2, term: 2)
        m.index = 7
        m.logTerm = 2
        m.entries = [Entry(term: 2, index: 8, payload: .data([1]))]
        c.deliver(m)
        let answer = c.queued(on: Link(2, 1))
        #expect(answer.count == 1 && answer[0].reject && answer[0].rejectHint == 4, "\(answer.map(ScriptCluster.describe))")
        c.run("""
            expect log 2 == 1..3/1 4/2
            deliver
            expect commit all == 4
            """)
    }

    /// §5.4.1: a voter denies its vote to a candidate whose log is less up to date than its own.
    @Test func section5_4_1_aVoterDeniesCandidatesWithOlderLogs() {
        ScriptCluster.run("""
            settings pre-vote off check-quorum off
            bootstrap 1 2 3
            campaign 1
            deliver
            isolate 3
            propose 1 a
            deliver                        # 5/2 on 1 and 2, committed
            crash 1
            heal
            campaign 3                     # 3 lacks 5/2: 2 adopts term 3 but refuses its vote
            deliver
            expect term 2 == 3
            expect role 3 candidate
            campaign 2
            deliver
            expect leader 2
            expect data 2 3 == a
            """)
    }
}
