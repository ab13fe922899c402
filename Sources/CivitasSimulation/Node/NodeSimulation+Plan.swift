import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import Foundation

/// A planner's city (`options.plan`): each community's people submit its
/// workload in a daily rhythm, drills strike on their schedule and random
/// faults as the seed draws them, and `CityRun` measures it all. The nodes,
/// links and checks are the campaign's.
extension NodeSimulation {
    /// Runs a planner's city: the planner's report (with `replay`, the
    /// command that runs it again) and the run's own report.
    /// `settleSeconds`: the time without new work or faults after the plan's
    /// duration, in which everything must converge (the final checks).
    /// `everyTick`: step every node at every grid point (`NodeSimulationOptions.everyTick`).
    public static func run(_ plan: CityPlan, replay: String, settleSeconds: UInt64 = 60, everyTick: Bool = false,
                           progress: ((Double) -> Void)? = nil) -> (city: CityReport, run: NodeSimulationReport) {
        var options = NodeSimulationOptions.city(plan, settleSeconds: settleSeconds)
        options.everyTick = everyTick
        var sim = NodeSimulation(options: options)
        sim.progress = progress
        let run = sim.run()
        return (sim.city!.report(sim, replay: replay), run)
    }

    enum PlanEvent {
        /// Community `c`'s next record may be due (arrivals drawn by thinning).
        case arrival(Int)
        /// Follow-ups that fell due (assignments, responses, answers), every second.
        case followUps
        /// Measurements sampled every second (availability, leaders, recoveries).
        case sample
        /// Fault `k` of `CityRun.faults` starts or ends.
        case faultStart(Int)
        case faultEnd(Int)
        /// The next random fault of a kind, drawn from the seed.
        case randomFault(CityPlan.FaultKind)
        /// Community `c`'s committee opens the day's proposal.
        case openProposal(Int)
    }

    /// When a committee's first records go in: after its community's first election.
    static let setupDelay: Duration = .seconds(5)

    mutating func startPlan(_ plan: CityPlan) {
        for c in plan.communities.indices { scheduleArrival(c, plan) }
        queue.schedule(.plan(.followUps), at: .start + .seconds(1))
        queue.schedule(.plan(.sample), at: .start + .seconds(1))
        for drill in plan.drills {
            let k = city!.addFault(drill, drill: true, node: nil)
            queue.schedule(.plan(.faultStart(k)), at: .start + .seconds(drill.atSecond))
        }
        for kind in CityPlan.FaultKind.allCases {
            guard let every = plan.randomFaults[kind] else { continue }
            queue.schedule(.plan(.randomFault(kind)), at: .start + faultRandom.duration(below: .seconds(every) * 2))
        }
        // A ballot day: each committee opens the day's proposal first thing.
        for (c, community) in plan.communities.enumerated() where community.workload.ballotTurnout > 0 || (community.workload.mix[.ballot] ?? 0) > 0 {
            queue.schedule(.plan(.openProposal(c)), at: .start + Self.setupDelay)
        }
    }

    /// Community `c`'s committee opens the day's proposal (residents vote on it once it is committed).
    mutating func openProposal(_ c: Int, _ plan: CityPlan) {
        let end = clock + plan.durationSeconds * 1_000 + 86_400_000
        let terms = ProposalTerms(title: "Courtyard renovation", description: "Shall the courtyard be renovated this year?", options: ["yes", "no"],
                                  eligibleRoles: RoleSet([.resident]), closing: .time(end), quorumBasisPoints: 2_000, passBasisPoints: 5_000)
        let tx = clients[c].make(.proposal(Proposal(terms: terms)), by: .committee, time: clock, at: now)
        city!.proposals[c] = tx.id
        submitTracked(tx)
    }

