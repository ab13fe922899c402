import CivitasCodec
import CivitasLedger
import CivitasRaft
import CivitasGossip
import CivitasTime

/// The mempool's upkeep: displaced and stale transactions, and offering pending ones again.
extension NodeCore {
    // MARK: - Mempool upkeep

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
