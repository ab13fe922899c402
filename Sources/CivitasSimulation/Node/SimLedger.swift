import CivitasCodec
import CivitasLedger
import CivitasNodeCore

/// A simulated node's applied state: the signers' nonces and a digest chained
/// over every block and every transaction's outcome, so two nodes agree on
/// the digest exactly when they applied the same blocks with the same outcomes.
struct SimLedger {
    private(set) var nonces: [PublicKey: UInt64] = [:]
    private(set) var digest = Hash()
    private(set) var appliedTransactions = 0
    private(set) var rejectedTransactions = 0

    mutating func apply(_ block: Block, genesis: GenesisDocument) {
        var bytes = digest.bytes + block.header.hash.bytes
        for tx in block.transactions {
            let latest = nonces[tx.signer] ?? 0
            let ok = tx.community == genesis.community && tx.nonce == latest &+ 1
            if ok {
                nonces[tx.signer] = tx.nonce
                appliedTransactions += 1
            } else {
                rejectedTransactions += 1
            }
            bytes.append(ok ? 1 : 0)
        }
        digest = Hashing.sha256(bytes)
    }

    func view(_ genesis: GenesisDocument) -> SimLedgerView {
        SimLedgerView(community: genesis.community, nonces: nonces)
    }
}

struct SimLedgerView: MempoolView {
    let community: CommunityID
    let nonces: [PublicKey: UInt64]
    func committedNonce(of signer: PublicKey) -> UInt64 { nonces[signer] ?? 0 }
    func permission(for transaction: Transaction) -> String? { nil }
}
