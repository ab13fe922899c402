public import CivitasCodec
public import CivitasLedger

/// The last applied block and how many transactions the chain applied and rejected.
public struct HeadEntry: StateEntry {
    /// 0 before the first block.
    public var height: UInt64
    /// The block's header hash (the genesis document's hash at height 0).
    public var hash: Hash
    /// The block's time (the genesis time at height 0), clamped.
    public var time: Timestamp
    public var appliedTransactions: UInt64
    public var rejectedTransactions: UInt64

    public init(height: UInt64, hash: Hash, time: Timestamp, appliedTransactions: UInt64, rejectedTransactions: UInt64) {
        self.height = height
        self.hash = hash
        self.time = time
        self.appliedTransactions = appliedTransactions
        self.rejectedTransactions = rejectedTransactions
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.height < b.height }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(height); w.write(hash); w.writeVarint(time)
        w.writeVarint(appliedTransactions); w.writeVarint(rejectedTransactions)
    }
}

/// A signer's latest consumed nonce (`NonceRule`).
public struct NonceEntry: StateEntry {
    public var signer: PublicKey
    public var nonce: UInt64
    /// The height of the block that consumed it.
    public var height: UInt64

    public init(signer: PublicKey, nonce: UInt64, height: UInt64) {
        self.signer = signer
        self.nonce = nonce
        self.height = height
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.signer < b.signer }

    public func encode(to w: inout ByteWriter) { w.write(signer); w.writeVarint(nonce); w.writeVarint(height) }
}

/// A transaction the chain applied: what a referral's reference may name.
public struct AppliedTransaction: StateEntry {
    public var id: Hash
    public var kind: TransactionKind
    public var height: UInt64
    public var index: Int

    public init(id: Hash, kind: TransactionKind, height: UInt64, index: Int) {
        self.id = id
        self.kind = kind
        self.height = height
        self.index = index
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) { w.write(id); w.writeByte(kind.rawValue); w.writeVarint(height); w.writeCount(index) }
}

/// One transaction of a block, applied or rejected: the block's record of it
/// (the state database keeps them all; the in-memory state only the kinds of
/// those applied).
public struct TransactionEntry: Hashable, Sendable {
    public var height: UInt64
    public var index: Int
    public var id: Hash
    public var kind: TransactionKind
    public var signer: PublicKey
    public var nonce: UInt64
    /// The signer's claimed time (clamped; block time is authoritative).
    public var time: Timestamp
    /// nil if applied, else why it was rejected.
    public var rejectionReason: String?

    public init(height: UInt64, index: Int, id: Hash, kind: TransactionKind, signer: PublicKey, nonce: UInt64,
                time: Timestamp, rejectionReason: String?) {
        self.height = height
        self.index = index
        self.id = id
        self.kind = kind
        self.signer = signer
        self.nonce = nonce
        self.time = time
        self.rejectionReason = rejectionReason
    }

    public var isApplied: Bool { rejectionReason == nil }
}

/// An applied block: it becomes the head.
public struct BlockEntry: Hashable, Sendable {
    public var height: UInt64
    public var hash: Hash
    public var previous: Hash
    /// Block time, clamped.
    public var time: Timestamp
    public var proposer: UInt32
    public var transactionCount: Int
    public var rejectedCount: Int
    public var transactionRoot: Hash

    public init(height: UInt64, hash: Hash, previous: Hash, time: Timestamp, proposer: UInt32, transactionCount: Int,
                rejectedCount: Int, transactionRoot: Hash) {
        self.height = height
        self.hash = hash
        self.previous = previous
        self.time = time
        self.proposer = proposer
        self.transactionCount = transactionCount
        self.rejectedCount = rejectedCount
        self.transactionRoot = transactionRoot
    }
}
