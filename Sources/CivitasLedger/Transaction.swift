public import CivitasCodec

/// What a transaction records, with its typed content.
public enum TransactionPayload: Hashable, Sendable, Codable {
    case registration(Registration)
    case notice(Notice)
    case proposal(Proposal)
    case ballot(Ballot)
    case serviceRequest(ServiceRequest)
    case assignment(Assignment)
    case serviceResponse(ServiceResponse)
    case closure(Closure)
    case volunteerRecord(VolunteerRecord)
    case checkpoint(Checkpoint)
    case referral(Referral)
    case proposalDraft(ProposalDraft)
    case endorsement(DraftEndorsement)
    case rewardOffer(RewardOffer)
    case redemption(Redemption)
    case federationAdoption(FederationAdoption)
    case referralRelay(ReferralRelay)
    case referralAnswer(ReferralAnswer)

    /// The kind byte on the wire.
    public var kind: TransactionKind {
        switch self {
        case .registration: return .registration
        case .notice: return .notice
        case .proposal: return .proposal
        case .ballot: return .ballot
        case .serviceRequest: return .serviceRequest
        case .assignment: return .assignment
        case .serviceResponse: return .serviceResponse
        case .closure: return .closure
        case .volunteerRecord: return .volunteerRecord
        case .checkpoint: return .checkpoint
        case .referral: return .referral
        case .proposalDraft: return .proposalDraft
        case .endorsement: return .endorsement
        case .rewardOffer: return .rewardOffer
        case .redemption: return .redemption
        case .federationAdoption: return .federationAdoption
        case .referralRelay: return .referralRelay
        case .referralAnswer: return .referralAnswer
        }
    }
}

/// The kind byte of a transaction (docs/codec.md).
public enum TransactionKind: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case registration = 1
    case notice = 2
    case proposal = 3
    case ballot = 4
    case serviceRequest = 5
    case assignment = 6
    case serviceResponse = 7
    case closure = 8
    case volunteerRecord = 9
    case checkpoint = 10
    case referral = 11
    case proposalDraft = 12
    case endorsement = 13
    case rewardOffer = 14
    case redemption = 15
    case federationAdoption = 16
    case referralRelay = 17
    case referralAnswer = 18

    public var description: String {
        switch self {
        case .registration: return "registration"
        case .notice: return "notice"
        case .proposal: return "proposal"
        case .ballot: return "ballot"
        case .serviceRequest: return "serviceRequest"
        case .assignment: return "assignment"
        case .serviceResponse: return "serviceResponse"
        case .closure: return "closure"
        case .volunteerRecord: return "volunteerRecord"
        case .checkpoint: return "checkpoint"
        case .referral: return "referral"
        case .proposalDraft: return "proposalDraft"
        case .endorsement: return "endorsement"
        case .rewardOffer: return "rewardOffer"
        case .redemption: return "redemption"
        case .federationAdoption: return "federationAdoption"
        case .referralRelay: return "referralRelay"
        case .referralAnswer: return "referralAnswer"
        }
    }
}

extension TransactionPayload: CanonicalCodable {
    public func encode(to w: inout ByteWriter) {
        w.writeByte(kind.rawValue)
        switch self {
        case let .registration(p): w.write(p)
        case let .notice(p): w.write(p)
        case let .proposal(p): w.write(p)
        case let .ballot(p): w.write(p)
        case let .serviceRequest(p): w.write(p)
        case let .assignment(p): w.write(p)
        case let .serviceResponse(p): w.write(p)
        case let .closure(p): w.write(p)
        case let .volunteerRecord(p): w.write(p)
        case let .checkpoint(p): w.write(p)
        case let .referral(p): w.write(p)
        case let .proposalDraft(p): w.write(p)
        case let .endorsement(p): w.write(p)
        case let .rewardOffer(p): w.write(p)
        case let .redemption(p): w.write(p)
        case let .federationAdoption(p): w.write(p)
        case let .referralRelay(p): w.write(p)
        case let .referralAnswer(p): w.write(p)
        }
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        let start = r.offset
        let tag = try r.readByte()
        guard let kind = TransactionKind(rawValue: tag) else {
            throw CodecError(.unknownTag(tag: UInt64(tag), field: "transaction kind"), at: start)
        }
        switch kind {
        case .registration: self = .registration(try r.read())
        case .notice: self = .notice(try r.read())
        case .proposal: self = .proposal(try r.read())
        case .ballot: self = .ballot(try r.read())
        case .serviceRequest: self = .serviceRequest(try r.read())
        case .assignment: self = .assignment(try r.read())
        case .serviceResponse: self = .serviceResponse(try r.read())
        case .closure: self = .closure(try r.read())
        case .volunteerRecord: self = .volunteerRecord(try r.read())
        case .checkpoint: self = .checkpoint(try r.read())
        case .referral: self = .referral(try r.read())
        case .proposalDraft: self = .proposalDraft(try r.read())
        case .endorsement: self = .endorsement(try r.read())
        case .rewardOffer: self = .rewardOffer(try r.read())
        case .redemption: self = .redemption(try r.read())
        case .federationAdoption: self = .federationAdoption(try r.read())
        case .referralRelay: self = .referralRelay(try r.read())
        case .referralAnswer: self = .referralAnswer(try r.read())
        }
    }

