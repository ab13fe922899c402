import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Testing

/// The transition's contract: a transaction and a read view in, changes or a
/// refusal out; the nonce rule first; figures and the digest defined once.
@Suite("Governance transition")
struct TransitionTests {
    let c = GovernanceCommunity()

    func context(_ d: GovernanceDriver, index: Int = 0) -> TransactionContext {
        TransactionContext(height: d.state.height + 1, time: d.time + 60_000, index: index)
    }

    func request(_ code: String = "elevator") -> TransactionPayload {
        .serviceRequest(ServiceRequest(serviceCode: code, description: "", location: ""))
    }

    @Test func anAllowedTransactionConsumesItsNonceThenMakesItsEffects() {
        let d = GovernanceDriver(c)
        let tx = d.make("wang", request())
        let t = GovernanceTransition.transaction(tx, in: context(d, index: 3), genesis: c.genesis, state: d.state)
        #expect(t.outcome == .applied)
        #expect(t.changes.first == .nonceConsumed(NonceEntry(signer: tx.signer, nonce: 1, height: 1)))
        guard case let .serviceRequestRecorded(r)? = t.changes.dropFirst().first else {
            Issue.record("no service request recorded: \(t.changes)")
            return
        }
        // Deadline: the block's time plus the elevator's 4 hours.
        #expect(r.id == tx.id && r.index == 3 && r.status == .open && r.deadline == d.time + 60_000 + 4 * GovernanceCommunity.hour)
        guard case let .serviceEventRecorded(e)? = t.changes.last else {
            Issue.record("no timeline step recorded: \(t.changes)")
            return
        }
        #expect(e.kind == .request && e.status == "open" && e.actor == c.subject("wang"))
    }

    @Test func aRefusalByTheRulesChangesOnlyTheNonce() {
        let d = GovernanceDriver(c)
        let tx = d.make("wang", .notice(Notice(category: .partyAffairs, title: "t", body: "b")))
        let t = GovernanceTransition.transaction(tx, in: context(d), genesis: c.genesis, state: d.state)
        #expect(t.outcome.rejectionReason?.contains("may be issued only by partyBranch") == true)
        #expect(t.changes == [.nonceConsumed(NonceEntry(signer: tx.signer, nonce: 1, height: 1))])
    }

    @Test func aWrongNonceOrAnotherCommunityChangesNothing() {
        let d = GovernanceDriver(c)
        let gap = d.make("wang", request(), nonce: 2)
        let t = GovernanceTransition.transaction(gap, in: context(d), genesis: c.genesis, state: d.state)
        #expect(t.outcome == .rejected("nonce 2 is out of order: the signer's next nonce is 1") && t.changes.isEmpty)
        let key = c.key("wang")
        let foreign = UnsignedTransaction(community: GovernanceCommunity.neighbour, signer: key.publicKey, nonce: 1, time: d.time,
                                          payload: request()).signed(with: key)
        let f = GovernanceTransition.transaction(foreign, in: context(d), genesis: c.genesis, state: d.state)
        #expect(f.outcome == .rejected("belongs to community 'hehua-north'") && f.changes.isEmpty)
    }

