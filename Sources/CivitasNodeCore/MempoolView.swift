public import CivitasLedger

/// What the mempool needs from the committed state; the node supplies it
/// (from the state database, or an overlay of it).
///
/// A block producer that keeps proposed-but-uncommitted blocks in flight
/// passes `Mempool.batch` a view whose `committedNonce` already counts the
/// nonces it proposed, so the next batch starts after them.
public protocol MempoolView {
    /// The community this node serves; transactions for any other are refused.
    var community: CommunityID { get }
    /// The last nonce consumed for `signer` (0 if none); `NonceRule.next(after:)`
    /// (CivitasGovernance) gives the signer's next valid nonce.
    func committedNonce(of signer: PublicKey) -> UInt64
    /// Nil if the governance rules let the transaction's signer submit it now,
    /// else the reason the rule refuses it (one line, shown to the client).
    func permission(for transaction: Transaction) -> String?
}
