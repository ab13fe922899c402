public import CivitasCodec

/// When a proposal stops taking ballots.
public enum ClosingRule: Hashable, Sendable, Codable, CanonicalCodable {
    /// Closes once a block at or above this height is applied.
    case height(UInt64)
    /// Closes once a block whose time is at or after this is applied.
    case time(Timestamp)

    public func encode(to w: inout ByteWriter) {
        switch self {
        case let .height(h): w.writeByte(0); w.writeVarint(h)
        case let .time(t): w.writeByte(1); w.writeVarint(t)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        switch try r.readTag("closing rule", count: 2) {
        case 0: self = .height(try r.readVarint())
        default: self = .time(try r.readVarint())
        }
    }

    public static var minEncodedSize: Int { 2 }
}

/// What a proposal asks: the part that endorsers sign.
public struct ProposalTerms: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    public var title: String
    public var description: String
    /// The choices, 2 to 16.
    public var options: [String]
    /// Who may vote; the electorate is fixed when the proposal is applied.
    public var eligibleRoles: RoleSet
    public var closing: ClosingRule
    /// Ballots needed, in basis points of the electorate (0 ... 10,000).
    public var quorumBasisPoints: UInt32
    /// Share of counted ballots the leading option needs to pass, in basis points (1 ... 10,000).
    public var passBasisPoints: UInt32

    public init(title: String, description: String, options: [String], eligibleRoles: RoleSet,
                closing: ClosingRule, quorumBasisPoints: UInt32, passBasisPoints: UInt32) {
        self.title = title
        self.description = description
        self.options = options
        self.eligibleRoles = eligibleRoles
        self.closing = closing
        self.quorumBasisPoints = quorumBasisPoints
        self.passBasisPoints = passBasisPoints
    }

    public func encode(to w: inout ByteWriter) {
        w.writeString(title)
        w.writeString(description)
        w.writeVarint(UInt64(options.count))
        for o in options { w.writeString(o) }
        w.write(eligibleRoles)
        w.write(closing)
        w.writeVarint(quorumBasisPoints)
        w.writeVarint(passBasisPoints)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        title = try r.readString(limit: FieldLimits.title)
        description = try r.readString(limit: FieldLimits.longText)
        let start = r.offset
        let n = try r.readCount(limit: FieldLimits.options, minElementSize: 1)
        guard n >= 2 else { throw CodecError(.invalidValue(field: "options", reason: "a proposal needs at least 2 options"), at: start) }
        var opts: [String] = []
        opts.reserveCapacity(n)
        for _ in 0..<n { opts.append(try r.readString(limit: FieldLimits.name)) }
        options = opts
        eligibleRoles = try r.read()
        closing = try r.read()
        quorumBasisPoints = UInt32(try r.readVarint("quorum", in: 0...10_000))
        passBasisPoints = UInt32(try r.readVarint("pass threshold", in: 1...10_000))
    }

    public static var minEncodedSize: Int { 1 + 1 + 3 + 1 + 2 + 1 + 1 }

    /// The message endorsers sign: the terms' canonical encoding.
    public var endorsementMessage: [UInt8] { canonicalBytes() }
}

/// A subject's signature on a proposal's terms (residents' proposals need enough of them).
public struct Endorsement: Hashable, Sendable, Codable, CanonicalCodable, Comparable {
    public var signer: PublicKey
    public var signature: Signature

    public init(signer: PublicKey, signature: Signature) {
        self.signer = signer
        self.signature = signature
    }

    /// Signs `terms` with `key` in the proposal-endorsement domain.
    public init(endorsing terms: ProposalTerms, with key: SigningKey) {
        signer = key.publicKey
        signature = key.sign(terms.endorsementMessage, domain: .proposalEndorsement)
    }

    /// True if the signature covers `terms`.
    public func isValid(for terms: ProposalTerms, using verifier: SignatureVerifier = .direct) -> Bool {
        verifier.isValid(signature, by: signer, for: terms.endorsementMessage, domain: .proposalEndorsement)
    }

    public func encode(to w: inout ByteWriter) { w.write(signer); w.write(signature) }
    public init(from r: inout ByteReader) throws(CodecError) { signer = try r.read(); signature = try r.read() }
    public static var minEncodedSize: Int { 96 }
    public static func < (a: Self, b: Self) -> Bool { a.signer < b.signer }
}

/// Opens a proposal: a committee alone, or a resident with enough endorsements.
public struct Proposal: Hashable, Sendable, Codable, CanonicalCodable {
    public var terms: ProposalTerms
    /// Co-signers, sorted by key, at most one each.
    public var endorsements: [Endorsement]

    public init(terms: ProposalTerms, endorsements: [Endorsement] = []) {
        self.terms = terms
        self.endorsements = endorsements.sorted()
    }

    public func encode(to w: inout ByteWriter) { w.write(terms); w.writeList(endorsements) }

    public init(from r: inout ByteReader) throws(CodecError) {
        terms = try r.read()
        endorsements = try r.readSortedSet(field: "endorsements", limit: FieldLimits.endorsements)
    }

    public static var minEncodedSize: Int { ProposalTerms.minEncodedSize + 1 }
}

/// One subject's vote; a later ballot from the same subject replaces the earlier one until close.
public struct Ballot: Hashable, Sendable, Codable, CanonicalCodable {
    /// The proposal's transaction ID.
    public var proposal: Hash
    /// Index into the proposal's options.
    public var choice: UInt32

    public init(proposal: Hash, choice: UInt32) {
        self.proposal = proposal
        self.choice = choice
    }

    public func encode(to w: inout ByteWriter) { w.write(proposal); w.writeVarint(choice) }

    public init(from r: inout ByteReader) throws(CodecError) {
        proposal = try r.read()
        choice = UInt32(try r.readVarint("choice", in: 0...UInt64(FieldLimits.options - 1)))
    }

    public static var minEncodedSize: Int { 33 }
}
