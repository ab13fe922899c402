import CivitasCodec
import CivitasLedger
import CivitasRaft
import CivitasGossip
public import CivitasTime

/// The mempool's upkeep: displaced and stale transactions, and offering pending ones again.
extension NodeCore {
    // MARK: - When the next tick matters

    /// When the next height report to the sync peers is due: a statusInterval
    /// after the last once the head moved, a statusKeepalive after it otherwise.
    /// (`mutating` only so that it is called in place: a getter copies the core.)
    mutating func nextReport() -> MonotonicTime {
        guard let lastReport else { return .origin }
        let settings = configuration.settings
        return lastReport + (applied.hash != reportedHead ? settings.statusInterval : settings.statusKeepalive)
    }

    /// The earliest instant at which `tick` could do more than read the
    /// clocks, if no input arrives first: the earliest of the core's timers
    /// (a Raft tick, upkeep, status reports, membership, dissemination, the
    /// city overlay), or `now` while work waits that every tick carries on (a
    /// leader's production from a non-empty mempool or learners to add,
    /// transactions to admit or publish, votes to resend, blocks to sync or
    /// apply). A shell may skip ticks before it; an input can change it, so a
    /// shell asks again after each input. (`mutating` only so that it is
    /// called in place: the core is a large value, which a getter copies.)
    public mutating func nextWake() -> MonotonicTime {
        let producing = raft?.role == .leader && (mempool.count > 0 || !configuration.learnerKeys.isEmpty)
        if producing || !inbox.isEmpty || !unpublished.isEmpty || !unsealed.isEmpty || !sealedAhead.isEmpty
            || !inFlight.isEmpty || blockSync.outstanding > 0 || blockSync.targetHeight > applied.height {
            return now
        }
        var wake = min(nextReport(), membershipWake)
        if mempool.count > 0 || !lastOffered.isEmpty { wake = min(wake, nextMaintenance) }
        if raft != nil { wake = min(wake, lastRaftTick + configuration.settings.tick) }
        if let plumtreeWake { wake = min(wake, plumtreeWake) }
        if city != nil {
            wake = min(wake, nextCheckpointReannounce)
            if let cityWake { wake = min(wake, cityWake) }
        }
        return wake
    }

    // MARK: - Mempool upkeep

    /// Takes `signer`'s pending transactions out of the mempool, in nonce order
    /// (the driver signs a gateway's wedged records again).
    mutating func withdraw(of signer: PublicKey) -> [Transaction] {
        let withdrawn = mempool.withdraw(of: signer)
        for tx in withdrawn { lastOffered[tx.id] = nil }
        return withdrawn
    }

    mutating func note(_ displaced: [EvictedTransaction]) {
        for evicted in displaced {
            lastOffered[evicted.id] = nil
            out.events.append(.evicted(evicted))
        }
    }

    /// Offers again the pending transactions that waited longest since they
    /// were last offered (one may have missed the leader while links changed).
    mutating func rebroadcast() {
        let period = configuration.settings.rebroadcast
        let due = lastOffered.filter { now - $0.value >= period }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            .prefix(configuration.settings.rebroadcastBatch)
        var again: [Transaction] = []
        for (id, _) in due {
            guard let tx = mempool.transaction(id) else { lastOffered[id] = nil; continue }
            lastOffered[id] = now
            again.append(tx)
        }
        offerAgain(again)
    }
}
