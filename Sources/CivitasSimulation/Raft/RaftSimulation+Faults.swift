import CivitasRaft

/// Faults drawn from the fault generator: crashes, partitions, clogged nodes,
/// loss and duplication bursts, leadership transfers, membership changes.
extension RaftSimulation {
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
            queue.schedule(.restart(victim), at: now + faultRandom.duration(in: .milliseconds(50) ... .seconds(4)))
        case .partition:
            guard !partitionActive else { return }
            partitionActive = true
            report.partitions += 1
            let shape = faultRandom.pick(SimNetwork.PartitionKind.allCases)
            let focus = shape == .isolateLeader ? currentLeader() : nil
            let what = network.partition(shape, nodes: started, focus: focus, random: &faultRandom)
            trace("partition \(what)")
            queue.schedule(.healPartition, at: now + faultRandom.duration(in: .milliseconds(200) ... .seconds(8)))
        case .clog:
            let node = faultRandom.pick(started)
            let until = now + faultRandom.duration(in: .milliseconds(500) ... .seconds(4))
            network.clog(node, delay: faultRandom.duration(in: .milliseconds(50) ... .milliseconds(1_500)), until: until)
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
        queue.schedule(.restoreLink, at: now + faultRandom.duration(in: .milliseconds(500) ... .seconds(5)))
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
}
