public import CivitasCodec
public import CivitasLedger

/// The governance state in memory, as the simulator's nodes keep it: the
/// same entries as the state database (CivitasStorage), in dictionaries.
/// `apply(_ block:)` runs `GovernanceTransition.applyBlock` on it;
/// `apply(_ change:)` records a change and decides nothing. Pure and
/// deterministic: the same blocks give the same state, `snapshot` and
/// `digest` on every node — and the same as a state database's.
public struct GovernanceState: GovernanceReader, GovernanceStore, Sendable {
    public typealias Failure = Never

    /// Where a checkpoint is filed (the checkpoints table's key).
    public struct CheckpointKey: Hashable, Sendable {
        public var community: CommunityID
        public var height: UInt64
        public var headerHash: Hash
    }

    public let genesis: GenesisDocument
    /// Checks the signatures the rules verify (`GovernanceReader.signatureVerifier`).
    public var signatureVerifier: SignatureVerifier = .direct
    public private(set) var head: HeadEntry
    public private(set) var nonces: [PublicKey: NonceEntry] = [:]
    public private(set) var subjects: [SubjectID: SubjectEntry] = [:]
    public private(set) var notices: [Hash: NoticeEntry] = [:]
    public private(set) var proposals: [Hash: ProposalEntry] = [:]
    /// Counted ballots by proposal, then voter.
    public private(set) var ballots: [Hash: [SubjectID: BallotEntry]] = [:]
    public private(set) var tallies: [Hash: TallyEntry] = [:]
    public private(set) var serviceRequests: [Hash: ServiceRequestEntry] = [:]
    /// Assignments by request, in sequence order (`seq` n at index n - 1).
    public private(set) var assignments: [Hash: [AssignmentEntry]] = [:]
    /// Timelines by request, in block order.
    public private(set) var serviceEvents: [Hash: [ServiceEventEntry]] = [:]
    public private(set) var volunteerRecords: [Hash: VolunteerEntry] = [:]
    public private(set) var volunteers: [SubjectID: VolunteerTotals] = [:]
    public private(set) var checkpoints: [CheckpointKey: CheckpointEntry] = [:]
    /// Tamper evidence by community, height and the conflicting header's hash.
    public private(set) var tamperEvidence: [CheckpointKey: TamperEvidenceEntry] = [:]
    /// Adopted federation documents by sequence (the highest is the current one).
    public private(set) var federationAdoptions: [UInt64: FederationAdoptionEntry] = [:]
    public private(set) var referrals: [Hash: ReferralEntry] = [:]
    public private(set) var incomingReferrals: [Hash: IncomingReferralEntry] = [:]
    public private(set) var drafts: [Hash: DraftEntry] = [:]
    /// Endorsements by draft, then endorser.
    public private(set) var endorsements: [Hash: [SubjectID: EndorsementEntry]] = [:]
    public private(set) var rewardOffers: [Hash: RewardOfferEntry] = [:]
    public private(set) var redemptions: [Hash: RedemptionEntry] = [:]
    public private(set) var redeemed: [SubjectID: RedeemedTotals] = [:]
    public private(set) var appliedTransactions: [Hash: AppliedTransaction] = [:]

    /// Indexes over the entries above, kept as the changes arrive.
    private var openIDs: Set<Hash> = []
    private var electorates: [Hash: Set<SubjectID>] = [:]
    /// The checkpoint anchored first at each height of each chain.
    private var anchors: [AnchorKey: CheckpointKey] = [:]
    private var currentFederation: UInt64?

    private struct AnchorKey: Hashable, Sendable {
        var community: CommunityID
        var genesisHash: Hash
        var height: UInt64
    }

    /// The state at height 0: the genesis subjects registered.
    public init(genesis: GenesisDocument) {
        self.genesis = genesis
        head = HeadEntry(height: 0, hash: genesis.hash, time: StateInteger.clamp(genesis.time), appliedTransactions: 0,
                         rejectedTransactions: 0)
        for change in GovernanceTransition.genesis(genesis) { apply(change) }
    }

