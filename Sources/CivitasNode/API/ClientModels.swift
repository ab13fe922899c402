import CivitasGovernance
public import CivitasLedger
import CivitasStorage
import CivitasCodec

// The JSON shapes of the client API (docs/openapi.yaml). Hashes, keys and
// IDs are lower-case hex; times are milliseconds since the Unix epoch.

public struct SubmitBody: Codable, Sendable, Equatable {
    /// accepted, alreadyKnown, pending, committed, rejected, unavailable.
    public var status: String
    public var id: String?
    public var height: UInt64?
    public var index: UInt32?
    public var applied: Bool?
    public var reason: String?
}

public struct ProofBody: Codable, Sendable, Equatable {
    public var leafIndex: UInt64
    public var treeSize: UInt64
    public var path: [String]
    /// The block's transaction root the path leads to.
    public var root: String
}

public struct TransactionStatusBody: Codable, Sendable, Equatable {
    public var id: String
    /// pending or committed.
    public var status: String
    public var height: UInt64?
    public var index: UInt32?
    public var applied: Bool?
    public var reason: String?
    public var blockHash: String?
    public var kind: String?
    public var signer: String?
    public var nonce: UInt64?
    public var proof: ProofBody?
}

public struct SubjectBody: Codable, Sendable, Equatable {
    public var id: String
    public var publicKey: String
    public var displayName: String
    public var unit: String
    public var roles: [String]
    public var active: Bool
    public var registeredHeight: UInt64
    public var updatedHeight: UInt64
    /// The latest nonce this key has used (0 if none).
    public var nonce: UInt64
    /// The nonce its next transaction must carry.
    public var nextNonce: UInt64

    init(_ r: SubjectRecord, nonce: UInt64) {
        id = r.id.raw.hex; publicKey = r.publicKey.raw.hex; displayName = r.displayName; unit = r.unit
        roles = r.roles.roles.map(\.description); active = r.isActive; registeredHeight = r.registeredHeight
        updatedHeight = r.updatedHeight; self.nonce = nonce; nextNonce = nonce &+ 1
    }
}

public struct NoticeBody: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var issuer: String
    public var category: String
    public var title: String
    public var body: String
    public var attachments: [String]
    public var supersedes: String?
    public var supersededBy: String?
    public var chainRoot: String
    public var version: Int
    public var current: Bool
    /// Every version of the notice's chain, first to current (single-notice answers only).
    public var chain: [NoticeBody]?

    init(_ r: NoticeRecord, chain: [NoticeRecord]? = nil) {
        id = r.id.hex; height = r.height; time = r.time; issuer = r.issuer.raw.hex; category = r.category.description
        title = r.title; body = r.body; attachments = r.attachments.map(\.hex); supersedes = r.supersedes?.hex
        supersededBy = r.supersededBy?.hex; chainRoot = r.chainRoot.hex; version = r.version; current = r.isCurrent
        self.chain = chain?.map { NoticeBody($0) }
    }
}

public struct TallyBody: Codable, Sendable, Equatable {
    public var votes: [UInt64]
    public var electorateSize: UInt64
    public var ballotsCast: UInt64
    public var quorumMet: Bool
    public var leadingOption: Int?
    public var outcome: String
}

public struct ProposalBody: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var proposer: String
    public var title: String
    public var description: String
    public var options: [String]
    public var eligibleRoles: [String]
    /// "height" or "time".
    public var closingKind: String
    public var closingValue: UInt64
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    public var endorsements: Int
    public var electorateSize: UInt64
    public var electorateRoot: String
    public var ballotsCast: UInt64
    /// open or closed.
    public var status: String
    public var closedHeight: UInt64?
    public var closedTime: UInt64?
    public var tally: TallyBody?

    init(_ r: ProposalRecord) {
        id = r.id.hex; height = r.height; proposer = r.proposer.raw.hex; title = r.title; description = r.description
        options = r.options; eligibleRoles = r.eligibleRoles.roles.map(\.description)
        (closingKind, closingValue) = r.closing.jsonFields
        quorumBasisPoints = r.quorumBasisPoints; passBasisPoints = r.passBasisPoints; endorsements = r.endorsementCount
        electorateSize = r.electorateSize; electorateRoot = r.electorateRoot.hex; ballotsCast = r.ballotsCast
        status = r.isOpen ? "open" : "closed"; closedHeight = r.closedHeight; closedTime = r.closedTime
        tally = r.tally.map {
            TallyBody(votes: $0.votes, electorateSize: $0.electorateSize, ballotsCast: $0.ballotsCast, quorumMet: $0.quorumMet,
                      leadingOption: $0.leadingOption, outcome: $0.outcome.rawValue)
        }
    }
}

