import CivitasCodec
import CivitasLedger

/// Proposals: opened by a committee, the party branch or the street office,
/// or by a resident with enough genuine endorsements; the electorate is fixed
/// at opening.
enum ProposalTransition: KindTransition {
    typealias Payload = Proposal

    /// Roles that may open a proposal without endorsements.
    static let proposingRoles: [Role] = [.residentsCommittee, .ownersCommittee, .partyBranch, .streetOffice]

    static func check<R: GovernanceReader>(_ p: Proposal, _ s: Submission<R>) throws(R.Failure) -> String? {
        let t = p.terms
        if let refused = closingRefusal(t.closing, "the proposal", s) { return refused }
        // Every co-signature carried must be genuine, whoever proposes:
        // the chain records the endorsers.
        var endorsers = Set<SubjectID>()
        for e in p.endorsements {
            guard e.isValid(for: t, using: s.state.signatureVerifier) else {
                return "the endorsement by \(e.signer.subjectID) does not verify over the proposal's terms"
            }
            let id = e.signer.subjectID
            if id == s.signerID { continue }
            if let endorser = try s.state.subject(id), endorser.isActive, endorser.roles.contains(.resident) { endorsers.insert(id) }
        }
        let roles = s.signer.roles
        if proposingRoles.contains(where: roles.contains) { return nil }
        let needed = Int(s.genesis.parameters.proposalEndorsements)
        guard roles.contains(.resident) else {
            return "a proposal may be opened only by \(GovernanceRules.names(proposingRoles)), or by a resident with \(needed) endorsements; signer \(s.signerID) holds \(roles)"
        }
        if endorsers.count < needed {
            return "a resident's proposal needs \(needed) endorsements by other active residents; it has \(endorsers.count)"
        }
        return nil
    }

    static func effects<R: GovernanceReader>(_ p: Proposal, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        [.proposalOpened(try opened(id: s.id, proposer: s.signerID, terms: p.terms, endorsementCount: p.endorsements.count,
                                    endorsers: p.endorsements.map(\.signer), s))]
    }

    /// Nil if a proposal closing by `closing` may open in this block; a
    /// proposal that would close in the block that opens it could take no ballot.
    static func closingRefusal<R: GovernanceReader>(_ closing: ClosingRule, _ what: String, _ s: Submission<R>) -> String? {
        switch closing {
        case let .height(h) where h <= s.context.height:
            return "\(what) closes at height \(h), which is not after this block (height \(s.context.height))"
        case let .time(ms) where ms <= s.context.time:
            return "\(what) closes at time \(ms), which is not after this block's time \(s.context.time)"
        default: return nil
        }
    }

    /// The proposal `id` opening at `s`'s place in the chain (a committee's own,
    /// or a resident's draft that `s` endorsed enough). Its electorate is every
    /// active subject holding an eligible role now (subjects registered earlier
    /// in this block included), ascending, with its RFC 6962 Merkle root, so the
    /// quorum's denominator cannot move and anyone can check a voter's membership.
    static func opened<R: GovernanceReader>(id: Hash, proposer: SubjectID, terms t: ProposalTerms, endorsementCount: Int,
                                            endorsers: [PublicKey], _ s: Submission<R>) throws(R.Failure) -> ProposalEntry {
        let eligible = t.eligibleRoles.mask
        let electorate = try s.state.subjects(holdingAnyOf: t.eligibleRoles)
            .filter { $0.isActive && $0.roles.mask & eligible != 0 }.map(\.id).sorted()
        return ProposalEntry(
            id: id, height: s.height, index: s.index, time: s.time, proposer: proposer, title: t.title,
            description: t.description, eligibleRoles: t.eligibleRoles, closing: clamped(t.closing),
            quorumBasisPoints: t.quorumBasisPoints, passBasisPoints: t.passBasisPoints, options: t.options,
            endorsementCount: endorsementCount, endorsers: Set(endorsers).sorted(),
            electorate: electorate, electorateRoot: Merkle.root(electorate.map { Merkle.leafHash($0.canonicalBytes()) }),
            isOpen: true, closedHeight: nil)
    }

    /// `closing` with its value in `StateInteger`'s range, as the state holds it.
    static func clamped(_ closing: ClosingRule) -> ClosingRule {
        switch closing {
        case let .height(h): .height(StateInteger.clamp(h))
        case let .time(ms): .time(StateInteger.clamp(ms))
        }
    }

    /// The proposals a block at `height` and (clamped) `time` closes, in
    /// opening order, with their tallies: `.height(h)` closes at the end of the
    /// first block at height ≥ h, `.time(t)` at the end of the first block whose
    /// time is ≥ t. Ballots of that block count.
    static func closeDue<R: GovernanceReader>(height: UInt64, time: Timestamp, state: R) throws(R.Failure) -> [StateChange] {
        let open = try state.openProposals().sorted { ($0.height, $0.index) < ($1.height, $1.index) }
        var changes: [StateChange] = []
        for p in open {
            let due = switch p.closing {
            case let .height(h): h <= StateInteger.clamp(height)
            case let .time(t): t <= time
            }
            guard due else { continue }
            var votes = [UInt64](repeating: 0, count: p.optionCount)
            for choice in try state.ballotChoices(proposal: p.id) where Int(choice) < p.optionCount { votes[Int(choice)] += 1 }
            let tally = Tally(votes: votes, electorateSize: UInt64(p.electorateSize), quorumBasisPoints: p.quorumBasisPoints,
                              passBasisPoints: p.passBasisPoints)
            changes.append(.proposalClosed(TallyEntry(proposal: p.id, closedHeight: height, closedTime: time, tally: tally)))
        }
        return changes
    }
}

/// Ballots: one counted ballot per voter of the electorate; a later one
/// replaces the earlier one until close (a change of mind, not an error).
enum BallotTransition: KindTransition {
    typealias Payload = Ballot

    static func check<R: GovernanceReader>(_ b: Ballot, _ s: Submission<R>) throws(R.Failure) -> String? {
        guard let p = try s.state.proposal(b.proposal) else { return "ballot for unknown proposal \(b.proposal.hex)" }
        guard p.isOpen else { return "proposal \(b.proposal.hex) closed at height \(p.closedHeight ?? 0)" }
        guard Int(b.choice) < p.optionCount else {
            return "choice \(b.choice) is not an option (the proposal has \(p.optionCount))"
        }
        guard try s.state.isInElectorate(s.signerID, proposal: b.proposal) else {
            return "signer \(s.signerID) is not in the electorate of proposal \(b.proposal.hex)"
        }
        return nil
    }

    static func effects<R: GovernanceReader>(_ b: Ballot, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let earlier = try s.state.ballot(proposal: b.proposal, voter: s.signerID)
        return [.ballotCounted(BallotEntry(proposal: b.proposal, voter: s.signerID, choice: b.choice, height: s.height,
                                           index: s.index, transaction: s.id, replaced: earlier.map { $0.replaced + 1 } ?? 0))]
    }
}
