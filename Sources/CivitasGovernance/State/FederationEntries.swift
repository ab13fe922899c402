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
    /// The height of this chain that recorded it, and that block's time.
    public var recordedHeight: UInt64
    public var recordedTime: Timestamp
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
                recordedHeight: UInt64, recordedTime: Timestamp, recordedIndex: Int?, transaction: Hash?, submitter: SubjectID?,
                votes: Int?, certificate: [UInt8]?) {
        self.community = community
        self.height = height
        self.headerHash = headerHash
        self.genesisHash = genesisHash
        self.isOwn = isOwn
        self.recordedHeight = recordedHeight
        self.recordedTime = recordedTime
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
        w.writeVarint(recordedHeight); w.writeVarint(recordedTime); w.writeOptionalVarint(recordedIndex.map { UInt64($0) }); w.writeOptional(transaction)
        w.writeOptional(submitter); w.writeOptionalVarint(votes.map { UInt64($0) })
        if let certificate {
            w.writeByte(1)
            w.writeLengthPrefixed(certificate)
        } else {
            w.writeByte(0)
        }
    }
}

/// A federation document this community adopted (kind 16). The one with the
/// highest sequence is the current one: neighbours' checkpoints are verified
/// against it.
public struct FederationAdoptionEntry: StateEntry {
    /// The document's version (the table's key: each is adopted once, in increasing order).
    public var sequence: UInt64
    /// The document's hash.
    public var hash: Hash
    public var document: FederationDocument
    /// Where it was adopted: the block's height, time and position, the transaction and its signer.
    public var height: UInt64
    public var time: Timestamp
    public var index: Int
    public var transaction: Hash
    public var adopter: SubjectID

    public init(document: FederationDocument, height: UInt64, time: Timestamp, index: Int, transaction: Hash, adopter: SubjectID) {
        sequence = document.sequence
        hash = document.hash
        self.document = document
        self.height = height
        self.time = time
        self.index = index
        self.transaction = transaction
        self.adopter = adopter
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool { a.sequence < b.sequence }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(sequence); w.write(hash); w.writeLengthPrefixed(document.encoded()); w.writeVarint(height)
        w.writeVarint(time); w.writeCount(index); w.write(transaction); w.write(adopter)
    }
}

/// Tamper evidence: a neighbour's checkpoint whose certificate verifies but
/// whose header differs from the one this community anchored at that height
/// of that chain — its validators signed two blocks at one height
/// (equivocation), or rewrote their history. Both headers and both
/// certificates are kept, so anyone can re-verify them.
public struct TamperEvidenceEntry: StateEntry {
    public var community: CommunityID
    /// That chain's genesis hash, and the height both headers claim.
    public var genesisHash: Hash
    public var height: UInt64
    /// The header anchored first at that height, and its certificate (canonical encoding).
    public var anchoredHeaderHash: Hash
    public var anchoredCertificate: [UInt8]
    /// The other header, and its certificate (canonical encoding).
    public var conflictingHeaderHash: Hash
    public var conflictingCertificate: [UInt8]
    /// Where the evidence was recorded on this chain: height, block time, position, transaction, signer.
    public var recordedHeight: UInt64
    public var recordedTime: Timestamp
    public var recordedIndex: Int
    public var transaction: Hash
    public var submitter: SubjectID

    public init(community: CommunityID, genesisHash: Hash, height: UInt64, anchoredHeaderHash: Hash, anchoredCertificate: [UInt8],
                conflictingHeaderHash: Hash, conflictingCertificate: [UInt8], recordedHeight: UInt64, recordedTime: Timestamp,
                recordedIndex: Int, transaction: Hash, submitter: SubjectID) {
        self.community = community
        self.genesisHash = genesisHash
        self.height = height
        self.anchoredHeaderHash = anchoredHeaderHash
        self.anchoredCertificate = anchoredCertificate
        self.conflictingHeaderHash = conflictingHeaderHash
        self.conflictingCertificate = conflictingCertificate
        self.recordedHeight = recordedHeight
        self.recordedTime = recordedTime
        self.recordedIndex = recordedIndex
        self.transaction = transaction
        self.submitter = submitter
    }

    public static func precedes(_ a: Self, _ b: Self) -> Bool {
        (a.community, a.height, a.conflictingHeaderHash) < (b.community, b.height, b.conflictingHeaderHash)
    }

    public func encode(to w: inout ByteWriter) {
        w.write(community); w.write(genesisHash); w.writeVarint(height); w.write(anchoredHeaderHash)
        w.writeLengthPrefixed(anchoredCertificate); w.write(conflictingHeaderHash); w.writeLengthPrefixed(conflictingCertificate)
        w.writeVarint(recordedHeight); w.writeVarint(recordedTime); w.writeCount(recordedIndex); w.write(transaction); w.write(submitter)
    }
}

/// A neighbour chain's last anchored checkpoint, as status shows it per
/// neighbour: how far its history is anchored here, and since when.
public struct NeighbourAnchor: Hashable, Sendable {
    public var community: CommunityID
    /// The neighbour's chain (a community that started a new chain has one entry per chain).
    public var genesisHash: Hash
    /// The highest height of that chain anchored here, and its header hash.
    public var height: UInt64
    public var headerHash: Hash
    /// The height of this chain that anchored it, and that block's time (the anchor's age is now − `recordedTime`).
    public var recordedHeight: UInt64
    public var recordedTime: Timestamp
    /// Checkpoints of that chain anchored here in all.
    public var anchored: Int

    public init(community: CommunityID, genesisHash: Hash, height: UInt64, headerHash: Hash, recordedHeight: UInt64,
                recordedTime: Timestamp, anchored: Int) {
        self.community = community
        self.genesisHash = genesisHash
        self.height = height
        self.headerHash = headerHash
        self.recordedHeight = recordedHeight
        self.recordedTime = recordedTime
        self.anchored = anchored
    }
}
