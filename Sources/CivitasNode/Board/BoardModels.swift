import CivitasCodec
import CivitasLedger
import CivitasStorage

// The JSON shapes of the board's read routes (`/v1/board/…`, docs/board.md).
// Unlike `/v1/…`, every person or office comes with its name and unit, so the
// page never shows hex. IDs are still there, for actions and links.

/// A subject as the board shows it.
public struct BoardPerson: Codable, Sendable, Equatable {
    public var id: String
    public var publicKey: String?
    /// nil only for an ID no registration names (the page then says "unregistered").
    public var name: String?
    public var unit: String?
    public var roles: [String]
    public var active: Bool

    init(_ id: SubjectID, _ record: SubjectRecord?) {
        self.id = id.raw.hex
        publicKey = record?.publicKey.raw.hex
        name = record?.displayName
        unit = record?.unit
        roles = record?.roles.roles.map(\.description) ?? []
        active = record?.isActive ?? false
    }
}

/// Names for the subject IDs one answer mentions, looked up once.
struct NameBook {
    private var records: [SubjectID: SubjectRecord]

    init(_ ids: some Sequence<SubjectID>, state: StateDatabase) throws(StorageError) {
        records = try state.subjects(ids: Set(ids))
    }

    func person(_ id: SubjectID) -> BoardPerson { BoardPerson(id, records[id]) }
    func person(_ id: SubjectID?) -> BoardPerson? { id.map { person($0) } }
}

public struct BoardNotice: Codable, Sendable, Equatable {
    /// One version of the notice's correction trail.
    public struct Version: Codable, Sendable, Equatable {
        public var id: String
        public var height: UInt64
        public var time: UInt64
        public var title: String
        public var body: String
        public var version: Int
    }
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var category: String
    public var title: String
    public var body: String
    public var issuer: BoardPerson
    public var version: Int
    public var supersedes: String?
    public var attachments: [String]
    /// Every version, first to current (the current one last).
    public var trail: [Version]

    init(_ r: NoticeRecord, chain: [NoticeRecord], names: NameBook) {
        id = r.id.hex; height = r.height; time = r.time; category = r.category.description; title = r.title; body = r.body
        issuer = names.person(r.issuer); version = r.version; supersedes = r.supersedes?.hex; attachments = r.attachments.map(\.hex)
        trail = chain.map { Version(id: $0.id.hex, height: $0.height, time: $0.time, title: $0.title, body: $0.body, version: $0.version) }
    }
}

public struct BoardProposal: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var proposer: BoardPerson
    public var title: String
    public var description: String
    public var options: [String]
    public var eligibleRoles: [String]
    /// "height" or "time" (milliseconds since the epoch).
    public var closingKind: String
    public var closingValue: UInt64
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    public var endorsements: Int
    public var electorateSize: UInt64
    public var ballotsCast: UInt64
    /// Counted ballots per option: live while open, the recorded tally once closed.
    public var votes: [UInt64]
    /// open or closed.
    public var status: String
    public var closedHeight: UInt64?
    public var closedTime: UInt64?
    /// passed, noQuorum, belowThreshold or tie, once closed.
    public var outcome: String?
    public var quorumMet: Bool?

    init(_ r: ProposalRecord, liveVotes: [UInt64], names: NameBook) {
        id = r.id.hex; height = r.height; proposer = names.person(r.proposer); title = r.title; description = r.description
        options = r.options; eligibleRoles = r.eligibleRoles.roles.map(\.description)
        switch r.closing {
        case let .height(h): closingKind = "height"; closingValue = h
        case let .time(t): closingKind = "time"; closingValue = t
        }
        quorumBasisPoints = r.quorumBasisPoints; passBasisPoints = r.passBasisPoints; endorsements = r.endorsementCount
        electorateSize = r.electorateSize; ballotsCast = r.tally?.ballotsCast ?? r.ballotsCast
        votes = r.tally?.votes ?? liveVotes
        status = r.isOpen ? "open" : "closed"; closedHeight = r.closedHeight; closedTime = r.closedTime
        outcome = r.tally?.outcome.rawValue; quorumMet = r.tally?.quorumMet
    }
}

public struct BoardServiceEvent: Codable, Sendable, Equatable {
    public var transaction: String
    public var height: UInt64
    public var time: UInt64
    /// request, assignment, response or closure.
    public var kind: String
    public var actor: BoardPerson
    public var status: String
    public var note: String
    public var rating: UInt8?
    /// An assignment's provider.
    public var provider: BoardPerson?

    init(_ e: ServiceEventRecord, names: NameBook) {
        transaction = e.transaction.hex; height = e.height; time = e.time; kind = e.kind; actor = names.person(e.actor)
        status = e.status; note = e.note; rating = e.rating; provider = names.person(e.provider)
    }
}

public struct BoardServiceRequest: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var requestedTime: UInt64
    public var requester: BoardPerson
    public var serviceCode: String
    public var description: String
    public var location: String
    public var deadline: UInt64
    /// True once the deadline passed without a first response (by the head's block time), or the first response came late.
    public var breached: Bool
    public var status: String
    public var resolution: String?
    public var provider: BoardPerson?
    public var firstResponseTime: UInt64?
    public var resolvedTime: UInt64?
    public var closedTime: UInt64?
    public var rating: UInt8?
    public var reopenCount: Int
    /// From request to rated closure, in chain order.
    public var timeline: [BoardServiceEvent]

    init(_ r: ServiceRequestRecord, events: [ServiceEventRecord], headTime: UInt64, names: NameBook) {
        id = r.id.hex; height = r.height; requestedTime = r.requestedTime; requester = names.person(r.requester)
        serviceCode = r.serviceCode; description = r.description; location = r.location; deadline = r.deadline
        breached = (r.firstResponseTime ?? headTime) > r.deadline
        status = r.status.rawValue; resolution = r.resolution?.rawValue; provider = names.person(r.provider)
        firstResponseTime = r.firstResponseTime; resolvedTime = r.resolvedTime; closedTime = r.closedTime; rating = r.rating
        reopenCount = r.reopenCount; timeline = events.map { BoardServiceEvent($0, names: names) }
    }
}