    mutating func handle(_ event: PlanEvent, plan: CityPlan) {
        let end = SimTime.start + .seconds(plan.durationSeconds)
        switch event {
        case let .arrival(c):
            scheduleArrival(c, plan)
            let workload = plan.communities[c].workload
            // Thinning: a candidate arrival at the peak rate is kept at the hour's share of the peak.
            guard now < end, random.chance(workload.rhythm.factor(atHour: hour(plan)) / workload.rhythm.peak) else { return }
            arrive(c, plan)
        case .followUps:
            queue.schedule(.plan(.followUps), at: now + .seconds(1))
            cityWork()
            for c in clients.indices {
                for tx in clients[c].due(time: clock, at: now) { submitTracked(tx) }
            }
        case .sample:
            queue.schedule(.plan(.sample), at: now + .seconds(1))
            guard now <= end else { return }
            samplePlan()
        case let .openProposal(c):
            openProposal(c, plan)
        case let .faultStart(k):
            startFault(k)
        case let .faultEnd(k):
            endFault(k)
        case let .randomFault(kind):
            guard let every = plan.randomFaults[kind] else { return }
            queue.schedule(.plan(.randomFault(kind)), at: now + .seconds(1) + faultRandom.duration(below: .seconds(every) * 2))
            guard now < end else { return }
            let length = faultRandom.between(plan.randomFaultLength)
            let drill = CityPlan.Drill(atSecond: UInt64(now.sinceStart.inSeconds), kind: kind,
                                       community: Int(faultRandom.below(UInt64(plan.communities.count))), validator: nil,
                                       lengthSeconds: length, loss: 0.2, stepMillis: [-30_000, 30_000][Int(faultRandom.below(2))])
            startFault(city!.addFault(drill, drill: false, node: nil))
        }
    }

    /// The hour of the day now (the run starts at `plan.startHour`).
    func hour(_ plan: CityPlan) -> Double { plan.startHour + now.sinceStart.inSeconds / 3_600 }

    /// The peak rate of community `c`'s arrivals, per second: its records and its ballot day.
    func peakRate(_ c: Int, _ plan: CityPlan) -> (records: Double, ballots: Double, peak: Double) {
        let w = plan.communities[c].workload
        let records = w.recordsPerDay / 86_400
        let ballots = w.ballotTurnout * Double(plan.communities[c].residents) / Double(max(plan.durationSeconds, 1))
        return (records, ballots, (records + ballots) * w.rhythm.peak)
    }

    mutating func scheduleArrival(_ c: Int, _ plan: CityPlan) {
        let peak = peakRate(c, plan).peak
        guard peak > 0 else { return }
        // Exponential gaps at the peak rate (a Poisson process), at least a microsecond.
        let u = Double(random.next() >> 11) / Double(1 << 53)
        let gap = -Foundation.log(1 - u) / peak
        queue.schedule(.plan(.arrival(c)), at: now + .microseconds(max(1, Int64(gap * 1e6))))
    }

    /// One record of community `c`'s workload, of a kind drawn from its mix.
    mutating func arrive(_ c: Int, _ plan: CityPlan) {
        let rates = peakRate(c, plan)
        let w = plan.communities[c].workload
        var kind: CityPlan.RecordKind = .serviceRequest
        if random.chance(rates.ballots / max(rates.records + rates.ballots, 1e-12)) {
            kind = .ballot
        } else {
            let kinds = CityPlan.RecordKind.allCases.filter { (w.mix[$0] ?? 0) > 0 }
            let total = kinds.map { w.mix[$0]! }.reduce(0, +)
            var x = Double(random.next() >> 11) / Double(1 << 53) * total
            for k in kinds {
                x -= w.mix[k]!
                if x < 0 { kind = k; break }
            }
        }
        let time = clock
        var tx: Transaction?
        switch kind {
        case .serviceRequest:
            tx = clients[c].next(time: time, at: now, random: &random)
        case .notice:
            city!.noticeCount[c] += 1
            let n = city!.noticeCount[c]
            tx = clients[c].make(.notice(Notice(category: .services, title: "Notice \(n)", body: "Water off in building \(n % 9 + 1) from 9:00 to 12:00.")),
                                 by: .committee, time: time, at: now)
        case .volunteer:
            let resident = Int(random.below(UInt64(clients[c].residents)))
            let record = VolunteerRecord(volunteer: clients[c].residentSubject(resident), activity: "elder visits",
                                         minutes: UInt32(30 + random.below(91)), day: UInt32(time / 86_400_000))
            tx = clients[c].make(.volunteerRecord(record), by: .elders, time: time, at: now)
        case .referral:
            guard clients.count > 1 else { break }
            let to = (c + 1 + Int(random.below(UInt64(clients.count - 1)))) % clients.count
            report.referralsMade += 1
            tx = clients[c].make(.referral(Referral(toCommunity: geneses[to].community, kind: .request, reference: nil,
                                                    summary: "case \(report.referralsMade) from \(geneses[c].community)")),
                                 by: .committee, time: time, at: now)
        case .ballot:
            // Residents vote once the day's proposal is on the chain; each votes once.
            let residents = clients[c].residents
            let offset = Int(random.below(UInt64(residents)))
            let voted = city!.voted[c]
            guard let proposal = city!.proposals[c], clients[c].stillWanted(proposal) == nil,
                  let voter = (0..<residents).lazy.map({ ($0 + offset) % residents }).first(where: { !voted.contains($0) }) else { break }
            city!.voted[c].insert(voter)
            tx = clients[c].make(.ballot(Ballot(proposal: proposal, choice: UInt32(random.below(2)))), by: nil, resident: voter, time: time, at: now)
        }
        if let tx { submitTracked(tx) }
    }

