import CivitasCodec
import CivitasLedger
import CivitasRaft
import CivitasGossip
import CivitasTime

/// The leader cuts batches from the mempool and proposes them to Raft.
extension NodeCore {
    // MARK: - Block production (leader)

    /// Cuts batches while the pipeline has room. A new transaction cuts only a
    /// full batch (`onlyFull`); one waiting out the block interval is cut by
    /// the next tick, so a busy leader proposes (and fsyncs) once per tick at
    /// most for partial batches, not once per arriving transaction.
    mutating func produce(view: some MempoolView, onlyFull: Bool = false) {
        guard let raft, raft.role == .leader, let index = validatorIndex else {
            // Deposed: what it proposed and did not see committed may never be.
            if !inFlight.isEmpty {
                inFlight.removeAll()
                recomputePendingNonces()
            }
            return
        }
        // Configured learners join through the leader, one membership change at a time.
        if let learner = configuration.learners.first(where: { !raft.configuration.isMember($0) }) {
            _ = try? self.raft!.propose(configuration: .addLearner(learner))
        }
        let params = configuration.genesis.parameters
        let local = configuration.settings
        let maxCount = min(local.maxBlockTransactions ?? Int.max, Int(params.maxBlockTransactions))
        let maxBytes = min(local.maxBlockBytes ?? Int.max, Int(params.maxBlockBytes))
        let interval = min(local.blockInterval ?? .milliseconds(params.blockInterval), .milliseconds(params.blockInterval))
        let largest = local.mempool.maxTransactionBytes
        // A batch of `count` transactions and `bytes` is full: no further transaction fits for sure.
        func isFull(count: Int, bytes: Int) -> Bool { count >= maxCount || bytes + largest > maxBytes }
        // Batches proposed and not committed, plus blocks built and not yet
        // applied here: while these are in the pipeline, transactions gather
        // for the next batch, so blocks grow with the load instead of the
        // pipeline filling with one-transaction blocks.
        while inFlight.count + unsealed.count < configuration.settings.maxProposalsInFlight {
            // A batch is cut from the mempool, so it can be full only if the
            // mempool could fill one: below that, a new transaction cuts nothing.
            if onlyFull, !isFull(count: mempool.count, bytes: mempool.bytes) { return }
            let batch = mempool.batch(maxCount: maxCount, maxBytes: maxBytes, view: PendingNonceView(base: view, pending: pendingNonces))
            guard !batch.isEmpty else { return }
            var bytes = 0
            var oldest = now
            for tx in batch {
                bytes += tx.encodedSize
                if let arrival = mempool.arrival(of: tx.id) { oldest = min(oldest, arrival) }
            }
            guard isFull(count: batch.count, bytes: bytes) || (!onlyFull && now - oldest >= interval) else { return }
            // Wall time: a block's time never goes back on the chain (`build` takes the later of it and the previous block's).
            let proposal = BlockProposal(time: wall, proposer: index, transactions: batch)
            guard case let .appended(_, first, _)? = try? self.raft!.propose([proposal.encoded()]) else { return }
            inFlight.append((first, batch))
            notePending(batch)
            out.events.append(.proposed(transactions: batch.count, raftIndex: first))
        }
    }

    mutating func notePending(_ transactions: [Transaction]) {
        for tx in transactions where tx.nonce > pendingNonces[tx.signer, default: 0] {
            pendingNonces[tx.signer] = tx.nonce
        }
    }

    /// `pendingNonces` from what is really pending: own proposals in flight,
    /// blocks built or sealed and not yet applied. Called when a proposal is
    /// lost (the leader deposed, its entry replaced by another leader's): a
    /// nonce noted for a batch that never commits would hold the signer's
    /// later transactions back for good (the next batch would start after it,
    /// and the chain refuse it as out of order).
    mutating func recomputePendingNonces() {
        var pending: [PublicKey: UInt64] = [:]
        func note(_ transactions: [Transaction]) {
            for tx in transactions where tx.nonce > pending[tx.signer, default: 0] { pending[tx.signer] = tx.nonce }
        }
        for proposal in inFlight { note(proposal.transactions) }
        for entry in unsealed.values { note(entry.block.transactions) }
        for block in sealedAhead.values { note(block.block.transactions) }
        for block in out.apply { note(block.block.transactions) }
        pendingNonces = pending
    }
}

/// A view whose committed nonces include those of batches proposed or built
/// but not yet applied, so the next batch starts after them.
struct PendingNonceView<Base: MempoolView>: MempoolView {
    let base: Base
    let pending: [PublicKey: UInt64]
    var community: CommunityID { base.community }
    func committedNonce(of signer: PublicKey) -> UInt64 { max(base.committedNonce(of: signer), pending[signer] ?? 0) }
    func permission(for transaction: Transaction) -> String? { base.permission(for: transaction) }
}
