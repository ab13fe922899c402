import CivitasRaft
import CivitasStorage

/// The shell that drives each `RaftCore` as the node does: every `Ready` is
/// written to the replica's WAL and, when it must be, synced before its
/// messages go out (or, with `shellSendsBeforeSync`, deliberately not);
/// crashes lose what the simulated disk had not synced, and a restart
/// recovers from the WAL.
extension RaftSimulation {
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
            queue.schedule(.fsyncDone(id, incarnation: replicas[i].incarnation), at: now + random.duration(in: options.fsyncLatency))
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

    // MARK: Crashes and recovery

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
                queue.schedule(.restart(id), at: now + .milliseconds(100) + faultRandom.duration(below: .milliseconds(900)))
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
}
