public import CivitasCodec
public import CivitasLedger

/// The last applied block, as far as the rules and the mempool need it.
public struct GovernanceHead: Hashable, Sendable {
    public var height: UInt64
    public var time: Timestamp
    public init(height: UInt64, time: Timestamp) {
        self.height = height
        self.time = time
    }
}

/// What the transition reads of a notice (not its text).
public struct GovernanceNotice: Hashable, Sendable {
    public var author: SubjectID
    public var category: Notice.Category
    /// The notice that corrected this one, if any.
    public var supersededBy: Hash?
    /// The first version of its correction chain, and this one's place in it.
    public var chainRoot: Hash
    public var version: Int
    public init(author: SubjectID, category: Notice.Category, supersededBy: Hash?, chainRoot: Hash, version: Int) {
        self.author = author
        self.category = category
        self.supersededBy = supersededBy
        self.chainRoot = chainRoot
        self.version = version
    }
}

/// What the transition reads of a proposal (not its text or electorate).
public struct GovernanceProposal: Hashable, Sendable {
    public var id: Hash
    /// Where it was opened: proposals close in this order.
    public var height: UInt64
    public var index: Int
    public var isOpen: Bool
    /// The height of the block that closed it (nil while open).
    public var closedHeight: UInt64?
    public var optionCount: Int
    /// Clamped, as the state holds it.
    public var closing: ClosingRule
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    public var electorateSize: Int
    public init(id: Hash, height: UInt64, index: Int, isOpen: Bool, closedHeight: UInt64?, optionCount: Int,
                closing: ClosingRule, quorumBasisPoints: UInt32, passBasisPoints: UInt32, electorateSize: Int) {
        self.id = id
        self.height = height
        self.index = index
        self.isOpen = isOpen
        self.closedHeight = closedHeight
        self.optionCount = optionCount
        self.closing = closing
        self.quorumBasisPoints = quorumBasisPoints
        self.passBasisPoints = passBasisPoints
        self.electorateSize = electorateSize
    }
}

/// The read view of a committed state that the rules and the transition
/// decide on. Two implementations: the in-memory `GovernanceState`
/// (`Failure == Never`) and the state database's SQL reader (CivitasStorage).
/// Each lookup only finds what the store's changes recorded; what to make of
/// it is decided by the transition, never by a reader.
public protocol GovernanceReader {
    associatedtype Failure: Error
    /// The subject with ID `id`, active or revoked; nil if never registered.
    func subject(_ id: SubjectID) throws(Failure) -> SubjectEntry?
    /// Every subject whose roles include one of `roles` (in any order): the
    /// candidates for an electorate, which the transition filters.
    func subjects(holdingAnyOf roles: RoleSet) throws(Failure) -> [SubjectEntry]
    /// The applied notice with transaction ID `id`.
    func notice(_ id: Hash) throws(Failure) -> GovernanceNotice?
    /// The applied proposal with transaction ID `id`.
    func proposal(_ id: Hash) throws(Failure) -> GovernanceProposal?
    /// Every open proposal (in any order).
    func openProposals() throws(Failure) -> [GovernanceProposal]
    /// True if `subject` is in the electorate fixed when `proposal` was opened.
    func isInElectorate(_ subject: SubjectID, proposal: Hash) throws(Failure) -> Bool
    /// `voter`'s counted ballot on `proposal`.
    func ballot(proposal: Hash, voter: SubjectID) throws(Failure) -> BallotEntry?
    /// The choice of every counted ballot on `proposal` (in any order).
    func ballotChoices(proposal: Hash) throws(Failure) -> [UInt32]
    /// The applied service request with transaction ID `id`.
    func serviceRequest(_ id: Hash) throws(Failure) -> ServiceRequestEntry?
    /// Assignment number `seq` (1, 2, …) of `request`.
    func assignment(request: Hash, seq: Int) throws(Failure) -> AssignmentEntry?
    /// A volunteer's totals; nil before the first record.
    func volunteerTotals(_ volunteer: SubjectID) throws(Failure) -> VolunteerTotals?
    /// The draft proposal with transaction ID `id` (a draft, or opened).
    func draft(_ id: Hash) throws(Failure) -> DraftEntry?
    /// Every endorsement of draft `draft` (in any order).
    func endorsements(draft: Hash) throws(Failure) -> [EndorsementEntry]
    /// The reward offer with transaction ID `id`.
    func rewardOffer(_ id: Hash) throws(Failure) -> RewardOfferEntry?
    /// The points `subject` has spent; nil before its first redemption.
    func redeemedTotals(_ subject: SubjectID) throws(Failure) -> RedeemedTotals?
    /// True if a checkpoint with this community, height and header hash is recorded.
    func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) throws(Failure) -> Bool
    /// The checkpoint of `community`'s chain `genesisHash` anchored first at
    /// `height` (the lowest recorded height and index); nil if none.
    func anchoredCheckpoint(community: CommunityID, genesisHash: Hash, height: UInt64) throws(Failure) -> CheckpointEntry?
    /// True if tamper evidence of `community` at `height` against header `headerHash` is recorded.
    func hasTamperEvidence(community: CommunityID, height: UInt64, headerHash: Hash) throws(Failure) -> Bool
    /// The federation document adopted last (the highest sequence); nil before the first adoption.
    func adoptedFederation() throws(Failure) -> FederationAdoptionEntry?
    /// The referral this community made with transaction ID `id`.
    func referral(_ id: Hash) throws(Failure) -> ReferralEntry?
    /// The neighbour's referral to this community with transaction ID `id` (on the referring chain).
    func incomingReferral(_ id: Hash) throws(Failure) -> IncomingReferralEntry?
    /// The kind of the applied transaction `id`; nil if none was applied.
    func appliedKind(of transaction: Hash) throws(Failure) -> TransactionKind?
    /// The signer's last consumed nonce (0 if none).
    func latestNonce(of signer: PublicKey) throws(Failure) -> UInt64
    /// The last applied block's height and time (genesis: 0 and the genesis time).
    func currentHead() throws(Failure) -> GovernanceHead
    /// Checks the signatures the rules verify (endorsements, neighbours'
    /// certificates): `.direct` unless a simulation shares a cache among its nodes.
    var signatureVerifier: SignatureVerifier { get }
}

extension GovernanceReader {
    public var signatureVerifier: SignatureVerifier { .direct }
}

/// A state the transition's changes are written to: a read view that shows
/// every change applied so far, and a writer that records a change and
/// decides nothing.
public protocol GovernanceStore {
    associatedtype Reader: GovernanceReader
    /// The state as it stands after every change applied so far.
    var reader: Reader { get }
    /// Records `change`.
    mutating func apply(_ change: StateChange) throws(Reader.Failure)
}
