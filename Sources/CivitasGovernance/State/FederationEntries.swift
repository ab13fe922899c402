public import CivitasCodec
public import CivitasLedger

/// A recorded checkpoint: one of this community's own heads (every
/// `checkpointInterval` blocks) or another community's, received in a
/// checkpoint transaction.
public struct CheckpointEntry: StateEntry {
    public var community: CommunityID
    /// The certified head's height (clamped) and header hash.
    public var height: UInt64
    public var headerHash: Hash
    /// That chain's genesis hash.
    public var genesisHash: Hash
    public var isOwn: Bool
    /// The height of this chain that recorded it.
    public var recordedHeight: UInt64
    /// For a received one: the checkpoint transaction's position, ID and signer.
    public var recordedIndex: Int?
    public var transaction: Hash?
    public var submitter: SubjectID?
    /// For a received one: the certificate's vote count and canonical encoding.
    /// (An own head's certificate stays in the block store: two nodes may hold
    /// different, equally valid certificates of one block.)
    public var votes: Int?
    public var certificate: [UInt8]?

    public init(community: CommunityID, height: UInt64, headerHash: Hash, genesisHash: Hash, isOwn: Bool,
                recordedHeight: UInt64, recordedIndex: Int?, transaction: Hash?, submitter: SubjectID?, votes: Int?,
                certificate: [UInt8]?) {
        self.community = community
        self.height = height
        self.headerHash = headerHash
        self.genesisHash = genesisHash
        self.isOwn = isOwn
        self.recordedHeight = recordedHeight
        self.recordedIndex = recordedIndex
        self.transaction = transaction
        self.submitter = submitter
        self.votes = votes
        self.certificate = certificate
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool {
        (a.community, a.height, a.headerHash) < (b.community, b.height, b.headerHash)
    }

    public func encode(to w: inout ByteWriter) {
        w.write(community); w.writeVarint(height); w.write(headerHash); w.write(genesisHash); w.writeBool(isOwn)
        w.writeVarint(recordedHeight); w.writeOptionalVarint(recordedIndex.map { UInt64($0) }); w.writeOptional(transaction)
        w.writeOptional(submitter); w.writeOptionalVarint(votes.map { UInt64($0) })
        if let certificate {
            w.writeByte(1)
            w.writeLengthPrefixed(certificate)
        } else {
            w.writeByte(0)
        }
    }
}

/// A request or resource this community referred to another.
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

    public init(id: Hash, height: UInt64, index: Int, time: Timestamp, referrer: SubjectID, toCommunity: CommunityID,
                kind: Referral.Kind, reference: Hash?, referenceKind: TransactionKind?, summary: String) {
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
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.id < b.id }

    public func encode(to w: inout ByteWriter) {
        w.write(id); w.writeVarint(height); w.writeCount(index); w.writeVarint(time); w.write(referrer)
        w.write(toCommunity); w.writeByte(kind.rawValue); w.writeOptional(reference)
        w.writeOptionalVarint(referenceKind?.rawValue); w.writeString(summary)
    }
}
