import CivitasCodec
public import CivitasLedger
import CivitasRaft
import CivitasGossip
import CivitasTime

/// What the core asks of the shell (`poll`), and the shell reporting it done.
extension NodeCore {
    // MARK: - Outputs and their completion

    /// Everything the shell must do now (see `NodeOutput` for the order).
    public mutating func poll() -> NodeOutput {
        if pendingReady == nil, raft?.hasReady == true {
            let ready = raft!.ready()
            pendingReady = ready
            out.raft = ready
        }
        // Swapped out, not copied and reset: a tick that produced nothing moves no arrays.
        var result = NodeOutput()
        swap(&result, &out)
        return result
    }

    /// The shell made the last `poll()`'s Raft state durable and sent its
    /// messages: build blocks from the entries it committed.
    public mutating func raftPersisted(view: some MempoolView) {
        guard let ready = pendingReady else { return }
        pendingReady = nil
        // Own proposals that commit as proposed leave `inFlight` here; one whose
        // index committed with another entry (or under a snapshot) is lost.
        var lost = false
        if let snapshot = ready.snapshot {
            lost = inFlight.contains { $0.index <= snapshot.index }
            inFlight.removeAll { $0.index <= snapshot.index }
        }
        if let snapshot = ready.snapshot, let position = try? ChainPosition(encoded: snapshot.data), position.height > built.height {
            built = position
            for h in unsealed.keys where h <= position.height { unsealed[h] = nil }
            out.events.append(.snapshotInstalled(position))
        }
        for entry in ready.committedEntries {
            let proposal: BlockProposal?
            if case let .data(bytes) = entry.payload { proposal = try? BlockProposal(encoded: bytes) } else { proposal = nil }
            for mine in inFlight where mine.index <= entry.index {
                if mine.index != entry.index || mine.transactions.map(\.id) != proposal?.transactions.map(\.id) { lost = true }
            }
            inFlight.removeAll { $0.index <= entry.index }
            guard case .data = entry.payload else { continue }
            guard let proposal else {
                // Every replica decodes the same bytes the same way, so all skip it.
                out.events.append(.refused("raft entry \(entry.index) is not a block proposal; skipped"))
                continue
            }
            build(proposal, raftIndex: entry.index)
        }
        if lost { recomputePendingNonces() }
        raft!.advance()
        produce(view: view)
    }

    /// The shell stored and applied `blocks` (the last `apply`), and `view` now shows them.
    public mutating func applied(_ blocks: [SealedBlock], view: some MempoolView) {
        var transactions: [Transaction] = []
        for block in blocks { transactions += block.block.transactions }
        for tx in transactions { lastOffered[tx.id] = nil }
        for evicted in mempool.committed(transactions, view: view) {
            lastOffered[evicted.id] = nil
            out.events.append(.evicted(evicted))
        }
        for (signer, nonce) in pendingNonces where view.committedNonce(of: signer) >= nonce {
            pendingNonces[signer] = nil
        }
        guard raft != nil, let last = blocks.last else { return }
        let every = max(configuration.settings.compactEveryBlocks, 1)
        for block in blocks where block.height % every == 0 {
            if let index = builtIndex[block.height] {
                let position = ChainPosition(height: block.height, hash: block.header.hash, time: block.header.time)
                if let snapshot = raft!.compact(to: index, data: position.encoded()) { out.compaction = snapshot }
            }
        }
        for h in builtIndex.keys where h <= last.height { builtIndex[h] = nil }
        produce(view: view)
    }
}