    @Test func theNonceRuleIsTheLatestPlusOneOfThisCommunity() {
        let key = c.key("wang")
        func tx(_ nonce: UInt64, _ community: CommunityID = GovernanceCommunity.community) -> Transaction {
            UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce, time: 0, payload: request()).signed(with: key)
        }
        let here = GovernanceCommunity.community
        #expect(NonceRule.check(tx(1), community: here, latest: 0) == .consumes)
        #expect(NonceRule.check(tx(3), community: here, latest: 1) == .refused("nonce 3 is out of order: the signer's next nonce is 2"))
        #expect(NonceRule.check(tx(1), community: here, latest: 1) == .refused("nonce 1 is out of order: the signer's next nonce is 2"))
        #expect(NonceRule.check(tx(2, GovernanceCommunity.neighbour), community: here, latest: 1) == .refused("belongs to community 'hehua-north'"))
        // A cache of latest nonces advances exactly as a block consumes them.
        var latest: UInt64 = 0
        for t in [tx(1), tx(3), tx(2), tx(2), tx(3, GovernanceCommunity.neighbour), tx(3)] {
            latest = NonceRule.latest(after: t, community: here, latest: latest)
        }
        #expect(latest == 3)
        #expect(NonceRule.next(after: 41) == 42 && NonceRule.next(after: .max) == nil)
        #expect(NonceRule.isUsed(5, latest: 5) && !NonceRule.isUsed(6, latest: 5))
    }

    @Test func endOfBlockClosesDueProposalsInOpeningOrderAndRecordsOwnCheckpoints() {
        var d = GovernanceDriver(c)
        let terms = { (closing: ClosingRule) in
            ProposalTerms(title: "t", description: "", options: ["yes", "no"], eligibleRoles: RoleSet([.resident]),
                          closing: closing, quorumBasisPoints: 0, passBasisPoints: 5_000)
        }
        let late = d.add("committee", .proposal(Proposal(terms: terms(.time(d.time + 5 * 60_000)))))
        let early = d.add("owners", .proposal(Proposal(terms: terms(.height(3)))))
        d.seal()
        d.add("wang", .ballot(Ballot(proposal: early.id, choice: 1)))
        d.seal()
        // Block 3 at +3 min: only the one closing at height 3 is due. Block 4 at +10 min: the other, and an own checkpoint.
        let header3 = BlockHeader(community: GovernanceCommunity.community, height: 3, previous: d.state.headHash,
                                  time: d.time + 60_000, proposer: 0, transactionCount: 0, transactionRoot: Merkle.emptyRoot)
        let closing3 = GovernanceTransition.endOfBlock(header3, genesis: c.genesis, state: d.state)
        #expect(closing3.count == 1)
        guard case let .proposalClosed(tally)? = closing3.first else { return }
        #expect(tally.proposal == early.id && tally.closedHeight == 3 && tally.tally.votes == [0, 1] && tally.tally.outcome == .passed)
        d.seal()
        d.seal(after: 7 * 60_000)
        #expect(d.state.tallies[late.id] != nil && d.state.openProposalIDs.isEmpty)
        #expect(d.state.checkpoints.values.filter(\.isOwn).map(\.height) == [4])
    }

    @Test func supervisionFiguresCountBreachesFromBlockTimeAndClampDurations() {
        let provider = c.subject("lifts")
        func assignment(_ seq: Int, at assigned: Timestamp, ended: Timestamp? = nil, first: Timestamp? = nil,
                        resolved: Timestamp? = nil, resolution: ServiceResolution? = nil, rating: UInt8? = nil) -> AssignmentEntry {
            AssignmentEntry(request: Hashing.sha256([UInt8(seq)]), seq: 1, provider: provider, transaction: Hashing.sha256([9]),
                            assignedHeight: 1, assignedTime: assigned, note: "", isActive: ended == nil, endedTime: ended,
                            firstResponseTime: first, resolvedTime: resolved, resolution: resolution, rating: rating)
        }
        let figures = ProviderSupervision.figures(of: [
            // Answered in 10 s, fixed after 30 s, rated 5: on time.
            (assignment(1, at: 1_000, first: 11_000, resolved: 31_000, resolution: .fixed, rating: 5), deadline: 20_000),
            // Answered "before" its assignment (a block time that ran backwards): 0, not negative; late for the deadline.
            (assignment(2, at: 50_000, first: 40_000), deadline: 30_000),
            // Never answered, reassigned before the deadline: no breach.
            (assignment(3, at: 1_000, ended: 5_000), deadline: 10_000),
            // Never answered, still waiting at `now`, past the deadline: a breach; rated 2.
            (assignment(4, at: 1_000, rating: 2), deadline: 60_000),
        ], now: 100_000)
        #expect(figures == [ProviderSupervision(
            provider: provider, assignments: 4, responded: 2, averageResponseMillis: (10_000 + 0) / 2, resolved: 1, fixed: 1,
            averageResolveMillis: 30_000, resolutionRateBasisPoints: 2_500, breaches: 2, ratings: 2, averageRatingHundredths: 350)])
    }

    @Test func theDigestDependsOnTheEntriesNotOnTheOrderAStoreListsThem() {
        var d = GovernanceDriver(c)
        for who in ["wang", "zhao", "sun", "qian"] { d.add(who, request("streetlight")) }
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "x", minutes: 60, day: 1)))
        d.seal()
        let s = d.state.snapshot
        var shuffled = s
        shuffled.subjects.reverse()
        shuffled.serviceRequests.reverse()
        let rebuilt = GovernanceSnapshot(
            head: shuffled.head, nonces: shuffled.nonces.reversed(), subjects: shuffled.subjects, notices: shuffled.notices,
            proposals: shuffled.proposals, ballots: shuffled.ballots, tallies: shuffled.tallies,
            serviceRequests: shuffled.serviceRequests, assignments: shuffled.assignments, serviceEvents: shuffled.serviceEvents.reversed(),
            volunteerRecords: shuffled.volunteerRecords, volunteerTotals: shuffled.volunteerTotals, checkpoints: shuffled.checkpoints,
            tamperEvidence: shuffled.tamperEvidence.reversed(), referrals: shuffled.referrals, incomingReferrals: shuffled.incomingReferrals.reversed(), drafts: shuffled.drafts, endorsements: shuffled.endorsements.reversed(),
            rewardOffers: shuffled.rewardOffers, redemptions: shuffled.redemptions.reversed(), redeemedTotals: shuffled.redeemedTotals,
            federationAdoptions: shuffled.federationAdoptions.reversed(), appliedTransactions: shuffled.appliedTransactions.reversed())
        #expect(rebuilt == s && rebuilt.digest == d.state.digest)
        var changed = s
        changed.volunteerTotals[0].points += 1
        #expect(changed.digest != s.digest && changed.differences(from: s) == ["volunteerTotals"])
    }
}