public struct BoardProvider: Codable, Sendable, Equatable {
    public var provider: BoardPerson
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

    init(_ s: ProviderSupervision, names: NameBook) {
        provider = names.person(s.provider); assignments = s.assignments; responded = s.responded
        averageResponseMillis = s.averageResponseMillis; resolved = s.resolved; fixed = s.fixed
        averageResolveMillis = s.averageResolveMillis; resolutionRateBasisPoints = s.resolutionRateBasisPoints
        breaches = s.breaches; ratings = s.ratings; averageRatingHundredths = s.averageRatingHundredths
    }
}

public struct BoardVolunteer: Codable, Sendable, Equatable {
    public var volunteer: BoardPerson
    public var records: UInt64
    public var minutes: UInt64
    public var points: UInt64

    init(_ v: VolunteerTotals, names: NameBook) {
        volunteer = names.person(v.volunteer); records = v.records; minutes = v.minutes; points = v.points
    }
}

public struct BoardBlock: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var signer: BoardPerson
        public var applied: Bool
        public var reason: String?
    }
    public var height: UInt64
    public var hash: String
    public var time: UInt64
    public var transactionCount: Int
    public var rejectedCount: Int
    public var transactions: [Entry]

    init(_ b: BlockRecord, transactions: [TransactionRecord], names: NameBook) {
        height = b.height; hash = b.hash.hex; time = b.time; transactionCount = b.transactionCount; rejectedCount = b.rejectedCount
        self.transactions = transactions.map {
            Entry(id: $0.id.hex, kind: $0.kind.description, signer: names.person($0.signer.subjectID), applied: $0.isApplied,
                  reason: $0.rejectionReason)
        }
    }
}

/// Everything the page needs to check one transaction itself: its bytes, the
/// block header's fields (the page hashes them), the inclusion proof and the
/// certificate's votes.
public struct BoardVerification: Codable, Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var community: String
        public var height: UInt64
        public var previous: String
        public var time: UInt64
        public var proposer: UInt32
        public var transactionCount: UInt32
        public var transactionRoot: String
    }
    public struct Proof: Codable, Sendable, Equatable {
        public var leafIndex: UInt64
        public var treeSize: UInt64
        public var path: [String]
    }
    public struct Certificate: Codable, Sendable, Equatable {
        public var height: UInt64
        public var headerHash: String
        public var votes: [BlockBody.Vote]
    }
    public var id: String
    /// The transaction's whole encoding, hex.
    public var transaction: String
    public var height: UInt64
    public var index: UInt32
    public var applied: Bool
    public var reason: String?
    public var header: Header
    public var proof: Proof
    public var certificate: Certificate

    init(block: SealedBlock, index: Int, applied: Bool, reason: String?) {
        let tx = block.block.transactions[index]
        let h = block.header
        id = tx.id.hex
        transaction = Hex.encode(tx.encoded())
        height = h.height
        self.index = UInt32(index)
        self.applied = applied
        self.reason = reason
        header = Header(community: h.community.name, height: h.height, previous: h.previous.hex, time: h.time, proposer: h.proposer,
                        transactionCount: h.transactionCount, transactionRoot: h.transactionRoot.hex)
        let p = block.block.inclusionProof(index: index)
        proof = Proof(leafIndex: p.leafIndex, treeSize: p.treeSize, path: p.path.map(\.hex))
        certificate = Certificate(height: block.certificate.height, headerHash: block.certificate.headerHash.hex,
                                  votes: block.certificate.votes.map { BlockBody.Vote(validator: $0.validator, signature: $0.signature.hex) })
    }
}

/// The trust anchor the page pins: the genesis document's bytes (it hashes and decodes them itself).
public struct BoardGenesis: Codable, Sendable, Equatable {
    public struct ServiceCode: Codable, Sendable, Equatable {
        public var code: String
        public var seconds: UInt64
    }
    public var hash: String
    public var document: String
    public var community: String
    /// The service codes with their own response deadlines, and the default deadline.
    public var serviceCodes: [ServiceCode]
    public var defaultDeadlineSeconds: UInt64
    public var proposalEndorsements: UInt32
    public var pointsPerHour: UInt32

    init(_ g: GenesisDocument) {
        hash = g.hash.hex
        document = Hex.encode(g.encoded())
        community = g.community.name
        serviceCodes = g.parameters.responseDeadlines.map { ServiceCode(code: $0.serviceCode, seconds: $0.seconds) }
        defaultDeadlineSeconds = g.parameters.defaultResponseDeadline
        proposalEndorsements = g.parameters.proposalEndorsements
        pointsPerHour = g.parameters.pointsPerHour
    }
}

/// What `/v1/board/events` sends as `event: block` each time a block is applied.
public struct BoardHeadEvent: Codable, Sendable, Equatable {
    public var height: UInt64
    public var hash: String
    public var time: UInt64
}
