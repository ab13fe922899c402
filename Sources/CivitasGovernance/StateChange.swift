public import CivitasLedger

/// One write the governance transition asks of a state. Every value is
/// decided: a store only records it (the in-memory `GovernanceState` in its
/// dictionaries, the state database in its tables), so the two cannot
/// disagree on an effect. Entries are whole records: an `…Recorded` change
/// replaces the record with the same key, or adds it.
public enum StateChange: Hashable, Sendable {
    /// The signer's latest nonce is now this one.
    case nonceConsumed(NonceEntry)
    /// A subject as it now stands: registered, registered again, updated or revoked.
    case subjectRecorded(SubjectEntry)
    /// A new notice version.
    case noticePublished(NoticeEntry)
    /// `notice` is corrected by the version `by`.
    case noticeSuperseded(notice: Hash, by: Hash)
    /// A proposal opened, its electorate fixed.
    case proposalOpened(ProposalEntry)
    /// A voter's counted ballot (replacing an earlier one).
    case ballotCounted(BallotEntry)
    /// The proposal closed with this tally.
    case proposalClosed(TallyEntry)
    /// A service request as it now stands: filed, assigned, answered, closed or reopened.
    case serviceRequestRecorded(ServiceRequestEntry)
    /// An assignment as it now stands: begun, ended by a later one, answered or rated.
    case assignmentRecorded(AssignmentEntry)
    /// A step of a request's timeline.
    case serviceEventRecorded(ServiceEventEntry)
    /// A volunteer record, and the volunteer's totals with it.
    case volunteerHoursRecorded(VolunteerEntry, totals: VolunteerTotals)
    /// An own checkpoint, or a neighbour's anchored (the first valid one at its height).
    case checkpointRecorded(CheckpointEntry)
    /// A neighbour's valid checkpoint that contradicts the one anchored at its height.
    case tamperEvidenceRecorded(TamperEvidenceEntry)
    /// The community adopted a federation document (the current one from now on).
    case federationAdopted(FederationAdoptionEntry)
    /// A referral to another community as it now stands: referred, delivered or answered.
    case referralRecorded(ReferralEntry)
    /// A neighbour's referral to this community as it now stands: received or answered.
    case incomingReferralRecorded(IncomingReferralEntry)
    /// A resident's draft proposal as it now stands: recorded, or opened.
    case draftRecorded(DraftEntry)
    /// A resident's endorsement of a draft.
    case draftEndorsed(EndorsementEntry)
    /// A reward offer as it now stands.
    case rewardOfferRecorded(RewardOfferEntry)
    /// An item of a reward redeemed, with the offer and the redeemer's spent points as they now stand.
    case pointsRedeemed(RedemptionEntry, offer: RewardOfferEntry, totals: RedeemedTotals)
    /// A transaction of the block, applied or rejected (written after its effects).
    case transactionRecorded(TransactionEntry)
    /// The block is applied: it is the new head (the last change of a block).
    case blockRecorded(BlockEntry)
}
