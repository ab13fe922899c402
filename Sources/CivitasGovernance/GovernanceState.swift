public import CivitasCodec
public import CivitasLedger

/// The governance state in memory, as the simulator's nodes keep it: the
/// same entries as the state database (CivitasStorage), by table.
/// `apply(_ block:)` runs `GovernanceTransition.applyBlock` on it;
/// `apply(_ change:)` records a change and decides nothing. Pure and
/// deterministic: the same blocks give the same state, `snapshot` and
/// `digest` on every node — and the same as a state database's.
///
/// A value: a copy goes its own way. Copies share their storage
/// (`GovernanceHistory`): a state is a position in the history of every
/// change its copies recorded, so the nodes of a simulated community, each
/// applying the same blocks to a copy of one genesis state, keep the
/// changes once (each node still decides every transaction and checks that
/// its changes are the ones recorded; one that differs gets a history of its own).
public struct GovernanceState: GovernanceReader, GovernanceStore, Sendable {
    public typealias Failure = Never
    public typealias CheckpointKey = CivitasGovernance.CheckpointKey

    public let genesis: GenesisDocument
    /// Checks the signatures the rules verify (`GovernanceReader.signatureVerifier`).
    public var signatureVerifier: SignatureVerifier = .direct
    private var history: GovernanceHistory
    /// Changes applied: where this state stands in its history.
    private var position: Int

    /// The state at height 0: the genesis subjects registered.
    public init(genesis: GenesisDocument) {
        self.genesis = genesis
        history = GovernanceHistory(GovernanceTables(head: HeadEntry(
            height: 0, hash: genesis.hash, time: StateInteger.clamp(genesis.time), appliedTransactions: 0, rejectedTransactions: 0)))
        position = 0
        for change in GovernanceTransition.genesis(genesis) { apply(change) }
    }

    // MARK: - Applying

    /// Applies `block` if it is the next one (this community, height + 1,
    /// `previous` = the head's hash); nil, changing nothing, otherwise.
    /// Signatures and certificates are the caller's to check.
    public mutating func apply(_ block: Block) -> GovernanceBlockResult? {
        let header = block.header
        let head = self.head
        guard header.community == genesis.community, header.height == head.height &+ 1, header.previous == head.hash else {
            return nil
        }
        let genesis = self.genesis
        return GovernanceTransition.applyBlock(block, genesis: genesis, to: &self)
    }

    public var reader: GovernanceState { self }

    /// Records `change`.
    public mutating func apply(_ change: StateChange) {
        if !history.advance(from: position, with: change) {
            // A copy recorded another change here: this state goes on in a history of its own.
            history = history.fork(at: position)
            position = 0
            _ = history.advance(from: position, with: change)
        }
        position += 1
    }

    private func read<T: Sendable>(_ body: (GovernanceTables, Int) -> T) -> T {
        let position = self.position
        return history.read { body($0, position) }
    }

    // MARK: - Tables

    public var head: HeadEntry { read { $0.head(at: $1) } }
    public var nonces: [PublicKey: NonceEntry] { read { $0.nonces.materialized(at: $1) } }
    public var subjects: [SubjectID: SubjectEntry] { read { $0.subjects.materialized(at: $1) } }
    public var notices: [Hash: NoticeEntry] { read { $0.notices.materialized(at: $1) } }
    public var proposals: [Hash: ProposalEntry] { read { $0.proposals.materialized(at: $1) } }
    /// Counted ballots by proposal, then voter.
    public var ballots: [Hash: [SubjectID: BallotEntry]] { read { $0.ballots.materialized(at: $1) } }
    public var tallies: [Hash: TallyEntry] { read { $0.tallies.materialized(at: $1) } }
    public var serviceRequests: [Hash: ServiceRequestEntry] { read { $0.serviceRequests.materialized(at: $1) } }
    /// Assignments by request, in sequence order (`seq` n at index n - 1).
    public var assignments: [Hash: [AssignmentEntry]] { read { $0.assignments.materialized(at: $1) } }
    /// Timelines by request, in block order.
    public var serviceEvents: [Hash: [ServiceEventEntry]] { read { $0.serviceEvents.materialized(at: $1) } }
    public var volunteerRecords: [Hash: VolunteerEntry] { read { $0.volunteerRecords.materialized(at: $1) } }
    public var volunteers: [SubjectID: VolunteerTotals] { read { $0.volunteers.materialized(at: $1) } }
    public var checkpoints: [CheckpointKey: CheckpointEntry] { read { $0.checkpoints.materialized(at: $1) } }
    /// Tamper evidence by community, height and the conflicting header's hash.
    public var tamperEvidence: [CheckpointKey: TamperEvidenceEntry] { read { $0.tamperEvidence.materialized(at: $1) } }
    /// Adopted federation documents by sequence (the highest is the current one).
    public var federationAdoptions: [UInt64: FederationAdoptionEntry] { read { $0.federationAdoptions.materialized(at: $1) } }
    public var referrals: [Hash: ReferralEntry] { read { $0.referrals.materialized(at: $1) } }
    public var incomingReferrals: [Hash: IncomingReferralEntry] { read { $0.incomingReferrals.materialized(at: $1) } }
    public var drafts: [Hash: DraftEntry] { read { $0.drafts.materialized(at: $1) } }
    /// Endorsements by draft, then endorser.
    public var endorsements: [Hash: [SubjectID: EndorsementEntry]] { read { $0.endorsements.materialized(at: $1) } }
    public var rewardOffers: [Hash: RewardOfferEntry] { read { $0.rewardOffers.materialized(at: $1) } }
    public var redemptions: [Hash: RedemptionEntry] { read { $0.redemptions.materialized(at: $1) } }
    public var redeemed: [SubjectID: RedeemedTotals] { read { $0.redeemed.materialized(at: $1) } }
    public var appliedTransactions: [Hash: AppliedTransaction] { read { $0.appliedTransactions.materialized(at: $1) } }

