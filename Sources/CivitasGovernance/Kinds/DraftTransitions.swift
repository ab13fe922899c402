import CivitasCodec
import CivitasLedger

/// Drafts: a resident records a proposal's terms; other residents endorse it
/// from their own devices (`EndorsementTransition`); it opens as a proposal
/// with the draft's ID in the block where the genesis document's number of
/// active residents have endorsed it (at once, if that number is 0).
enum ProposalDraftTransition: KindTransition {
    typealias Payload = ProposalDraft

    /// Roles that record drafts (the others open proposals directly).
    static let draftingRoles: [Role] = [.resident]

    static func check<R: GovernanceReader>(_ d: ProposalDraft, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("a draft proposal", draftingRoles) { return refused }
        return ProposalTransition.closingRefusal(d.terms.closing, "the draft", s)
    }

    static func effects<R: GovernanceReader>(_ d: ProposalDraft, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        var terms = d.terms
        terms.closing = ProposalTransition.clamped(terms.closing)
        let draft = DraftEntry(id: s.id, height: s.height, index: s.index, time: s.time, proposer: s.signerID, terms: terms,
                               openedHeight: nil)
        guard s.genesis.parameters.proposalEndorsements == 0 else { return [.draftRecorded(draft)] }
        return try EndorsementTransition.opening(draft, endorsers: [], s)
    }
}

/// Endorsements: an active resident other than the proposer co-signs a draft
/// that has not opened and can still open, once. The endorsement that brings
/// the count of endorsers who are active residents to the genesis document's
/// `proposalEndorsements` opens the proposal, its electorate fixed at that
/// point of the block.
enum EndorsementTransition: KindTransition {
    typealias Payload = DraftEndorsement

    /// Roles whose endorsements count.
    static let endorsingRoles: [Role] = [.resident]

    static func check<R: GovernanceReader>(_ e: DraftEndorsement, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("an endorsement", endorsingRoles) { return refused }
        guard let draft = try s.state.draft(e.draft) else { return "endorsement of unknown draft \(e.draft.hex)" }
        if let opened = draft.openedHeight { return "draft \(e.draft.hex) opened as a proposal at height \(opened)" }
        if draft.proposer == s.signerID { return "the proposer of draft \(e.draft.hex) cannot endorse it" }
        if try s.state.endorsements(draft: e.draft).contains(where: { $0.endorser == s.signerID }) {
            return "signer \(s.signerID) has already endorsed draft \(e.draft.hex)"
        }
        return ProposalTransition.closingRefusal(draft.terms.closing, "draft \(e.draft.hex)", s)
    }

    static func effects<R: GovernanceReader>(_ e: DraftEndorsement, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let endorsement = EndorsementEntry(draft: e.draft, endorser: s.signerID, endorserKey: s.tx.signer, height: s.height,
                                           index: s.index, transaction: s.id)
        guard let draft = try s.state.draft(e.draft) else { return [.draftEndorsed(endorsement)] }
        // Endorsers count while they are active residents (the signer is one: `check` said so).
        var counted: [EndorsementEntry] = []
        for earlier in try s.state.endorsements(draft: e.draft) {
            if let subject = try s.state.subject(earlier.endorser), subject.isActive, subject.roles.contains(.resident) {
                counted.append(earlier)
            }
        }
        counted.append(endorsement)
        guard counted.count >= Int(s.genesis.parameters.proposalEndorsements) else { return [.draftEndorsed(endorsement)] }
        return [.draftEndorsed(endorsement)] + (try opening(draft, endorsers: counted, s))
    }

    /// The draft recorded as opened here, and the proposal it opens.
    static func opening<R: GovernanceReader>(_ draft: DraftEntry, endorsers: [EndorsementEntry],
                                             _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        var opened = draft
        opened.openedHeight = s.height
        let proposal = try ProposalTransition.opened(id: draft.id, proposer: draft.proposer, terms: draft.terms,
                                                     endorsementCount: endorsers.count, endorsers: endorsers.map(\.endorserKey), s)
        return [.draftRecorded(opened), .proposalOpened(proposal)]
    }
}
