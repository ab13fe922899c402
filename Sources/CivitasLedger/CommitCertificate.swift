public import CivitasCodec

/// One validator's signature on a block header hash.
public struct BlockVote: Hashable, Sendable, Codable, CanonicalCodable, Comparable {
    /// The validator's position in the genesis validator list.
    public var validator: UInt32
    /// Ed25519 signature over the header hash in the block-vote domain.
    public var signature: Signature

    public init(validator: UInt32, signature: Signature) {
        self.validator = validator
        self.signature = signature
    }

    /// The vote of `key` (validator number `index`) for `headerHash`.
    public init(index: UInt32, key: SigningKey, headerHash: Hash) {
        validator = index
        signature = key.sign(headerHash.bytes, domain: .blockVote)
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(validator); w.write(signature) }
    public init(from r: inout ByteReader) throws(CodecError) {
        validator = try r.readVarint(as: UInt32.self)
        signature = try r.read()
    }
    public static var minEncodedSize: Int { 65 }
    public static func < (a: Self, b: Self) -> Bool { a.validator < b.validator }
}

/// Signatures of a majority of a community's validators over a block header
/// hash (type 0x23). An observer trusts a block because of this, not because of who sent it.
public struct CommitCertificate: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x23 }
    public static var formatVersion: UInt8 { 1 }

    public var height: UInt64
    public var headerHash: Hash
    /// Votes sorted by validator index, at most one each.
    public var votes: [BlockVote]

    public init(height: UInt64, headerHash: Hash, votes: [BlockVote]) {
        self.height = height
        self.headerHash = headerHash
        self.votes = votes.sorted()
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(height); w.write(headerHash); w.writeList(votes) }

    public init(from r: inout ByteReader) throws(CodecError) {
        height = try r.readVarint()
        headerHash = try r.read()
        votes = try r.readSortedSet(field: "votes", limit: FieldLimits.validators)
    }

    public static var minEncodedSize: Int { 1 + 32 + 1 }

    /// Checks that a strict majority of `validators` signed `headerHash`.
    public func verify(validators: [PublicKey], using verifier: SignatureVerifier = .direct) throws(LedgerError) {
        var valid = 0
        var seen = Set<UInt32>()
        for vote in votes {
            guard seen.insert(vote.validator).inserted else {
                throw LedgerError.certificate("two votes from validator #\(vote.validator)")
            }
            guard Int(vote.validator) < validators.count else {
                throw LedgerError.certificate("vote from validator #\(vote.validator), but there are only \(validators.count)")
            }
            guard verifier.isValid(vote.signature, by: validators[Int(vote.validator)], for: headerHash.bytes, domain: .blockVote) else {
                throw LedgerError.certificate("bad signature from validator #\(vote.validator)")
            }
            valid += 1
        }
        guard valid * 2 > validators.count else {
            throw LedgerError.certificate("\(valid) of \(validators.count) validators signed; a majority is \(validators.count / 2 + 1)")
        }
    }
}

/// A community's signed head, published city-wide (type 0x24): rewriting the
/// community's history would mean rewriting every neighbour that recorded it.
public struct Checkpoint: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x24 }
    public static var formatVersion: UInt8 { 1 }

    public var community: CommunityID
    /// Hash of the community's genesis document (names its validator set).
    public var genesisHash: Hash
    public var certificate: CommitCertificate

    public init(community: CommunityID, genesisHash: Hash, certificate: CommitCertificate) {
        self.community = community
        self.genesisHash = genesisHash
        self.certificate = certificate
    }

    public var height: UInt64 { certificate.height }
    public var headerHash: Hash { certificate.headerHash }

    public func encode(to w: inout ByteWriter) { w.write(community); w.write(genesisHash); w.write(certificate) }
    public init(from r: inout ByteReader) throws(CodecError) {
        community = try r.read()
        genesisHash = try r.read()
        certificate = try r.read()
    }
    public static var minEncodedSize: Int { 2 + 32 + CommitCertificate.minEncodedSize }
}

/// Why a ledger object failed verification.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A commit certificate does not prove a majority.
    case certificate(String)
    /// A transaction's signature does not verify.
    case badTransactionSignature(index: Int, id: Hash)
    /// A block's contents do not match its header.
    case blockMismatch(String)
    /// A peer record's signature does not verify.
    case badPeerRecordSignature
    /// A genesis document breaks a rule.
    case genesis(String)
    /// A federation document breaks a rule (a community twice, a limit passed).
    case federation(String)
    /// The federation document does not list this community.
    case notInFederation(CommunityID)
    /// The federation document lists the community with another genesis hash (another chain).
    case federationGenesisMismatch(community: CommunityID, documented: Hash, claimed: Hash)

    public var description: String {
        switch self {
        case let .certificate(why): return "commit certificate refused: \(why)"
        case let .badTransactionSignature(index, id): return "transaction #\(index) (\(id.hex)) has an invalid signature"
        case let .blockMismatch(why): return "block refused: \(why)"
        case .badPeerRecordSignature: return "peer record signature is invalid"
        case let .genesis(why): return "genesis document refused: \(why)"
        case let .federation(why): return "federation document refused: \(why)"
        case let .notInFederation(community): return "community '\(community)' is not in the federation document"
        case let .federationGenesisMismatch(community, documented, claimed):
            return "the federation document lists community '\(community)' with genesis \(documented.hex), not \(claimed.hex)"
        }
    }
}
