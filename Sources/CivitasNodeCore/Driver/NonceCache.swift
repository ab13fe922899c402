import CivitasLedger
import CivitasGovernance

/// Committed nonces per signer, read from the state once per signer and then
/// advanced by each applied block with the rule the state applies
/// (`NonceRule`, CivitasGovernance): a transaction of this community whose
/// nonce is the next one consumes it, whether or not the rules then accept
/// it. No read per applied transaction.
final class NonceCache {
    let community: CommunityID
    private let stored: (PublicKey) -> UInt64
    private var nonces: [PublicKey: UInt64] = [:]

    init(community: CommunityID, stored: @escaping (PublicKey) -> UInt64) {
        self.community = community
        self.stored = stored
    }

    func nonce(of signer: PublicKey) -> UInt64 {
        if let n = nonces[signer] { return n }
        let n = stored(signer)
        nonces[signer] = n
        return n
    }

    /// `transactions` (one applied block, in order) are now in the state.
    /// Signers not cached yet are read when first asked for.
    func advance(by transactions: [Transaction]) {
        for tx in transactions {
            if let n = nonces[tx.signer] { nonces[tx.signer] = NonceRule.latest(after: tx, community: community, latest: n) }
        }
    }
}
