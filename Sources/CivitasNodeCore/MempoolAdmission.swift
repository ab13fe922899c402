public import CivitasCodec
public import CivitasLedger

/// The outcome of `Mempool.admit`.
public enum Admission: Sendable, Hashable {
    /// Held, under `id`. To make room, a full mempool may have displaced
    /// transactions of the signer holding the most (fair admission); they are
    /// listed so the shell can report them.
    case admitted(id: Hash, displaced: [EvictedTransaction])
    /// The same transaction (same ID) is already pending: a resubmission is
    /// not an error, and nothing changed.
    case alreadyKnown(id: Hash)
    /// Refused; nothing changed.
    case rejected(MempoolRejection)
}

/// Why a transaction was refused. `description` is one line for the client
/// (the HTTP API returns it with the 4xx status).
public enum MempoolRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The transaction is for another community's chain.
    case wrongCommunity(transaction: CommunityID, node: CommunityID)
    /// Its encoded size is over `MempoolSettings.maxTransactionBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// The signature does not verify for the signer's key.
    case badSignature
    /// The nonce is at or below the signer's committed nonce: a replay.
    case nonceUsed(nonce: UInt64, committed: UInt64)
    /// The nonce is more than `MempoolSettings.maxNonceGap` past the committed nonce.
    case nonceTooFarAhead(nonce: UInt64, committed: UInt64, maxGap: UInt64)
    /// Another transaction from the same signer with the same nonce is pending.
    case nonceTaken(nonce: UInt64, pending: Hash)
    /// The governance rules refuse it; the view's reason.
    case notPermitted(String)
    /// The signer already holds `MempoolSettings.maxPerSigner` pending transactions.
    case signerAtLimit(pending: Int)
    /// The mempool is at a bound and fair admission finds nothing to displace.
    case full(transactions: Int, bytes: Int)

    public var description: String {
        switch self {
        case let .wrongCommunity(tx, node):
            return "wrong community: the transaction is for '\(tx)', this node serves '\(node)'"
        case let .tooLarge(bytes, limit):
            return "too large: \(bytes) bytes encoded, the limit is \(limit)"
        case .badSignature:
            return "bad signature: it does not verify for the signer's key"
        case let .nonceUsed(nonce, committed):
            return "nonce already used (replay): nonce \(nonce), the signer's committed nonce is \(committed)"
        case let .nonceTooFarAhead(nonce, committed, maxGap):
            return "nonce too far ahead: nonce \(nonce), at most \(maxGap) past the signer's committed nonce \(committed)"
        case let .nonceTaken(nonce, pending):
            return "a different transaction is already pending with nonce \(nonce) from this signer (\(pending.hex))"
        case let .notPermitted(reason):
            return "not permitted: \(reason)"
        case let .signerAtLimit(pending):
            return "signer at its per-signer limit: \(pending) transactions pending; wait for some to commit"
        case let .full(transactions, bytes):
            return "mempool full: \(transactions) transactions, \(bytes) bytes pending; try again later"
        }
    }
}

/// A transaction that left the mempool without being included in a block.
public struct EvictedTransaction: Sendable, Hashable {
    /// Why it left.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// It waited longer than `MempoolSettings.staleAfter`.
        case stale
        /// A full mempool displaced it to admit a signer holding fewer (fair admission).
        case displaced
        /// A committed transaction (another one, or this one in a block not reported) used its nonce.
        case nonceUsed
        /// The governance rules no longer allow it (`Mempool.revalidate`).
        case notPermitted(String)

        public var description: String {
            switch self {
            case .stale: return "stale: waited too long in the mempool"
            case .displaced: return "displaced: the mempool was full and its signer held the most"
            case .nonceUsed: return "nonce already used by a committed transaction"
            case let .notPermitted(reason): return "not permitted: \(reason)"
            }
        }
    }

    /// The transaction's ID.
    public var id: Hash
    public var transaction: Transaction
    public var reason: Reason

    public init(id: Hash, transaction: Transaction, reason: Reason) {
        self.id = id
        self.transaction = transaction
        self.reason = reason
    }
}