    /// Submits `tx`, resubmits it until committed, and counts it in the timeline.
    mutating func submitTracked(_ tx: Transaction) {
        if let c = community(of: tx) { city?.submitted(community: c, at: now) }
        submit(tx)
        queue.schedule(.retry(tx.id), at: now + .milliseconds(options.retryMillis))
    }

    // MARK: - Faults

    mutating func startFault(_ k: Int) {
        guard var fault = city?.faults[k] else { return }
        let c = fault.community ?? 0
        fault.start = now
        switch fault.kind {
        case .validatorCrash:
            let vs = validators(c)
            let target = fault.validator.map { vs[min($0, vs.count - 1)] } ?? leader(of: c) ?? vs[0]
            fault.nodes = [target]
            if nodes[target].alive { crash(target) }
        case .gatewayDown:
            if let g = members(c).first(where: { nodes[$0].role == .gateway }) {
                fault.nodes = [g]
                if nodes[g].alive { crash(g) }
            }
        case .leaderIsolated:
            let target = leader(of: c) ?? validators(c)[0]
            fault.nodes = [target]
            network.isolatedNodes.insert(UInt64(target))
            cutUnreachableLinks()
        case .communityOffline:
            fault.nodes = members(c).filter { nodes[$0].role == .gateway }
            network.isolatedGroups.insert(c)
            cutUnreachableLinks()
            report.cityCuts += 1
        case .lossyCityLinks:
            fault.community = nil
            network.extraCrossGroupLoss += fault.loss
        case .clockStep:
            let target = leader(of: c) ?? validators(c)[0]
            fault.nodes = [target]
            stepClock(target, by: fault.stepMillis)
        }
        report.trace.append("t=\(formatTime(now)) \(fault.drill ? "drill" : "fault") \(fault.kind.rawValue)"
                            + (fault.community.map { " in \(geneses[$0].community)" } ?? "") + " \(fault.nodes)")
        fault.baseline = city!.lastCheckpoints(self)
        city!.faults[k] = fault
        queue.schedule(.plan(.faultEnd(k)), at: now + .seconds(fault.kind == .clockStep ? 0 : fault.length))
    }

    mutating func endFault(_ k: Int) {
        guard var fault = city?.faults[k] else { return }
        fault.end = now
        switch fault.kind {
        case .validatorCrash, .gatewayDown:
            for i in fault.nodes where !nodes[i].alive { start(i) }
        case .leaderIsolated:
            for i in fault.nodes { network.isolatedNodes.remove(UInt64(i)) }
            reopenCutLinksToAll()
        case .communityOffline:
            if let c = fault.community { network.isolatedGroups.remove(c) }
            reopenCutLinksToAll()
        case .lossyCityLinks:
            network.extraCrossGroupLoss = max(0, network.extraCrossGroupLoss - fault.loss)
        case .clockStep:
            break
        }
        fault.baseline = city!.lastCheckpoints(self)
        city!.faults[k] = fault
    }

    /// Reopens the links a cut closed that can now be reached (others stay closed until their cut ends).
    mutating func reopenCutLinksToAll() {
        let cut = cutLinks.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
        cutLinks = []
        for link in cut {
            guard reachable(link.a, link.b) else {
                cutLinks.insert(link)
                continue
            }
            if nodes[link.a].alive && nodes[link.b].alive && !links.contains(link) {
                open(link, dialer: link.a, address: Self.address(link.b))
            }
        }
    }

    /// Community `c`'s leader now (the live validator that leads in the highest term).
    func leader(of c: Int) -> Int? {
        validators(c).filter { nodes[$0].process?.driver.core.isLeader == true }.max { (nodes[$0].process?.driver.core.raft?.term ?? 0) < (nodes[$1].process?.driver.core.raft?.term ?? 0) }
    }

    /// Whether community `c` can commit now: a leader with a quorum of its validators up and reachable.
    func canCommit(_ c: Int) -> Bool {
        guard let l = leader(of: c) else { return false }
        let vs = validators(c)
        let reached = vs.filter { nodes[$0].alive && ($0 == l || reachable(l, $0)) }.count
        return reached >= vs.count / 2 + 1
    }

    mutating func samplePlan() {
        var city = self.city!
        city.sample(self)
        self.city = city
    }
}
