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
        for c in plan.communities.indices where city!.workload.opensProposal(c) {
            queue.schedule(.plan(.openProposal(c)), at: .start + Self.setupDelay)
        }
    }

    /// Community `c`'s committee opens the day's proposal (residents vote on it once it is committed).
    mutating func openProposal(_ c: Int, _ plan: CityPlan) {
        submitTracked(city!.workload.openProposal(c, client: &clients[c], time: clock, at: now))
    }

    mutating func handle(_ event: PlanEvent, plan: CityPlan) {
        let end = SimTime.start + .seconds(plan.durationSeconds)
        switch event {
        case let .arrival(c):
            scheduleArrival(c, plan)
            guard now < end, city!.workload.keeps(c, at: now, random: &random) else { return }
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

    mutating func scheduleArrival(_ c: Int, _ plan: CityPlan) {
        guard let gap = city!.workload.gap(c, random: &random) else { return }
        queue.schedule(.plan(.arrival(c)), at: now + gap)
    }

    /// One record of community `c`'s workload (`CityWorkload`, the generator live mode runs too).
    mutating func arrive(_ c: Int, _ plan: CityPlan) {
        let tx = city!.workload.record(c, clients: &clients, time: clock, at: now, random: &random)
        report.referralsMade = city!.workload.referralsMade
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
