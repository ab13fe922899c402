public import CivitasGovernance
public import CivitasLedger

/// `MempoolView` over any committed governance state (`GovernanceReader`):
/// the in-memory `GovernanceState` of a simulated node, or the state
/// database's reader of a real one. `permission(for:)` is
/// `GovernanceRules.check` for a transaction in the next block (the head's
/// height + 1, at the head's time), so the mempool refuses exactly what a
/// block built on this state would reject, with the same reason.
///
/// The rules see the committed state only: a transaction that depends on one
/// still pending (a correction of a notice not yet in a block, the first
/// transaction of a subject whose registration is pending) is refused until
/// that one commits, and the client submits it again.
///
/// A reader that fails (a state database I/O error) refuses every
/// transaction with the error as the reason, and reports committed nonce 0
/// for every signer; a block built meanwhile is still decided by the rules
/// when it is applied.
public struct GovernanceMempoolView<Reader: GovernanceReader>: MempoolView {
    public let genesis: GenesisDocument
    public let reader: Reader

    public init(genesis: GenesisDocument, reader: Reader) {
        self.genesis = genesis
        self.reader = reader
    }

    public var community: CommunityID { genesis.community }

    public func committedNonce(of signer: PublicKey) -> UInt64 {
        do { return try reader.latestNonce(of: signer) } catch { return 0 }
    }

    public func permission(for transaction: Transaction) -> String? {
        do {
            let head = try reader.currentHead()
            return try GovernanceRules.check(transaction, at: (head.height &+ 1, head.time), genesis: genesis, reader: reader)
        } catch {
            return "the governance state could not be read: \(error)"
        }
    }
}