    // MARK: - Applying

    /// Applies `block` if it is the next one (this community, height + 1,
    /// `previous` = the head's hash); nil, changing nothing, otherwise.
    /// Signatures and certificates are the caller's to check.
    public mutating func apply(_ block: Block) -> GovernanceBlockResult? {
        let header = block.header
        guard header.community == genesis.community, header.height == head.height &+ 1, header.previous == head.hash else {
            return nil
        }
        let genesis = self.genesis
        return GovernanceTransition.applyBlock(block, genesis: genesis, to: &self)
    }

    public var reader: GovernanceState { self }

    /// Records `change` in the dictionaries.
    public mutating func apply(_ change: StateChange) {
        switch change {
        case let .nonceConsumed(n):
            nonces[n.signer] = n
        case let .subjectRecorded(s):
            subjects[s.id] = s
        case let .noticePublished(n):
            notices[n.id] = n
        case let .noticeSuperseded(notice, by):
            notices[notice]?.supersededBy = by
        case let .proposalOpened(p):
            proposals[p.id] = p
            electorates[p.id] = Set(p.electorate)
            if p.isOpen { openIDs.insert(p.id) }
        case let .ballotCounted(b):
            ballots[b.proposal, default: [:]][b.voter] = b
        case let .proposalClosed(t):
            tallies[t.proposal] = t
            proposals[t.proposal]?.isOpen = false
            proposals[t.proposal]?.closedHeight = t.closedHeight
            openIDs.remove(t.proposal)
        case let .serviceRequestRecorded(r):
            serviceRequests[r.id] = r
        case let .assignmentRecorded(a):
            var list = assignments[a.request, default: []]
            if a.seq <= list.count { list[a.seq - 1] = a } else { list.append(a) }
            assignments[a.request] = list
        case let .serviceEventRecorded(e):
            serviceEvents[e.request, default: []].append(e)
        case let .volunteerHoursRecorded(record, totals):
            volunteerRecords[record.id] = record
            volunteers[totals.volunteer] = totals
        case let .checkpointRecorded(c):
            let key = CheckpointKey(community: c.community, height: c.height, headerHash: c.headerHash)
            checkpoints[key] = c
            let anchor = AnchorKey(community: c.community, genesisHash: c.genesisHash, height: c.height)
            if anchors[anchor] == nil { anchors[anchor] = key }
        case let .tamperEvidenceRecorded(e):
            tamperEvidence[CheckpointKey(community: e.community, height: e.height, headerHash: e.conflictingHeaderHash)] = e
        case let .federationAdopted(a):
            federationAdoptions[a.sequence] = a
            currentFederation = max(currentFederation ?? a.sequence, a.sequence)
        case let .referralRecorded(r):
            referrals[r.id] = r
        case let .incomingReferralRecorded(r):
            incomingReferrals[r.id] = r
        case let .draftRecorded(d):
            drafts[d.id] = d
        case let .draftEndorsed(e):
            endorsements[e.draft, default: [:]][e.endorser] = e
        case let .rewardOfferRecorded(o):
            rewardOffers[o.id] = o
        case let .pointsRedeemed(redemption, offer, totals):
            redemptions[redemption.id] = redemption
            rewardOffers[offer.id] = offer
            redeemed[totals.subject] = totals
        case let .transactionRecorded(t):
            if t.isApplied {
                appliedTransactions[t.id] = AppliedTransaction(id: t.id, kind: t.kind, height: t.height, index: t.index)
                head.appliedTransactions += 1
            } else {
                head.rejectedTransactions += 1
            }
        case let .blockRecorded(b):
            head.height = b.height
            head.hash = b.hash
            head.time = b.time
        }
    }

    // MARK: - GovernanceReader

    public func subject(_ id: SubjectID) -> SubjectEntry? { subjects[id] }

