import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasStorage

// The JSON shapes of the board's read routes (`/v1/board/…`, docs/board.md):
// each record as the `/v1/…` routes give it, with every person or office it
// names beside it by name and unit, so the page never shows hex.

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

/// A notice as `/v1/notices/{id}` gives it (with its whole correction chain), and its issuer by name.
public struct BoardNotice: Codable, Sendable, Equatable {
    public var notice: NoticeBody
    public var issuer: BoardPerson

    init(_ r: NoticeRecord, chain: [NoticeRecord], names: NameBook) {
        notice = NoticeBody(r, chain: chain)
        issuer = names.person(r.issuer)
    }
}

/// A proposal as `/v1/proposals/{id}` gives it, its proposer and endorsers by name, and the counted ballots per option:
/// live while it is open, the recorded tally once it is closed.
public struct BoardProposal: Codable, Sendable, Equatable {
    public var proposal: ProposalBody
    public var proposer: BoardPerson
    /// The residents who endorsed it (a resident's proposal).
    public var endorsers: [BoardPerson]
    public var votes: [UInt64]

    init(_ r: ProposalRecord, endorsers: [PublicKey], liveVotes: [UInt64], names: NameBook) {
        proposal = ProposalBody(r)
        proposer = names.person(r.proposer)
        self.endorsers = endorsers.map { names.person($0.subjectID) }
        votes = r.tally?.votes ?? liveVotes
    }
}

/// One step of a request's timeline, with its actor (and an assignment's provider) by name.
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

/// A service request as `/v1/service-requests/{id}` gives it, its requester and provider by name,
/// whether its deadline was breached, and its timeline from request to rated closure.
public struct BoardServiceRequest: Codable, Sendable, Equatable {
    public var request: ServiceRequestBody
    public var requester: BoardPerson
    public var provider: BoardPerson?
    /// True once the deadline passed without a first response (by the head's block time), or the first response came late.
    public var breached: Bool
    /// In chain order.
    public var timeline: [BoardServiceEvent]

    init(_ r: ServiceRequestRecord, events: [ServiceEventRecord], headTime: UInt64, names: NameBook) {
        request = ServiceRequestBody(r)
        requester = names.person(r.requester)
        provider = names.person(r.provider)
        breached = (r.firstResponseTime ?? headTime) > r.deadline
        timeline = events.map { BoardServiceEvent($0, names: names) }
    }
}

/// A provider's supervision figures as `/v1/providers` gives them, and the provider by name.
public struct BoardProvider: Codable, Sendable, Equatable {
    public var figures: ProviderBody
    public var provider: BoardPerson

    init(_ s: ProviderSupervision, names: NameBook) {
        figures = ProviderBody(s)
        provider = names.person(s.provider)
    }
}

/// A volunteer's totals as `/v1/volunteers` gives them, the volunteer by name,
/// and the points spent on rewards and left.
public struct BoardVolunteer: Codable, Sendable, Equatable {
    public var totals: VolunteerBody
    public var volunteer: BoardPerson
    public var spent: UInt64
    /// Points earned less points spent.
    public var balance: UInt64

    init(_ v: VolunteerTotals, spent: UInt64, names: NameBook) {
        totals = VolunteerBody(v)
        volunteer = names.person(v.volunteer)
        self.spent = spent
        balance = v.points > spent ? v.points - spent : 0
    }
}

/// A resident's draft proposal gathering endorsements, its proposer and endorsers by name.
public struct BoardDraft: Codable, Sendable, Equatable {
    public struct Endorsing: Codable, Sendable, Equatable {
        public var endorser: BoardPerson
        public var transaction: String
        public var height: UInt64
    }
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var proposer: BoardPerson
    public var title: String
    public var description: String
    public var options: [String]
    public var eligibleRoles: [String]
    /// "height" or "time", as for proposals.
    public var closingKind: String
    public var closingValue: UInt64
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    /// In chain order.
    public var endorsements: [Endorsing]
    /// Endorsements the community requires (the genesis document's).
    public var needed: Int

    init(_ d: DraftEntry, endorsements: [EndorsementEntry], needed: Int, names: NameBook) {
        let t = d.terms
        id = d.id.hex; height = d.height; time = d.time; proposer = names.person(d.proposer); title = t.title
        description = t.description; options = t.options; eligibleRoles = t.eligibleRoles.roles.map(\.description)
        (closingKind, closingValue) = t.closing.jsonFields
        quorumBasisPoints = t.quorumBasisPoints; passBasisPoints = t.passBasisPoints
        self.endorsements = endorsements.map {
            Endorsing(endorser: names.person($0.endorser), transaction: $0.transaction.hex, height: $0.height)
        }
        self.needed = needed
    }
}

/// A reward on offer, its publisher by name, and the items left.
public struct BoardReward: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var publisher: BoardPerson
    public var title: String
    public var description: String
    public var price: UInt32
    public var quantity: UInt32
    public var redeemed: UInt64
    public var remaining: UInt64

    init(_ o: RewardOfferEntry, names: NameBook) {
        id = o.id.hex; height = o.height; time = o.time; publisher = names.person(o.publisher); title = o.title
        description = o.description; price = o.price; quantity = o.quantity; redeemed = o.redeemed
        remaining = UInt64(o.quantity) > o.redeemed ? UInt64(o.quantity) - o.redeemed : 0
    }
}

/// An item of a reward taken for points: both sides by name.
public struct BoardRedemption: Codable, Sendable, Equatable {
    public var id: String
    public var height: UInt64
    public var time: UInt64
    public var offer: String
    public var title: String
    public var points: UInt64
    public var redeemer: BoardPerson
    public var publisher: BoardPerson

    init(_ r: RedemptionEntry, title: String, names: NameBook) {
        id = r.id.hex; height = r.height; time = r.time; offer = r.offer.hex; self.title = title; points = r.points
        redeemer = names.person(r.redeemer); publisher = names.person(r.publisher)
    }
}

/// The points supply, each figure summed on its own by the node, so anyone
/// can see that the points outstanding are the points issued less those redeemed.
public struct BoardPoints: Codable, Sendable, Equatable {
    /// A subject's own figures (with `?subject=`).
    public struct Holder: Codable, Sendable, Equatable {
        public var subject: BoardPerson
        public var earned: UInt64
        public var spent: UInt64
        public var balance: UInt64
    }
    public var issued: UInt64
    public var redeemed: UInt64
    /// issued − redeemed.
    public var outstanding: UInt64
    /// The sum of every subject's balance, summed separately.
    public var balances: UInt64
    /// True when `balances` equals `outstanding`.
    public var addsUp: Bool
    public var holders: Int
    public var subject: Holder?

    init(_ s: PointsSupply, subject: Holder?) {
        issued = s.issued; redeemed = s.redeemed; outstanding = s.issued > s.redeemed ? s.issued - s.redeemed : 0
        balances = s.balances; addsUp = s.balances == outstanding && s.issued >= s.redeemed; holders = s.holders
        self.subject = subject
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
