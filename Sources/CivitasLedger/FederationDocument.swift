public import CivitasCodec

/// One community of a city's federation: the chain it runs (its genesis hash),
/// the node keys whose votes certify that chain's blocks, and the CA that
/// issues its nodes' TLS certificates.
public struct FederationMember: Hashable, Sendable, Codable, CanonicalCodable, Comparable {
    public var community: CommunityID
    /// The hash of the community's genesis document: names its chain.
    public var genesisHash: Hash
    /// Its validators' node keys in vote-index order (`GenesisDocument.validatorKeys`):
    /// a commit certificate's vote `i` is checked against key `i`.
    public var validators: [PublicKey]
    /// Its community CA certificate, DER (CivitasIdentity reads it: `TrustBundle(federation:)`).
    public var caCertificate: [UInt8]

    public init(community: CommunityID, genesisHash: Hash, validators: [PublicKey], caCertificate: [UInt8]) {
        self.community = community
        self.genesisHash = genesisHash
        self.validators = validators
        self.caCertificate = caCertificate
    }

    /// The member for the chain `genesis` starts, with the CA certificate `caCertificate` (DER).
    public init(genesis: GenesisDocument, caCertificate: [UInt8]) {
        self.init(community: genesis.community, genesisHash: genesis.hash, validators: genesis.validatorKeys,
                  caCertificate: caCertificate)
    }

    public func encode(to w: inout ByteWriter) {
        w.write(community)
        w.write(genesisHash)
        w.writeList(validators)
        w.writeLengthPrefixed(caCertificate)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        community = try r.read()
        genesisHash = try r.read()
        let at = r.offset
        validators = try r.readList(limit: FieldLimits.validators)
        guard !validators.isEmpty else { throw CodecError(.invalidValue(field: "validators", reason: "at least one validator"), at: at) }
        guard Set(validators).count == validators.count else {
            throw CodecError(.invalidValue(field: "validators", reason: "node keys must be distinct"), at: at)
        }
        let caAt = r.offset
        caCertificate = try r.readLengthPrefixed(limit: FieldLimits.caCertificate)
        guard !caCertificate.isEmpty else {
            throw CodecError(.invalidValue(field: "CA certificate", reason: "must not be empty"), at: caAt)
        }
    }

    public static var minEncodedSize: Int { CommunityID.minEncodedSize + 32 + (1 + 32) + (1 + 1) }
    public static func < (a: Self, b: Self) -> Bool { a.community < b.community }
}

extension FederationMember {
    private enum CodingKeys: String, CodingKey { case community, genesisHash, validators, caCertificate }

    /// In JSON (`civitas inspect`) the CA certificate is hex, like every other byte field.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(community, forKey: .community)
        try c.encode(genesisHash, forKey: .genesisHash)
        try c.encode(validators, forKey: .validators)
        try c.encode(Hex.encode(caCertificate), forKey: .caCertificate)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let hex = try c.decode(String.self, forKey: .caCertificate)
        guard let der = Hex.decode(hex) else {
            throw DecodingError.dataCorruptedError(forKey: .caCertificate, in: c, debugDescription: "not hex")
        }
        self.init(community: try c.decode(CommunityID.self, forKey: .community), genesisHash: try c.decode(Hash.self, forKey: .genesisHash),
                  validators: try c.decode([PublicKey].self, forKey: .validators), caCertificate: der)
    }
}

