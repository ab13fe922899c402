import CivitasGovernance
import CivitasLedger
import GRDB

extension StateDatabase {
    /// Applies `sealed`, which `checkNext` accepted, inside the caller's SQLite
    /// transaction, and advances `head`: the governance transition
    /// (`GovernanceTransition.applyBlock`, CivitasGovernance) decides every
    /// transaction through `SQLGovernanceReader` on this connection and
    /// `SQLGovernanceStore` writes what it decided — the same changes the
    /// in-memory state records. `hook(i)` runs after transaction `i` is recorded.
    func applyBlock(_ sealed: SealedBlock, head: inout AppliedHead, db: Database,
                    hook: ((Int) throws -> Void)?) throws -> BlockApplication {
        let block = sealed.block
        var store = SQLGovernanceStore(db: db, afterTransaction: hook)
        let result = try GovernanceTransition.applyBlock(block, genesis: genesis, to: &store)
        let hash = block.header.hash
        head = AppliedHead(height: block.header.height, hash: hash, time: StateInteger.clamp(block.header.time))
        let rejections = result.outcomes.enumerated().compactMap { i, outcome in
            outcome.rejectionReason.map { TransactionRejection(index: i, id: block.transactions[i].id, reason: $0) }
        }
        return BlockApplication(height: block.header.height, hash: hash, appliedCount: block.transactions.count - rejections.count,
                                rejections: rejections, closedProposals: result.closedProposals)
    }
}
