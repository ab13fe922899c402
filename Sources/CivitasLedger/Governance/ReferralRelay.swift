public import CivitasCodec

/// A transaction of another community's chain with the proof that its
/// validators certified it (type 0x25): the block header, the header's
/// commit certificate and the transaction's inclusion proof. Anyone holding
/// the city's federation document can check it without that chain
/// (`verify(against:)`). The transaction is carried as its canonical bytes
/// and decoded only when verified, so a record that carries another record
/// is decoded one level at a time.
public struct ProvenTransaction: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x25 }
    public static var formatVersion: UInt8 { 1 }

    /// The chain the transaction is in: its community and genesis hash.
    public var community: CommunityID
    public var genesisHash: Hash
    public var header: BlockHeader
    public var certificate: CommitCertificate
    public var inclusion: InclusionProof
    /// The transaction's canonical encoding (type 0x10).
    public var transaction: [UInt8]

    public init(community: CommunityID, genesisHash: Hash, header: BlockHeader, certificate: CommitCertificate,
                inclusion: InclusionProof, transaction: [UInt8]) {
        self.community = community
        self.genesisHash = genesisHash
        self.header = header
        self.certificate = certificate
        self.inclusion = inclusion
        self.transaction = transaction
    }

    /// The proof for transaction `index` of `sealed`, a block of the chain `genesisHash`.
    public init(index: Int, of sealed: SealedBlock, genesisHash: Hash) {
        let block = sealed.block
        self.init(community: block.header.community, genesisHash: genesisHash, header: block.header,
                  certificate: sealed.certificate, inclusion: block.inclusionProof(index: index),
                  transaction: block.transactions[index].encoded())
    }

    /// The transaction, once the proof holds: the community is listed in
    /// `federation` with this genesis hash, the certificate carries valid
    /// votes of a majority of the validators listed for it over this header,
    /// and the transaction is leaf `inclusion.leafIndex` of the header's
    /// Merkle root.
    public func verify(against federation: FederationDocument, using verifier: SignatureVerifier = .direct) throws(LedgerError) -> Transaction {
        guard header.community == community else {
            throw LedgerError.blockMismatch("the header is of community '\(header.community)', not '\(community)'")
        }
        guard certificate.height == header.height, certificate.headerHash == header.hash else {
            throw LedgerError.certificate("the certificate is for height \(certificate.height) header \(certificate.headerHash.hex), not this header")
        }
        try federation.verify(certificate, of: community, genesisHash: genesisHash, using: verifier)
        guard inclusion.treeSize == UInt64(header.transactionCount),
              inclusion.verify(leafHash: Merkle.leafHash(transaction), root: header.transactionRoot) else {
            throw LedgerError.blockMismatch("the transaction is not in block \(header.height) of '\(community)'")
        }
        let tx: Transaction
        do {
            tx = try Transaction(encoded: transaction)
        } catch {
            throw LedgerError.blockMismatch("the transaction does not decode: \(error)")
        }
        guard tx.community == community else {
            throw LedgerError.blockMismatch("the transaction is of community '\(tx.community)', not '\(community)'")
        }
        return tx
    }

    public func encode(to w: inout ByteWriter) {
        w.write(community); w.write(genesisHash); w.write(header); w.write(certificate); w.write(inclusion)
        w.writeLengthPrefixed(transaction)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        community = try r.read()
        genesisHash = try r.read()
        header = try r.read()
        certificate = try r.read()
        inclusion = try r.read()
        transaction = try r.readLengthPrefixed(limit: FieldLimits.provenTransaction)
    }

    public static var minEncodedSize: Int {
        2 + 32 + BlockHeader.minEncodedSize + CommitCertificate.minEncodedSize + InclusionProof.minEncodedSize + 1
    }
}

/// A referral record of a neighbour's chain, recorded in this one (kind 17)
/// by a gateway: the neighbour's referral to this community (it is received
/// here), or, for a referral this community made, the neighbour's record of
/// receiving it (delivered) or its answer (answered). Every replica checks
/// the proof against the adopted federation document; each step is recorded
/// once however often it arrives. docs/federation.md, "Referrals".
public struct ReferralRelay: Hashable, Sendable, Codable, CanonicalCodable {
    public var record: ProvenTransaction

    public init(record: ProvenTransaction) { self.record = record }

    public func encode(to w: inout ByteWriter) { w.write(record) }
    public init(from r: inout ByteReader) throws(CodecError) { record = try r.read() }
    public static var minEncodedSize: Int { ProvenTransaction.minEncodedSize }
}

/// The receiving community's answer to a neighbour's referral (kind 18),
/// by its residents' committee, street office, a social organisation or a
/// service provider: accepted or declined, with a note.
public struct ReferralAnswer: Hashable, Sendable, Codable, CanonicalCodable {
    /// The referral (its transaction ID on the referring chain) and the community that made it.
    public var referral: Hash
    public var fromCommunity: CommunityID
    public var accepted: Bool
    public var note: String

    public init(referral: Hash, fromCommunity: CommunityID, accepted: Bool, note: String) {
        self.referral = referral
        self.fromCommunity = fromCommunity
        self.accepted = accepted
        self.note = note
    }

    public func encode(to w: inout ByteWriter) {
        w.write(referral); w.write(fromCommunity); w.writeBool(accepted); w.writeString(note)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        referral = try r.read()
        fromCommunity = try r.read()
        accepted = try r.readBool()
        note = try r.readString(limit: FieldLimits.note)
    }

    public static var minEncodedSize: Int { 32 + 2 + 1 + 1 }
}

/// A referral record on its way across the city (type 0x26, a gateway's
/// payload on the city referrals topic): the proven record and the wall time
/// it was sent at, so a record sent again (a referral still unanswered, a
/// neighbour that missed it during a partition) is a new message to the
/// overlay. Receivers verify `record` and ignore `sentAt`.
public struct ReferralDispatch: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x26 }
    public static var formatVersion: UInt8 { 1 }

    public var sentAt: Timestamp
    public var record: ProvenTransaction

    public init(sentAt: Timestamp, record: ProvenTransaction) {
        self.sentAt = sentAt
        self.record = record
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(sentAt); w.write(record) }
    public init(from r: inout ByteReader) throws(CodecError) {
        sentAt = try r.readVarint()
        record = try r.read()
    }
    public static var minEncodedSize: Int { 1 + ProvenTransaction.minEncodedSize }
}
