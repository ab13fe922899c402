public import CivitasCodec
public import CivitasLedger

/// A step of a referral recorded from a neighbour's chain: where it is on
/// that chain, and where this chain recorded it.
public struct ReferralStep: Hashable, Sendable {
    /// The height of the neighbour's block holding the record, and the record's transaction ID there.
    public var theirHeight: UInt64
    public var theirTransaction: Hash
    /// The relay (kind 17) that recorded it here: this chain's height, block time and transaction.
    public var recordedHeight: UInt64
    public var recordedTime: Timestamp
    public var transaction: Hash

    public init(theirHeight: UInt64, theirTransaction: Hash, recordedHeight: UInt64, recordedTime: Timestamp, transaction: Hash) {
        self.theirHeight = theirHeight
        self.theirTransaction = theirTransaction
        self.recordedHeight = recordedHeight
        self.recordedTime = recordedTime
        self.transaction = transaction
    }

    func encode(to w: inout ByteWriter) {
        w.writeVarint(theirHeight); w.write(theirTransaction); w.writeVarint(recordedHeight); w.writeVarint(recordedTime)
        w.write(transaction)
    }
}

/// The receiving community's answer to a referral (kind 18).
public struct ReferralReply: Hashable, Sendable {
    public var accepted: Bool
    public var note: String
    /// The subject of the receiving community who answered.
    public var answerer: SubjectID

    public init(accepted: Bool, note: String, answerer: SubjectID) {
        self.accepted = accepted
        self.note = note
        self.answerer = answerer
    }

    func encode(to w: inout ByteWriter) { w.writeBool(accepted); w.writeString(note); w.write(answerer) }
}

extension ByteWriter {
    mutating func writeOptional(step: ReferralStep?) {
        guard let step else { return writeByte(0) }
        writeByte(1)
        step.encode(to: &self)
    }

    mutating func writeOptional(reply: ReferralReply?) {
        guard let reply else { return writeByte(0) }
        writeByte(1)
        reply.encode(to: &self)
    }
}

/// A request or resource this community referred to another, and how far
/// it has got: delivered (the neighbour recorded receiving it) and answered.
public struct ReferralEntry: StateEntry {
    /// The transaction ID.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time.
    public var time: Timestamp
    public var referrer: SubjectID
    public var toCommunity: CommunityID
    public var kind: Referral.Kind
    /// A transaction the referral is about, if any.
    public var reference: Hash?
    /// Its kind, if it was applied on this chain before the referral.
    public var referenceKind: TransactionKind?
    public var summary: String
    /// The neighbour's receipt, recorded here (nil until it arrives).
    public var delivered: ReferralStep?
    /// The neighbour's answer and where it was recorded (nil until it arrives).
    public var answer: ReferralReply?
    public var answered: ReferralStep?

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, referrer: SubjectID, toCommunity: CommunityID,
                kind: Referral.Kind, reference: Hash?, referenceKind: TransactionKind?, summary: String,
                delivered: ReferralStep? = nil, answer: ReferralReply? = nil, answered: ReferralStep? = nil) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.referrer = referrer
        self.toCommunity = toCommunity
        self.kind = kind
        self.reference = reference
        self.referenceKind = referenceKind
        self.summary = summary
        self.delivered = delivered
        self.answer = answer
        self.answered = answered
    }

    /// "referred", "delivered" or "answered".
    public var status: String { answer != nil ? "answered" : delivered != nil ? "delivered" : "referred" }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(referrer)
        w.write(toCommunity); w.writeByte(kind.rawValue); w.writeOptional(reference)
        w.writeOptionalVarint(referenceKind?.rawValue); w.writeString(summary)
        w.writeOptional(step: delivered); w.writeOptional(reply: answer); w.writeOptional(step: answered)
    }
}

/// A neighbour's referral to this community, recorded here by a relay
/// (kind 17), and this community's answer (kind 18) once given.
public struct IncomingReferralEntry: StateEntry {
    /// The referral's transaction ID on the referring chain.
    public var id: Hash
    public var fromCommunity: CommunityID
    /// Where it is on the referring chain: height, block time, and who referred it there.
    public var theirHeight: UInt64
    public var theirTime: Timestamp
    public var referrer: SubjectID
    public var kind: Referral.Kind
    public var reference: Hash?
    public var summary: String
    /// The relay that recorded it here: this chain's height, block time, position and transaction (the receipt).
    public var recordedHeight: UInt64
    public var recordedTime: Timestamp
    public var recordedIndex: Int
    public var transaction: Hash
    /// This community's answer: what it said, and its transaction's height, time and ID here.
    public var answer: ReferralReply?
    public var answerHeight: UInt64?
    public var answerTime: Timestamp?
    public var answerTransaction: Hash?

    public init(id: Hash, fromCommunity: CommunityID, theirHeight: UInt64, theirTime: Timestamp, referrer: SubjectID,
                kind: Referral.Kind, reference: Hash?, summary: String, recordedHeight: UInt64, recordedTime: Timestamp,
                recordedIndex: Int, transaction: Hash, answer: ReferralReply? = nil, answerHeight: UInt64? = nil,
                answerTime: Timestamp? = nil, answerTransaction: Hash? = nil) {
        self.id = id
        self.fromCommunity = fromCommunity
        self.theirHeight = theirHeight
        self.theirTime = theirTime
        self.referrer = referrer
        self.kind = kind
        self.reference = reference
        self.summary = summary
        self.recordedHeight = recordedHeight
        self.recordedTime = recordedTime
        self.recordedIndex = recordedIndex
        self.transaction = transaction
        self.answer = answer
        self.answerHeight = answerHeight
        self.answerTime = answerTime
        self.answerTransaction = answerTransaction
    }

    /// "received" or "answered".
    public var status: String { answer != nil ? "answered" : "received" }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.write(fromCommunity); w.writeVarint(theirHeight); w.writeVarint(theirTime); w.write(referrer)
        w.writeByte(kind.rawValue); w.writeOptional(reference); w.writeString(summary); w.writeVarint(recordedHeight)
        w.writeVarint(recordedTime); w.writeCount(recordedIndex); w.write(transaction); w.writeOptional(reply: answer)
        w.writeOptionalVarint(answerHeight); w.writeOptionalVarint(answerTime); w.writeOptional(answerTransaction)
    }
}