    /// The kind byte and the smallest payload: a kind-16 adoption of an
    /// empty document (sequence and count, one byte each).
    public static var minEncodedSize: Int { 1 + 2 }
}

/// A transaction before it is signed: everything the signature covers.
public struct UnsignedTransaction: Hashable, Sendable, Codable, CanonicalCodable {
    /// The community whose chain records it (a transaction never replays on another chain).
    public var community: CommunityID
    /// The signer's public key.
    public var signer: PublicKey
    /// The signer's sequence number: each nonce is accepted once, in order.
    public var nonce: UInt64
    /// When the signer made it (the signer's clock; block time is authoritative).
    public var time: Timestamp
    public var payload: TransactionPayload

    public init(community: CommunityID, signer: PublicKey, nonce: UInt64, time: Timestamp, payload: TransactionPayload) {
        self.community = community
        self.signer = signer
        self.nonce = nonce
        self.time = time
        self.payload = payload
    }

    public func encode(to w: inout ByteWriter) {
        w.write(community)
        w.write(signer)
        w.writeVarint(nonce)
        w.writeVarint(time)
        w.write(payload)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        // Fields decode into locals and the value is built once: assigning them to
        // `self` one by one copied every transaction an extra time.
        let community = try CommunityID(from: &r)
        let signer = try PublicKey(from: &r)
        let nonce = try r.readVarint()
        let time = try r.readVarint()
        let payload = try TransactionPayload(from: &r)
        self.init(community: community, signer: signer, nonce: nonce, time: time, payload: payload)
    }

    public static var minEncodedSize: Int { CommunityID.minEncodedSize + 32 + 1 + 1 + TransactionPayload.minEncodedSize }

    /// The signed message: the transaction's type and version bytes, then these fields.
    public var signingMessage: [UInt8] { ObjectEnvelope(UnsignedMessage(self)).canonicalBytes() }

    /// The transaction's ID: SHA-256 of `signingMessage`. It does not cover the
    /// signature, so it is the same for every valid signature of the same content.
    public var id: Hash { Hashing.sha256(signingMessage) }

    /// Signs with `key`, which must be the key named in `signer`.
    public func signed(with key: SigningKey) -> Transaction {
        precondition(key.publicKey == signer, "signing key does not match the transaction's signer")
        return Transaction(self, signature: key.sign(signingMessage, domain: .transaction))
    }

    /// Encodes as the transaction type without a signature (only for the signed message).
    struct UnsignedMessage: CanonicalObject {
        let tx: UnsignedTransaction
        init(_ tx: UnsignedTransaction) { self.tx = tx }
        func encode(to w: inout ByteWriter) { tx.encode(to: &w) }
        init(from r: inout ByteReader) throws(CodecError) { tx = try r.read() }
        static var minEncodedSize: Int { UnsignedTransaction.minEncodedSize }
        static var typeTag: UInt8 { Transaction.typeTag }
        static var formatVersion: UInt8 { Transaction.formatVersion }
    }
}

/// A signed governance record (type 0x10).
public struct Transaction: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x10 }
    public static var formatVersion: UInt8 { 1 }

    /// The signed content.
    public var body: UnsignedTransaction { didSet { id = body.id } }
    /// Ed25519 signature of `body.signingMessage` in the transaction domain.
    public var signature: Signature
    /// See `UnsignedTransaction.id`. Computed once, with the body (it encodes
    /// and hashes the signed message; a node asks for it at every step).
    public private(set) var id: Hash

    public init(_ body: UnsignedTransaction, signature: Signature) {
        self.body = body
        self.signature = signature
        id = body.id
    }

    // Equality, hashing and the Codable form cover the body and the signature (the ID follows from the body).
    public static func == (a: Transaction, b: Transaction) -> Bool {
        a.id == b.id && a.signature == b.signature && a.body == b.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(body)
        hasher.combine(signature)
    }

    private enum CodingKeys: String, CodingKey { case body, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try container.decode(UnsignedTransaction.self, forKey: .body), signature: try container.decode(Signature.self, forKey: .signature))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(body, forKey: .body)
        try container.encode(signature, forKey: .signature)
    }

    public var community: CommunityID { body.community }
    public var signer: PublicKey { body.signer }
    public var nonce: UInt64 { body.nonce }
    public var time: Timestamp { body.time }
    public var payload: TransactionPayload { body.payload }
    public var kind: TransactionKind { body.payload.kind }

    /// True if the signature is the signer's over this content.
    public func hasValidSignature(using verifier: SignatureVerifier = .direct) -> Bool {
        verifier.isValid(signature, by: signer, for: body.signingMessage, domain: .transaction)
    }

    public func encode(to w: inout ByteWriter) { w.write(body); w.write(signature) }
    public init(from r: inout ByteReader) throws(CodecError) {
        let body = try UnsignedTransaction(from: &r)
        let signature = try Signature(from: &r)
        self.init(body, signature: signature)
    }
    public static var minEncodedSize: Int { UnsignedTransaction.minEncodedSize + 64 }
}
