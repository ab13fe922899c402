public import CivitasCodec

/// A resident's proposal before it has its co-signers (kind 12): the terms are
/// recorded as a draft, other residents endorse it with transactions of their
/// own (`DraftEndorsement`, kind 13) from their own devices, and it opens as a
/// proposal — its ID the draft's — in the block where enough have endorsed.
/// docs/governance.md, "Drafts and endorsements".
public struct ProposalDraft: Hashable, Sendable, Codable, CanonicalCodable {
    /// What would be voted on, exactly as it will open.
    public var terms: ProposalTerms

    public init(terms: ProposalTerms) { self.terms = terms }

    public func encode(to w: inout ByteWriter) { w.write(terms) }
    public init(from r: inout ByteReader) throws(CodecError) { terms = try r.read() }
    public static var minEncodedSize: Int { ProposalTerms.minEncodedSize }
}

/// An active resident's co-signature of a draft (kind 13), signed as its own
/// transaction: the signer, nonce and block are on the chain beside it.
public struct DraftEndorsement: Sendable, Codable, CanonicalCodable, CanonicalIdentity {
    /// The draft's transaction ID (also the proposal's ID once it opens).
    public var draft: Hash

    public init(draft: Hash) { self.draft = draft }

    public func encode(to w: inout ByteWriter) { w.write(draft) }
    public init(from r: inout ByteReader) throws(CodecError) { draft = try r.read() }
    public static var minEncodedSize: Int { 32 }
}
