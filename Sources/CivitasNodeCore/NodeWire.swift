public import CivitasCodec
public import CivitasLedger
public import CivitasRaft

/// What a Raft log entry carries in Civitas (type 0x52): the leader's batch of
/// transactions and its clock. The block itself is built from the committed
/// entry by every replica the same way (`BlockBuilder`), so its height and
/// `previous` always follow the committed chain, even across leader changes.
public struct BlockProposal: Hashable, Sendable, CanonicalObject {
    public static var typeTag: UInt8 { 0x52 }
    public static var formatVersion: UInt8 { 1 }

    /// The proposing leader's clock (ms since the epoch); a block's time is the
    /// later of this and its predecessor's time, so block time never goes back.
    public var time: Timestamp
    /// The proposer's index in the genesis validator list.
    public var proposer: UInt32
    public var transactions: [Transaction]

    public init(time: Timestamp, proposer: UInt32, transactions: [Transaction]) {
        self.time = time
        self.proposer = proposer
        self.transactions = transactions
    }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(time)
        w.writeVarint(proposer)
        w.writeList(transactions)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        time = try r.readVarint()
        proposer = try r.readVarint(as: UInt32.self)
        transactions = try r.readList(limit: 1 << 20)
    }

    public static var minEncodedSize: Int { 3 }
}

/// A position on a chain: the last block's height, header hash and time
/// (type 0x53). It is the data of a Raft snapshot: compacting the log to an
/// entry records which block that entry built.
public struct ChainPosition: Hashable, Sendable, CanonicalObject, CustomStringConvertible {
    public static var typeTag: UInt8 { 0x53 }
    public static var formatVersion: UInt8 { 1 }

    public var height: UInt64
    public var hash: Hash
    public var time: Timestamp

    public init(height: UInt64, hash: Hash, time: Timestamp) {
        self.height = height
        self.hash = hash
        self.time = time
    }

    /// Height 0: the genesis document itself.
    public static func genesis(_ genesis: GenesisDocument) -> ChainPosition {
        ChainPosition(height: 0, hash: genesis.hash, time: genesis.time)
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(height); w.write(hash); w.writeVarint(time) }
    public init(from r: inout ByteReader) throws(CodecError) {
        height = try r.readVarint()
        hash = try r.read()
        time = try r.readVarint()
    }
    public static var minEncodedSize: Int { 34 }
    public var description: String { "\(height)/\(hash.hex.prefix(12))" }
}

/// A validator's signature over a block's header hash, addressed to the other
/// validators so each can assemble the commit certificate.
public struct VoteMessage: Hashable, Sendable, CanonicalCodable {
    public var height: UInt64
    public var headerHash: Hash
    public var vote: BlockVote

    public init(height: UInt64, headerHash: Hash, vote: BlockVote) {
        self.height = height
        self.headerHash = headerHash
        self.vote = vote
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(height); w.write(headerHash); w.write(vote) }
    public init(from r: inout ByteReader) throws(CodecError) {
        height = try r.readVarint()
        headerHash = try r.read()
        vote = try r.read()
    }
    public static var minEncodedSize: Int { 1 + 32 + BlockVote.minEncodedSize }
}

/// What validators send each other directly on the consensus traffic class
/// (type 0x61): Raft messages and block votes.
public enum ConsensusMessage: Hashable, Sendable, CanonicalObject {
    public static var typeTag: UInt8 { 0x61 }
    public static var formatVersion: UInt8 { 1 }

    case raft(Message)
    case vote(VoteMessage)

    public func encode(to w: inout ByteWriter) {
        switch self {
        case let .raft(m): w.writeByte(0); w.write(m)
        case let .vote(v): w.writeByte(1); w.write(v)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        switch try r.readTag("consensus message", count: 2) {
        case 0: self = .raft(try r.read())
        default: self = .vote(try r.read())
        }
    }

    public static var minEncodedSize: Int { 1 + Message.minEncodedSize }
}

/// Pending transactions offered to the community again (type 0x54), a payload
/// of the community-transactions gossip topic. A transaction's first offer is
/// the transaction itself; dissemination delivers a payload once, so a
/// re-offer (of a transaction that may have missed the leader) travels as a
/// new payload: this one, stamped with the offering node's clock.
public struct TransactionOffer: Hashable, Sendable, CanonicalObject {
    public static var typeTag: UInt8 { 0x54 }
    public static var formatVersion: UInt8 { 1 }

    /// The offering node's monotonic clock (ms): the same transactions offered again later are a new message.
    public var time: Timestamp
    public var transactions: [Transaction]

    public init(time: Timestamp, transactions: [Transaction]) {
        self.time = time
        self.transactions = transactions
    }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(time)
        w.writeList(transactions)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        time = try r.readVarint()
        transactions = try r.readList(limit: 1 << 16)
    }

    public static var minEncodedSize: Int { 2 }
}