    public func subjects(holdingAnyOf roles: RoleSet) -> [SubjectEntry] {
        subjects.values.filter { $0.roles.mask & roles.mask != 0 }
    }

    public func notice(_ id: Hash) -> GovernanceNotice? {
        notices[id].map { GovernanceNotice(author: $0.issuer, category: $0.category, supersededBy: $0.supersededBy,
                                           chainRoot: $0.chainRoot, version: $0.version) }
    }

    public func proposal(_ id: Hash) -> GovernanceProposal? {
        proposals[id].map { p in
            GovernanceProposal(id: p.id, height: p.height, index: p.index, isOpen: p.isOpen, closedHeight: p.closedHeight,
                               optionCount: p.options.count, closing: p.closing, quorumBasisPoints: p.quorumBasisPoints,
                               passBasisPoints: p.passBasisPoints, electorateSize: p.electorate.count)
        }
    }

    public func openProposals() -> [GovernanceProposal] { openIDs.compactMap(proposal) }

    public func isInElectorate(_ subject: SubjectID, proposal: Hash) -> Bool {
        electorates[proposal]?.contains(subject) ?? false
    }

    public func ballot(proposal: Hash, voter: SubjectID) -> BallotEntry? { ballots[proposal]?[voter] }

    public func ballotChoices(proposal: Hash) -> [UInt32] { ballots[proposal]?.values.map(\.choice) ?? [] }

    public func serviceRequest(_ id: Hash) -> ServiceRequestEntry? { serviceRequests[id] }

    public func assignment(request: Hash, seq: Int) -> AssignmentEntry? {
        guard let list = assignments[request], seq >= 1, seq <= list.count else { return nil }
        return list[seq - 1]
    }

    public func volunteerTotals(_ volunteer: SubjectID) -> VolunteerTotals? { volunteers[volunteer] }

    public func draft(_ id: Hash) -> DraftEntry? { drafts[id] }

    public func endorsements(draft: Hash) -> [EndorsementEntry] { endorsements[draft].map { Array($0.values) } ?? [] }

    public func rewardOffer(_ id: Hash) -> RewardOfferEntry? { rewardOffers[id] }

    public func redeemedTotals(_ subject: SubjectID) -> RedeemedTotals? { redeemed[subject] }

