public import CivitasCodec
public import CivitasLedger

/// A resident's draft proposal (kind 12), waiting for endorsements; it opens
/// as the proposal with the same ID once enough active residents endorsed it.
public struct DraftEntry: StateEntry {
    /// The draft's transaction ID: the proposal's, once it opens.
    public var id: Hash
    public var height: UInt64
    public var index: Int
    /// Block time of the draft.
    public var time: Timestamp
    public var proposer: SubjectID
    /// The terms, as they will open (the closing value clamped).
    public var terms: ProposalTerms
    /// The height of the block in which it opened; nil while a draft.
    public var openedHeight: UInt64?

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, proposer: SubjectID, terms: ProposalTerms,
                openedHeight: UInt64?) {
        self.id = id
        self.height = height
        self.index = index
        self.time = time
        self.proposer = proposer
        self.terms = terms
        self.openedHeight = openedHeight
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(proposer); w.write(terms)
        w.writeOptionalVarint(openedHeight)
    }
}

/// One active resident's endorsement of a draft (kind 13), each resident once per draft.
public struct EndorsementEntry: StateEntry {
    public var draft: Hash
    public var endorser: SubjectID
    /// The endorser's key (the proposal records its endorsers by key).
    public var endorserKey: PublicKey
    /// Where the endorsement is.
    public var height: UInt64
    public var index: Int
    public var transaction: Hash

    public init(draft: Hash, endorser: SubjectID, endorserKey: PublicKey, height: UInt64, index: Int, transaction: Hash) {
        self.draft = draft
        self.endorser = endorser
        self.endorserKey = endorserKey
        self.height = height
        self.index = index
        self.transaction = transaction
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { (a.draft, a.endorser) < (b.draft, b.endorser) }

    public func encode(to w: inout ByteWriter) {
        w.write(draft); w.write(endorser); w.write(endorserKey); w.writeVarint(height); w.writeCount(index); w.write(transaction)
    }
}