    // MARK: - GovernanceReader

    public func subject(_ id: SubjectID) -> SubjectEntry? { read { $0.subjects.value(id, at: $1) } }

    public func subjects(holdingAnyOf roles: RoleSet) -> [SubjectEntry] {
        read { t, p in t.subjects.values(at: p).filter { $0.roles.mask & roles.mask != 0 } }
    }

    public func notice(_ id: Hash) -> GovernanceNotice? {
        read { $0.notices.value(id, at: $1) }.map {
            GovernanceNotice(author: $0.issuer, category: $0.category, supersededBy: $0.supersededBy, chainRoot: $0.chainRoot, version: $0.version)
        }
    }

    public func proposal(_ id: Hash) -> GovernanceProposal? {
        read { $0.proposals.value(id, at: $1) }.map(Self.governanceProposal)
    }

    private static func governanceProposal(_ p: ProposalEntry) -> GovernanceProposal {
        GovernanceProposal(id: p.id, height: p.height, index: p.index, isOpen: p.isOpen, closedHeight: p.closedHeight,
                           optionCount: p.options.count, closing: p.closing, quorumBasisPoints: p.quorumBasisPoints,
                           passBasisPoints: p.passBasisPoints, electorateSize: p.electorate.count)
    }

    public func openProposals() -> [GovernanceProposal] {
        read { t, p in
            var open: [GovernanceProposal] = []
            t.openIDs.forEach(at: p) { id, _ in
                if let proposal = t.proposals.value(id, at: p) { open.append(Self.governanceProposal(proposal)) }
            }
            return open
        }
    }

    public func isInElectorate(_ subject: SubjectID, proposal: Hash) -> Bool {
        read { $0.electorates.value(proposal, at: $1)?.contains(subject) ?? false }
    }

    public func ballot(proposal: Hash, voter: SubjectID) -> BallotEntry? { read { $0.ballots.value(proposal, at: $1)?[voter] } }

    public func ballotChoices(proposal: Hash) -> [UInt32] { read { $0.ballots.value(proposal, at: $1)?.values.map(\.choice) ?? [] } }

    public func serviceRequest(_ id: Hash) -> ServiceRequestEntry? { read { $0.serviceRequests.value(id, at: $1) } }

    public func assignment(request: Hash, seq: Int) -> AssignmentEntry? {
        guard let list = read({ $0.assignments.value(request, at: $1) }), seq >= 1, seq <= list.count else { return nil }
        return list[seq - 1]
    }

    public func volunteerTotals(_ volunteer: SubjectID) -> VolunteerTotals? { read { $0.volunteers.value(volunteer, at: $1) } }

    public func draft(_ id: Hash) -> DraftEntry? { read { $0.drafts.value(id, at: $1) } }

    public func endorsements(draft: Hash) -> [EndorsementEntry] {
        read { $0.endorsements.value(draft, at: $1).map { Array($0.values) } ?? [] }
    }

    public func rewardOffer(_ id: Hash) -> RewardOfferEntry? { read { $0.rewardOffers.value(id, at: $1) } }

    public func redeemedTotals(_ subject: SubjectID) -> RedeemedTotals? { read { $0.redeemed.value(subject, at: $1) } }

