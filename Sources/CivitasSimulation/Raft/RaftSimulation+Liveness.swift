import CivitasRaft

/// The liveness phase: when faults stop, every crashed replica restarts and
/// a marker proposal must be applied by every member of the final
/// configuration within `livenessBound`.
extension RaftSimulation {
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
        queue.schedule(.livenessProbe, at: now + .milliseconds(500))
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
