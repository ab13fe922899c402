import CivitasLedger

/// Bounds of the mempool; every default says why. Sizes are a transaction's
/// encoded size (`Transaction.encoded()`: what a client submits and what a
/// block's Merkle leaf hashes).
public struct MempoolSettings: Sendable, Hashable {
    /// Transactions held at most. 50,000: about 1.7 s of this machine's
    /// signature-verification ceiling (2 cores × ~14,800 Ed25519 verifies/s,
    /// measured on the project machine), so a leader always has several blocks' worth to
    /// cut, while a deeper queue would only add latency, not throughput.
    public var maxTransactions: Int = 50_000
    /// Encoded bytes held at most. 64 MiB: 50,000 typical 250-byte records
    /// take 12.5 MB, so the count binds first in normal use; this bound
    /// binds only when large records (16 KiB notices, 43 KiB proposals) pile
    /// up, and keeps the node's memory for the mempool small on a small machine.
    public var maxBytes: Int = 64 << 20
    /// Pending transactions of one signer at most. 256: no key can hold more
    /// than 0.5% of a full pool, so at least 195 signers fit before anyone is
    /// refused; still a generous in-flight window for a committee registering
    /// a building's residents (a client waits for commits, then sends more).
    public var maxPerSigner: Int = 256
    /// Encoded bytes of one transaction at most. 64 KiB: the largest record
    /// the field limits allow is a federation adoption (a document of at most
    /// 61,440 bytes, `FieldLimits.federationDocument`, and about 150 bytes of
    /// envelope); the largest other is a proposal with a 16 KiB description,
    /// 16 options and 256 endorsements (about 43 KiB). So every valid record
    /// fits, and nothing larger is ever held.
    public var maxTransactionBytes: Int = 64 << 10
    /// A transaction that has waited this long since it arrived
    /// is evicted as stale by `Mempool.evictStale(now:)`. 10 minutes: a block
    /// is cut every second or so, so a transaction still pending after
    /// hundreds of blocks is stuck behind a nonce gap the client never filled
    /// or a rule it no longer meets; the client resubmits. Arrival time is
    /// this node's, never the signer's `time` field, which nobody checks.
    public var staleAfter: Duration = .seconds(10 * 60)
    /// A nonce may be at most this far past the signer's committed nonce.
    /// 1,024: four times `maxPerSigner`, so a client that lost some
    /// transactions (a node restarted) can keep sending later nonces while it
    /// refills the gap; a nonce further ahead is a client bug, and holding it
    /// would pin memory for a transaction that cannot be included.
    public var maxNonceGap: UInt64 = 1_024

    public init() {}
}