    public func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) -> Bool {
        read { $0.checkpoints.value(CheckpointKey(community: community, height: height, headerHash: headerHash), at: $1) != nil }
    }

    public func anchoredCheckpoint(community: CommunityID, genesisHash: Hash, height: UInt64) -> CheckpointEntry? {
        read { t, p in
            t.anchors.value(AnchorKey(community: community, genesisHash: genesisHash, height: height), at: p).flatMap { t.checkpoints.value($0, at: p) }
        }
    }

    public func hasTamperEvidence(community: CommunityID, height: UInt64, headerHash: Hash) -> Bool {
        read { $0.tamperEvidence.value(CheckpointKey(community: community, height: height, headerHash: headerHash), at: $1) != nil }
    }

    public func adoptedFederation() -> FederationAdoptionEntry? {
        read { t, p in t.currentFederation.value(at: p).flatMap { t.federationAdoptions.value($0, at: p) } }
    }

    public func referral(_ id: Hash) -> ReferralEntry? { read { $0.referrals.value(id, at: $1) } }

    public func incomingReferral(_ id: Hash) -> IncomingReferralEntry? { read { $0.incomingReferrals.value(id, at: $1) } }

    /// Referrals this community made that are not answered yet, oldest first
    /// (the state database's `unansweredReferrals`).
    public func unansweredReferrals(limit: Int = 100) -> [ReferralEntry] {
        let all = read { $0.referrals.values(at: $1) }
        return Array(all.filter { $0.answer == nil }.sorted { ($0.height, $0.index) < ($1.height, $1.index) }.prefix(limit))
    }

    public func appliedKind(of transaction: Hash) -> TransactionKind? { read { $0.appliedTransactions.value(transaction, at: $1)?.kind } }

    public func latestNonce(of signer: PublicKey) -> UInt64 { read { $0.nonces.value(signer, at: $1)?.nonce ?? 0 } }

    public func currentHead() -> GovernanceHead {
        let head = self.head
        return GovernanceHead(height: head.height, time: head.time)
    }

    /// `GovernanceRules.check` against this state, for a transaction in the next block (at `time`, default the head's).
    public func check(_ tx: Transaction, time: Timestamp? = nil) -> String? {
        let head = self.head
        return GovernanceRules.check(tx, at: (head.height &+ 1, time ?? head.time), genesis: genesis, reader: self)
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
    /// Computed once per position of a history its copies share.
    public func providerSupervision() -> [ProviderSupervision] {
        history.figure(\.supervision, at: position) { t in
            let all = t.assignments.values(at: position).joined().map { a in
                (assignment: a, deadline: t.serviceRequests.value(a.request, at: position)?.deadline ?? 0)
            }
            return ProviderSupervision.figures(of: all, now: t.head(at: position).time)
        }
    }

    /// Tamper evidence of `community` at `height`, by conflicting header hash.
    public func tamperEvidence(of community: CommunityID, height: UInt64) -> [TamperEvidenceEntry] {
        read { $0.tamperEvidence.values(at: $1) }.filter { $0.community == community && $0.height == height }.sorted(by: TamperEvidenceEntry.precedes)
    }

    /// Per neighbour chain, its last anchored checkpoint (by community, then genesis hash).
    public func neighbourAnchors() -> [NeighbourAnchor] {
        var last: [AnchorKey: NeighbourAnchor] = [:]
        for c in read({ $0.checkpoints.values(at: $1) }) where !c.isOwn {
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
    public var snapshot: GovernanceSnapshot { read(Self.snapshot) }

    private static func snapshot(_ t: GovernanceTables, at p: Int) -> GovernanceSnapshot {
        GovernanceSnapshot(
            head: t.head(at: p), nonces: t.nonces.values(at: p), subjects: t.subjects.values(at: p), notices: t.notices.values(at: p),
            proposals: t.proposals.values(at: p), ballots: t.ballots.values(at: p).flatMap(\.values), tallies: t.tallies.values(at: p),
            serviceRequests: t.serviceRequests.values(at: p), assignments: Array(t.assignments.values(at: p).joined()),
            serviceEvents: Array(t.serviceEvents.values(at: p).joined()), volunteerRecords: t.volunteerRecords.values(at: p),
            volunteerTotals: t.volunteers.values(at: p), checkpoints: t.checkpoints.values(at: p),
            tamperEvidence: t.tamperEvidence.values(at: p), referrals: t.referrals.values(at: p),
            incomingReferrals: t.incomingReferrals.values(at: p), drafts: t.drafts.values(at: p),
            endorsements: t.endorsements.values(at: p).flatMap(\.values), rewardOffers: t.rewardOffers.values(at: p),
            redemptions: t.redemptions.values(at: p), redeemedTotals: t.redeemed.values(at: p),
            federationAdoptions: t.federationAdoptions.values(at: p), appliedTransactions: t.appliedTransactions.values(at: p))
    }

    /// The state digest (`GovernanceSnapshot.digest`): equal for two nodes
    /// that applied the same blocks, and to a state database's `governanceDigest()`.
    /// Computed once per position of a history its copies share.
    public var digest: Hash { history.figure(\.digests, at: position) { Self.snapshot($0, at: position).digest } }
}