/// The city's federation document (type 0x41): every community's chain,
/// validators and CA, in one canonical, hashed object. A community joins by
/// adopting it on its own chain (`FederationAdoption`, kind 16); checkpoints
/// of a neighbour are verified against the validators it lists
/// (`verify(_:of:genesisHash:)`). A later version carries a higher `sequence`.
public struct FederationDocument: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x41 }
    public static var formatVersion: UInt8 { 1 }

    /// The version: a community adopts a document only with a higher sequence
    /// than the one it adopted before. At most `maxSequence`.
    public var sequence: UInt64
    /// The communities, sorted by name, each once.
    public private(set) var communities: [FederationMember]

    /// The largest sequence (2^63 − 1): it fits the signed 64-bit integer a state database holds.
    public static let maxSequence = UInt64(Int64.max)

    /// A document of `communities` (sorted here). Throws `LedgerError.federation`
    /// for a community listed twice, a sequence above `maxSequence`, or a
    /// document whose encoding would pass the format's limits — the same rules
    /// the decoder enforces, so every document built here can be decoded.
    public init(sequence: UInt64, communities: [FederationMember]) throws(LedgerError) {
        self.sequence = sequence
        self.communities = communities.sorted()
        for (a, b) in zip(self.communities, self.communities.dropFirst()) where !(a < b) {
            throw LedgerError.federation("community '\(a.community)' is listed twice")
        }
        guard sequence <= Self.maxSequence else { throw LedgerError.federation("sequence \(sequence) is above \(Self.maxSequence)") }
        guard self.communities.count <= FieldLimits.federationCommunities else {
            throw LedgerError.federation("\(self.communities.count) communities; a document holds at most \(FieldLimits.federationCommunities)")
        }
        for m in self.communities {
            guard !m.validators.isEmpty, Set(m.validators).count == m.validators.count, m.validators.count <= FieldLimits.validators else {
                throw LedgerError.federation("'\(m.community)' needs 1 to \(FieldLimits.validators) distinct validator keys")
            }
            guard (1...FieldLimits.caCertificate).contains(m.caCertificate.count) else {
                throw LedgerError.federation("'\(m.community)': a CA certificate of \(m.caCertificate.count) bytes; 1 to \(FieldLimits.caCertificate) are allowed")
            }
        }
        let size = fieldsSize
        guard size <= FieldLimits.federationDocument else {
            throw LedgerError.federation("the document takes \(size) bytes; at most \(FieldLimits.federationDocument) fit one adoption transaction")
        }
    }

    /// The document's hash: what a community adopts and what names this version.
    public var hash: Hash { canonicalHash }

    /// The bytes of the fields (the encoding without its two header bytes): what `FieldLimits.federationDocument` bounds.
    public var fieldsSize: Int {
        var counter = ByteWriter.counting()
        encode(to: &counter)
        return counter.position
    }

    /// The entry of `community`, if the document lists it.
    public func member(_ community: CommunityID) -> FederationMember? {
        communities.first { $0.community == community }
    }

    /// This document with `member` added, or replacing the entry of its
    /// community, and the sequence one higher: a new version.
    public func setting(_ member: FederationMember) throws(LedgerError) -> FederationDocument {
        guard sequence < Self.maxSequence else { throw LedgerError.federation("the sequence is at its maximum") }
        return try FederationDocument(sequence: sequence + 1,
                                      communities: communities.filter { $0.community != member.community } + [member])
    }

    /// Checks that `certificate` certifies a block of `community`'s chain
    /// `genesisHash`: the document lists the community with that genesis hash,
    /// and the certificate holds valid votes of a strict majority of the
    /// validators listed for it (`CommitCertificate.verify(validators:)`,
    /// the check every node makes of its own community's blocks).
    ///
    /// - Throws: `LedgerError.notInFederation` if the community is not listed;
    ///   `.federationGenesisMismatch` if it is listed with another genesis hash;
    ///   `.certificate` if the votes do not prove a majority (a bad signature,
    ///   a vote from an unknown or repeated validator, or too few votes).
    public func verify(_ certificate: CommitCertificate, of community: CommunityID, genesisHash: Hash,
                       using verifier: SignatureVerifier = .direct) throws(LedgerError) {
        guard let m = member(community) else { throw LedgerError.notInFederation(community) }
        guard m.genesisHash == genesisHash else {
            throw LedgerError.federationGenesisMismatch(community: community, documented: m.genesisHash, claimed: genesisHash)
        }
        try certificate.verify(validators: m.validators, using: verifier)
    }

    /// `verify(_:of:genesisHash:)` for a checkpoint's certificate, community and genesis hash.
    public func verify(_ checkpoint: Checkpoint, using verifier: SignatureVerifier = .direct) throws(LedgerError) {
        try verify(checkpoint.certificate, of: checkpoint.community, genesisHash: checkpoint.genesisHash, using: verifier)
    }

    public func encode(to w: inout ByteWriter) {
        w.writeVarint(sequence)
        w.writeList(communities)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let start = r.offset
        sequence = try r.readVarint("sequence", in: 0...Self.maxSequence)
        communities = try r.readSortedSet(field: "communities", limit: FieldLimits.federationCommunities)
        guard r.offset - start <= FieldLimits.federationDocument else {
            throw CodecError(.lengthAboveLimit(length: UInt64(r.offset - start), limit: FieldLimits.federationDocument), at: start)
        }
    }

    public static var minEncodedSize: Int { 2 }
}
