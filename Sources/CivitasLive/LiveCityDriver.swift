import CivitasLedger
import CivitasNode
import CivitasNodeCore
import CivitasSimulation
import Foundation

/// The live run's clock, workload and eyes: submits the plan's records to
/// the nodes as the residents' apps would (each resident through its own
/// observer, waiting for the commit), watches every node apply blocks, and
/// samples leaders and traffic once a second, all into `LiveCityRun`.
actor LiveCityDriver {
    var live: LiveCityRun
    let services: [any NodeService]
    let federation: FederationDocument?
    let progress: (@Sendable (Double) -> Void)?
    let roles: [NodeCoreRole]
    /// The run's time zero: every node up and every community led.
    let start = ContinuousClock.now
    /// Set once the settle phase ends: no more submissions.
    var finished = false
    /// Seeded, so the same seed sends the same resident to the same node.
    var pick: SimRandom
    var lastBytes: [UInt64]
    var lastMessages: [[String: UInt64]]
    var refusals: [String: Int] = [:]

    init(live: LiveCityRun, services: [any NodeService], federation: FederationDocument?, progress: (@Sendable (Double) -> Void)?) {
        self.live = live
        self.services = services
        self.federation = federation
        self.progress = progress
        roles = live.nodes.map(\.role)
        pick = SimRandom(seed: live.plan.seed ^ 0x6C69_7665)
        lastBytes = Array(repeating: 0, count: services.count)
        lastMessages = Array(repeating: [:], count: services.count)
    }

    /// Real time since the run's start, as the bookkeeping's `SimTime`.
    nonisolated func elapsed() -> SimTime {
        let d = ContinuousClock.now - start
        let micros = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        return SimTime(microsecondsSinceStart: UInt64(max(0, micros)))
    }

    /// The wall clock in ms since the Unix epoch: what a resident's app stamps into a record.
    nonisolated func wallMillis() -> Timestamp { Timestamp(Date().timeIntervalSince1970 * 1_000) }

    /// A few of each reason the nodes refused a record with.
    var refusalSamples: [String] { refusals.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" } }

    /// Runs the plan's duration and the settle phase; the report of what happened.
    func run(settleSeconds: UInt64, replay: String) async -> CityReport {
        let watchers = services.indices.map { i in Task { await self.watch(node: i) } }
        let plan = live.plan
        let setup = SimTime.start + LiveCityRun.setupDelay
        if let federation { live.adopt(federation, due: setup) }
        var proposalsOpen = false
        var nextArrival: [SimTime?] = plan.communities.indices.map { c in live.nextGap(c).map { .start + $0 } }
        var nextSecond = SimTime.start + .seconds(1)
        let end = SimTime.start + .seconds(plan.durationSeconds)
        let total = Double(plan.durationSeconds)
        while true {
            let wake = min(nextArrival.compactMap { $0 }.min() ?? .max, nextSecond, end, proposalsOpen ? .max : setup)
            try? await Task.sleep(until: start + wake.sinceStart, clock: .continuous)
            let now = elapsed()
            if now >= end { break }
            for c in nextArrival.indices {
                // Arrivals whose time came: each signed and submitted now (a late wake-up is not counted as waiting).
                while let due = nextArrival[c], due <= now {
                    nextArrival[c] = live.nextGap(c).map { due + $0 }
                    if let tx = live.arrival(c, time: wallMillis(), at: now) { submit(tx) }
                }
            }
            if !proposalsOpen, now >= setup {
                proposalsOpen = true
                for c in plan.communities.indices where live.opensProposal(c) { submit(live.openProposal(c, time: wallMillis(), at: now)) }
            }
            if now >= nextSecond {
                nextSecond = nextSecond + .seconds(1)
                await everySecond(sampling: true)
                progress?(min(1, now.sinceStart.inSeconds / (total + Double(settleSeconds))))
            }
        }
        // The settle phase: no new records, follow-ups still go in, until every record and follow-up committed or time is up.
        let settleEnd = ContinuousClock.now + .seconds(settleSeconds)
        while !live.settled, ContinuousClock.now < settleEnd {
            try? await Task.sleep(for: .seconds(1))
            await everySecond(sampling: false)
        }
        finished = true
        let ended = elapsed()
        watchers.forEach { $0.cancel() }
        progress?(1)
        return live.report(ended: ended, replay: replay)
    }

    // MARK: - Submitting

    /// A resident's app submits `tx` to its own observer (by its signer, as
    /// the simulator routes it; any node of the community if it has no
    /// observer) and waits for the commit.
    func submit(_ tx: Transaction) {
        guard !finished, let c = live.community(of: tx) else { return }
        let members = Array(live.members(c))
        let observers = members.filter { roles[$0] == .observer }
        let target = observers.isEmpty ? pick.pick(members) : observers[Int(tx.signer.raw.bytes[0]) % observers.count]
        let service = services[target]
        Task {
            let outcome = await service.submit(tx, waitForCommit: .seconds(30))
            self.answered(tx, outcome)
        }
    }

    func answered(_ tx: Transaction, _ outcome: SubmitOutcome) {
        let retryAfter: Duration
        switch outcome {
        case let .committed(id, height, index, _, _):
            live.committed(id, height: height, index: index, at: elapsed())
            return
        case .pending:
            retryAfter = .zero  // it waited 30 s already
        case let .rejected(_, reason, _):
            refusals[reason, default: 0] += 1
            retryAfter = .seconds(2)
        case let .unavailable(reason):
            refusals["unavailable: " + reason, default: 0] += 1
            retryAfter = .seconds(1)
        case .accepted, .alreadyKnown:
            retryAfter = .seconds(1)
        }
        guard !finished, live.stillWanted(tx.id) != nil else { return }
        Task {
            try? await Task.sleep(for: retryAfter)
            self.resubmit(tx.id)
        }
    }

    func resubmit(_ id: Hash) {
        if let tx = live.stillWanted(id) { submit(tx) }
    }

    // MARK: - Watching

    /// Feeds every block node `i` applies, in order, as its state database announces new heads.
    func watch(node i: Int) async {
        let service = services[i]
        var last: UInt64 = 0
        for await head in service.state.appliedHeads() {
            let seen = elapsed()
            while last < head.height, let block = await service.block(at: last + 1) {
                let state = service.state
                live.applied(block, node: i, at: seen) { id in (try? state.transactions(id: id).first?.isApplied) ?? false }
                last += 1
            }
        }
    }

    /// Once a second: follow-ups that fell due, referrals to answer, and (during the run) leaders and traffic.
    func everySecond(sampling: Bool) async {
        for tx in live.due(time: wallMillis(), at: elapsed()) { submit(tx) }
        for c in live.communities.indices {
            let reader = services[live.members(c).lowerBound]
            for entry in (try? reader.state.incomingReferrals(limit: 10_000)) ?? [] where entry.answer == nil {
                live.received(referral: entry.id, from: entry.fromCommunity, in: c, at: elapsed())
            }
        }
        guard sampling else { return }
        var samples: [LiveCityRun.Sample] = []
        for community in live.communities {
            var term: UInt64?
            var leader: (index: Int, term: UInt64)?
            for node in community.nodes where node.role == .validator {
                guard let raft = await services[node.index].status().raft else { continue }
                term = max(term ?? 0, raft.term)
                if raft.role == "leader", raft.term >= leader?.term ?? 0 { leader = (node.index, raft.term) }
            }
            samples.append(LiveCityRun.Sample(canCommit: leader != nil, term: term,
                                              leader: leader.map { NodeID(deriving: live.nodes[$0.index].key.publicKey) }))
        }
        let now = elapsed()
        live.sample(samples, at: now)
        for i in services.indices {
            let counters = await services[i].status().gossip
            let bytes = counters["bytes_sent"] ?? 0
            var messages: [String: UInt64] = [:]
            for (key, count) in counters where key.hasSuffix("_messages") {
                let kind = String(key.dropLast("_messages".count))
                messages[kind] = count - (lastMessages[i][kind] ?? 0)
                lastMessages[i][kind] = count
            }
            live.sent(bytes: bytes - lastBytes[i], messages: messages, node: i, at: now)
            lastBytes[i] = bytes
        }
    }
}
