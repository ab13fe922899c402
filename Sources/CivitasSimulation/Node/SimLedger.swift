import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore

/// A simulated node's applied state: the in-memory governance state
/// (`GovernanceState`: the same transition and changes the state database
/// records), so two nodes agree on its digest exactly when they applied the
/// same blocks with the same outcomes, and the mempool consults the same rules.
struct SimLedger {
    private(set) var state: GovernanceState
    private(set) var appliedTransactions = 0
    private(set) var rejectedTransactions = 0

    /// The community's state at height 0, sharing storage with the other nodes' (`SimShared`).
    init(genesis: GenesisDocument, shared: SimShared) {
        state = shared.genesisState(genesis)
        state.signatureVerifier = shared.signatures
    }

    var digest: Hash { state.digest }

    /// Applies the next block: each transaction's outcome, in block order;
    /// nil if the block does not extend the state's head.
    mutating func apply(_ block: Block) -> [TransactionOutcome]? {
        guard let result = state.apply(block) else { return nil }
        for outcome in result.outcomes {
            if outcome.rejectionReason == nil { appliedTransactions += 1 } else { rejectedTransactions += 1 }
        }
        return result.outcomes
    }

    func view(_ genesis: GenesisDocument) -> GovernanceMempoolView<GovernanceState> {
        GovernanceMempoolView(genesis: genesis, reader: state)
    }
}