public struct ServiceRequestBody: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var requestedTime: UInt64
    public var requester: String
    public var serviceCode: String
    public var description: String
    public var location: String
    public var deadline: UInt64
    public var status: String
    public var resolution: String?
    public var provider: String?
    public var assignmentCount: Int
    public var firstResponseTime: UInt64?
    public var resolvedTime: UInt64?
    public var closedTime: UInt64?
    public var rating: UInt8?
    public var reopenCount: Int

    init(_ r: ServiceRequestRecord) {
        id = r.id.hex; height = r.height; requestedTime = r.requestedTime; requester = r.requester.raw.hex
        serviceCode = r.serviceCode; description = r.description; location = r.location; deadline = r.deadline
        status = r.status.rawValue; resolution = r.resolution?.rawValue; provider = r.provider?.raw.hex
        assignmentCount = r.assignmentCount; firstResponseTime = r.firstResponseTime; resolvedTime = r.resolvedTime
        closedTime = r.closedTime; rating = r.rating; reopenCount = r.reopenCount
    }
}

public struct ProviderBody: Codable, Sendable, Equatable {
    public var provider: String
    public var assignments: UInt64
    public var responded: UInt64
    public var averageResponseMillis: UInt64?
    public var resolved: UInt64
    public var fixed: UInt64
    public var averageResolveMillis: UInt64?
    public var resolutionRateBasisPoints: UInt64
    public var breaches: UInt64
    public var ratings: UInt64
    public var averageRatingHundredths: UInt64?

    init(_ s: ProviderSupervision) {
        provider = s.provider.raw.hex; assignments = s.assignments; responded = s.responded
        averageResponseMillis = s.averageResponseMillis; resolved = s.resolved; fixed = s.fixed
        averageResolveMillis = s.averageResolveMillis; resolutionRateBasisPoints = s.resolutionRateBasisPoints
        breaches = s.breaches; ratings = s.ratings; averageRatingHundredths = s.averageRatingHundredths
    }
}

public struct VolunteerBody: Codable, Sendable, Equatable {
    public var volunteer: String
    public var records: UInt64
    public var minutes: UInt64
    public var points: UInt64

    init(_ v: VolunteerTotals) {
        volunteer = v.volunteer.raw.hex; records = v.records; minutes = v.minutes; points = v.points
    }
}

public struct BlockBody: Codable, Sendable, Equatable {
    public struct TransactionSummary: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var signer: String
        public var nonce: UInt64
    }
    public struct Vote: Codable, Sendable, Equatable {
        public var validator: UInt32
        public var signature: String
    }
    public var community: String
    public var height: UInt64
    public var hash: String
    public var previous: String
    public var time: UInt64
    public var proposer: UInt32
    public var transactionCount: UInt32
    public var transactionRoot: String
    public var transactions: [TransactionSummary]
    public var votes: [Vote]

    init(_ s: SealedBlock) {
        let h = s.header
        community = h.community.name; height = h.height; hash = h.hash.hex; previous = h.previous.hex; time = h.time
        proposer = h.proposer; transactionCount = h.transactionCount; transactionRoot = h.transactionRoot.hex
        transactions = s.block.transactions.map {
            TransactionSummary(id: $0.id.hex, kind: $0.kind.description, signer: $0.signer.raw.hex, nonce: $0.nonce)
        }
        votes = s.certificate.votes.map { Vote(validator: $0.validator, signature: $0.signature.hex) }
    }
}

public struct CheckpointBody: Codable, Sendable, Equatable {
    public var community: String
    public var height: UInt64
    public var headerHash: String
    public var genesisHash: String
    /// own or received.
    public var source: String
    public var recordedHeight: UInt64
    /// A received checkpoint's commit certificate (its canonical encoding, hex), so anyone can check it.
    public var certificate: String?

    init(_ c: CheckpointRecord) {
        community = c.community.name; height = c.height; headerHash = c.headerHash.hex; genesisHash = c.genesisHash.hex
        source = c.isOwn ? "own" : "received"; recordedHeight = c.recordedHeight; certificate = c.certificate.map(Hex.encode)
    }

