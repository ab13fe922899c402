import CivitasRaft

/// Raft's safety properties, checked after every step (`observe`) and every
/// simulated second (`checkLogMatching`), and convergence at the end.
extension RaftSimulation {
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
}