    public func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) -> Bool {
        checkpoints[CheckpointKey(community: community, height: height, headerHash: headerHash)] != nil
    }

    public func anchoredCheckpoint(community: CommunityID, genesisHash: Hash, height: UInt64) -> CheckpointEntry? {
        anchors[AnchorKey(community: community, genesisHash: genesisHash, height: height)].flatMap { checkpoints[$0] }
    }

    public func hasTamperEvidence(community: CommunityID, height: UInt64, headerHash: Hash) -> Bool {
        tamperEvidence[CheckpointKey(community: community, height: height, headerHash: headerHash)] != nil
    }

    public func adoptedFederation() -> FederationAdoptionEntry? { currentFederation.flatMap { federationAdoptions[$0] } }

    public func referral(_ id: Hash) -> ReferralEntry? { referrals[id] }

    public func incomingReferral(_ id: Hash) -> IncomingReferralEntry? { incomingReferrals[id] }

    /// Referrals this community made that are not answered yet, oldest first
    /// (the state database's `unansweredReferrals`).
    public func unansweredReferrals(limit: Int = 100) -> [ReferralEntry] {
        Array(referrals.values.filter { $0.answer == nil }.sorted { ($0.height, $0.index) < ($1.height, $1.index) }.prefix(limit))
    }

    public func appliedKind(of transaction: Hash) -> TransactionKind? { appliedTransactions[transaction]?.kind }

    public func latestNonce(of signer: PublicKey) -> UInt64 { nonces[signer]?.nonce ?? 0 }

    public func currentHead() -> GovernanceHead { GovernanceHead(height: head.height, time: head.time) }

    /// `GovernanceRules.check` against this state, for a transaction in the next block (at `time`, default the head's).
    public func check(_ tx: Transaction, time: Timestamp? = nil) -> String? {
        GovernanceRules.check(tx, at: (head.height &+ 1, time ?? head.time), genesis: genesis, reader: self)
    }

    // MARK: - Figures and digest

    /// The last applied block's height (0 before the first).
    public var height: UInt64 { head.height }
    /// Its header hash (the genesis hash at height 0).
    public var headHash: Hash { head.hash }
    /// Transactions applied and rejected so far.
    public var appliedCount: UInt64 { head.appliedTransactions }
    public var rejectedCount: UInt64 { head.rejectedTransactions }

    /// Open proposals, in opening order.
    public var openProposalIDs: [Hash] {
        openProposals().sorted { ($0.height, $0.index) < ($1.height, $1.index) }.map(\.id)
    }

    /// Supervision figures of every provider that has had an assignment, by subject ID (`ProviderSupervision.figures`).
    public func providerSupervision() -> [ProviderSupervision] {
        let all = assignments.values.joined().map { a in (assignment: a, deadline: serviceRequests[a.request]?.deadline ?? 0) }
        return ProviderSupervision.figures(of: all, now: head.time)
    }

    /// Tamper evidence of `community` at `height`, by conflicting header hash.
    public func tamperEvidence(of community: CommunityID, height: UInt64) -> [TamperEvidenceEntry] {
        tamperEvidence.values.filter { $0.community == community && $0.height == height }.sorted(by: TamperEvidenceEntry.precedes)
    }

    /// Per neighbour chain, its last anchored checkpoint (by community, then genesis hash).
    public func neighbourAnchors() -> [NeighbourAnchor] {
        var last: [AnchorKey: NeighbourAnchor] = [:]
        for c in checkpoints.values where !c.isOwn {
            let chain = AnchorKey(community: c.community, genesisHash: c.genesisHash, height: 0)
            let count = (last[chain]?.anchored ?? 0) + 1
            if let seen = last[chain], seen.height >= c.height {
                last[chain]?.anchored = count
            } else {
                last[chain] = NeighbourAnchor(community: c.community, genesisHash: c.genesisHash, height: c.height, headerHash: c.headerHash,
                                              recordedHeight: c.recordedHeight, recordedTime: c.recordedTime, anchored: count)
            }
        }
        return last.values.sorted { ($0.community, $0.genesisHash) < ($1.community, $1.genesisHash) }
    }

    /// Every table as a list (`GovernanceSnapshot`).
    public var snapshot: GovernanceSnapshot {
        GovernanceSnapshot(
            head: head, nonces: Array(nonces.values), subjects: Array(subjects.values), notices: Array(notices.values),
            proposals: Array(proposals.values), ballots: ballots.values.flatMap(\.values), tallies: Array(tallies.values),
            serviceRequests: Array(serviceRequests.values), assignments: Array(assignments.values.joined()),
            serviceEvents: Array(serviceEvents.values.joined()), volunteerRecords: Array(volunteerRecords.values),
            volunteerTotals: Array(volunteers.values), checkpoints: Array(checkpoints.values),
            tamperEvidence: Array(tamperEvidence.values), referrals: Array(referrals.values), incomingReferrals: Array(incomingReferrals.values), drafts: Array(drafts.values), endorsements: endorsements.values.flatMap(\.values),
            rewardOffers: Array(rewardOffers.values), redemptions: Array(redemptions.values), redeemedTotals: Array(redeemed.values),
            federationAdoptions: Array(federationAdoptions.values), appliedTransactions: Array(appliedTransactions.values))
    }

    /// The state digest (`GovernanceSnapshot.digest`): equal for two nodes
    /// that applied the same blocks, and to a state database's `governanceDigest()`.
    public var digest: Hash { snapshot.digest }
}