    /// The checkpoint, if this is a received one with its certificate.
    public var checkpoint: Checkpoint? {
        guard source == "received", let community = CommunityID(community), let chain = Hash(hex: genesisHash),
              let hex = certificate, let bytes = Hex.decode(hex), let certificate = try? CommitCertificate(encoded: bytes),
              certificate.height == height, certificate.headerHash.hex == headerHash else { return nil }
        return Checkpoint(community: community, genesisHash: chain, certificate: certificate)
    }
}

/// A referral this community made to another.
public struct ReferralBody: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var referrer: String
    public var toCommunity: String
    /// "request" or "resource".
    public var kind: String
    /// The transaction it is about, and its kind if that was applied here.
    public var reference: String?
    public var referenceKind: String?
    public var summary: String
    /// "referred", "delivered" (the neighbour recorded receiving it) or "answered".
    public var status: String
    /// The neighbour's receipt and answer, as recorded here.
    public var delivered: ReferralStepBody?
    public var answer: ReferralAnswerBody?

    init(_ r: ReferralEntry) {
        id = r.id.hex; height = r.height; time = r.time; referrer = r.referrer.description; toCommunity = r.toCommunity.name
        kind = r.kind == .request ? "request" : "resource"; reference = r.reference?.hex
        referenceKind = r.referenceKind?.description; summary = r.summary; status = r.status
        delivered = r.delivered.map(ReferralStepBody.init)
        answer = r.answer.map { ReferralAnswerBody($0, step: r.answered) }
    }
}

/// Where a neighbour's record of a referral is on its chain, and where this chain recorded it.
public struct ReferralStepBody: Codable, Sendable, Equatable {
    public var theirHeight: UInt64
    public var theirTransaction: String
    public var recordedHeight: UInt64
    public var recordedTime: UInt64
    public var relayTransaction: String

    init(_ s: ReferralStep) {
        theirHeight = s.theirHeight; theirTransaction = s.theirTransaction.hex; recordedHeight = s.recordedHeight
        recordedTime = s.recordedTime; relayTransaction = s.transaction.hex
    }
}

/// The receiving community's answer to a referral.
public struct ReferralAnswerBody: Codable, Sendable, Equatable {
    public var accepted: Bool
    public var note: String
    public var answerer: String
    /// On the referring side: where the answer is on the neighbour's chain and where it was recorded here.
    public var step: ReferralStepBody?
    /// On the receiving side: the answer's height, time and transaction here.
    public var height: UInt64?
    public var time: UInt64?
    public var transaction: String?

    init(_ a: ReferralReply, step: ReferralStep?) {
        accepted = a.accepted; note = a.note; answerer = a.answerer.description; self.step = step.map(ReferralStepBody.init)
    }

    init(_ a: ReferralReply, height: UInt64?, time: UInt64?, transaction: Hash?) {
        accepted = a.accepted; note = a.note; answerer = a.answerer.description
        self.height = height; self.time = time; self.transaction = transaction?.hex
    }
}

/// A neighbour's referral to this community.
public struct IncomingReferralBody: Codable, Sendable, Equatable {
    /// The referral's transaction ID on the referring chain.
    public var id: String
    public var fromCommunity: String
    public var theirHeight: UInt64
    public var theirTime: UInt64
    public var referrer: String
    public var kind: String
    public var reference: String?
    public var summary: String
    /// "received" or "answered".
    public var status: String
    /// The receipt: where this chain recorded it.
    public var recordedHeight: UInt64
    public var recordedTime: UInt64
    public var receiptTransaction: String
    public var answer: ReferralAnswerBody?

    init(_ r: IncomingReferralEntry) {
        id = r.id.hex; fromCommunity = r.fromCommunity.name; theirHeight = r.theirHeight; theirTime = r.theirTime
        referrer = r.referrer.description; kind = r.kind == .request ? "request" : "resource"; reference = r.reference?.hex
        summary = r.summary; status = r.status; recordedHeight = r.recordedHeight; recordedTime = r.recordedTime
        receiptTransaction = r.transaction.hex
        answer = r.answer.map { ReferralAnswerBody($0, height: r.answerHeight, time: r.answerTime, transaction: r.answerTransaction) }
    }
}

/// A list answer: `{"items": […]}` so fields can be added beside it later.
public struct ListBody<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var items: [Item]
}

extension ClosingRule {
    /// How the JSON answers write a closing rule: its kind ("height" or "time") and its value.
    var jsonFields: (kind: String, value: UInt64) {
        switch self {
        case let .height(h): ("height", h)
        case let .time(t): ("time", t)
        }
    }
}
