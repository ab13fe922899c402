import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Testing

/// Drafts and endorsements (a resident's proposal gathering co-signers as
/// transactions of their own), and rewards paid for in volunteer points.
@Suite("Drafts, endorsements and rewards")
struct DraftAndRewardRulesTests {
    let c = GovernanceCommunity()   // a resident's proposal needs 3 endorsements

    func draft(closing: ClosingRule = .height(20)) -> TransactionPayload {
        .proposalDraft(ProposalDraft(terms: ProposalTerms(
            title: "A bench by gate 2", description: "", options: ["yes", "no"], eligibleRoles: RoleSet([.resident]),
            closing: closing, quorumBasisPoints: 0, passBasisPoints: 5_001)))
    }

    func endorse(_ draft: Transaction) -> TransactionPayload { .endorsement(DraftEndorsement(draft: draft.id)) }

    @Test func aDraftIsAResidentsAndMustCloseAfterItsBlock() {
        var d = GovernanceDriver(c)
        #expect(d.check("committee", draft()) ==
            "a draft proposal may be issued only by resident; signer \(c.subject("committee")) holds [residentsCommittee]")
        #expect(d.check("wang", draft(closing: .height(1))) ==
            "the draft closes at height 1, which is not after this block (height 1)")
        d.add("wang", draft())
        #expect(d.seal().outcomes == [.applied])
        #expect(d.state.drafts.count == 1 && d.state.proposals.isEmpty)
    }

    @Test func aDraftOpensInTheBlockWhereEnoughOtherResidentsEndorsedIt() {
        var d = GovernanceDriver(c)
        let draft = d.add("wang", draft())
        d.add("li", endorse(draft))
        d.add("zhao", endorse(draft))
        #expect(d.seal().outcomes == [.applied, .applied, .applied])
        #expect(d.state.proposals.isEmpty && d.state.draft(draft.id)?.openedHeight == nil)
        // The third endorsement opens it, with the draft's ID and the electorate of this point of the chain.
        d.add("sun", endorse(draft))
        #expect(d.seal().outcomes == [.applied])
        let proposal = d.state.proposals[draft.id]
        #expect(proposal?.height == 2 && proposal?.proposer == c.subject("wang") && proposal?.endorsementCount == 3)
        #expect(proposal?.endorsers == [c.key("li"), c.key("zhao"), c.key("sun")].map(\.publicKey).sorted())
        #expect(proposal?.electorate.count == 6)
        #expect(d.state.draft(draft.id)?.openedHeight == 2)
        // Once open, it takes ballots, and no more endorsements.
        #expect(d.check("qian", .ballot(Ballot(proposal: draft.id, choice: 0))) == nil)
        #expect(d.check("qian", endorse(draft)) == "draft \(draft.id.hex) opened as a proposal at height 2")
    }

    @Test func endorsementsAreByOtherActiveResidentsOncePerDraftWhileItCanStillOpen() {
        var d = GovernanceDriver(c)
        let draft = d.add("wang", draft(closing: .height(4)))
        d.add("li", endorse(draft))
        d.seal()
        #expect(d.check("wang", endorse(draft)) == "the proposer of draft \(draft.id.hex) cannot endorse it")
        #expect(d.check("li", endorse(draft)) == "signer \(c.subject("li")) has already endorsed draft \(draft.id.hex)")
        #expect(d.check("lifts", endorse(draft)) ==
            "an endorsement may be issued only by resident; signer \(c.subject("lifts")) holds [serviceProvider]")
        #expect(d.check("zhao", .endorsement(DraftEndorsement(draft: Hashing.sha256([7])))) ==
            "endorsement of unknown draft \(Hashing.sha256([7]).hex)")
        d.seal()
        d.seal()
        #expect(d.check("zhao", endorse(draft)) ==
            "draft \(draft.id.hex) closes at height 4, which is not after this block (height 4)")
    }

    @Test func anEndorserRevokedBeforeTheOpeningNoLongerCounts() {
        var d = GovernanceDriver(c)
        let draft = d.add("wang", draft())
        d.add("li", endorse(draft))
        d.add("zhao", endorse(draft))
        d.add("committee", .registration(Registration(action: .revoke, subject: c.key("li").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        d.add("sun", endorse(draft))
        #expect(d.seal().outcomes == Array(repeating: .applied, count: 5))
        #expect(d.state.proposals[draft.id] == nil)
        d.add("qian", endorse(draft))
        d.seal()
        #expect(d.state.proposals[draft.id]?.endorsementCount == 3)
    }

    @Test func withNoEndorsementsNeededADraftOpensAtOnce() {
        var d = GovernanceDriver(GovernanceCommunity(proposalEndorsements: 0))
        let draft = d.add("wang", draft())
        #expect(d.seal().outcomes == [.applied])
        #expect(d.state.proposals[draft.id]?.endorsementCount == 0 && d.state.draft(draft.id)?.openedHeight == 1)
    }

    @Test func rewardsAreOfferedBySocialOrganisationsAndTheManagerAndPaidForWithPointsHeld() {
        var d = GovernanceDriver(c)
        let offer: TransactionPayload = .rewardOffer(RewardOffer(title: "Cinema", description: "", price: 20, quantity: 2))
        #expect(d.check("wang", offer) ==
            "a reward offer may be issued only by socialOrganization or propertyManager; signer \(c.subject("wang")) holds [resident]")
        let cinema = d.add("elders", offer)
        let gym = d.add("manager", .rewardOffer(RewardOffer(title: "Gym", description: "", price: 5, quantity: 1)))
        // 150 minutes at 10 points an hour: 25 points.
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("wang"), activity: "x", minutes: 150, day: 1)))
        d.seal()
        let redeem: TransactionPayload = .redemption(Redemption(offer: cinema.id))
        #expect(d.check("zhao", redeem) == "signer \(c.subject("zhao")) holds 0 points; reward \(cinema.id.hex) costs 20")
        #expect(d.check("elders", redeem) == "the publisher of reward \(cinema.id.hex) cannot redeem it")
        #expect(d.check("wang", .redemption(Redemption(offer: Hashing.sha256([3])))) ==
            "redemption of unknown reward offer \(Hashing.sha256([3]).hex)")
        d.add("wang", redeem)
        d.add("wang", redeem)   // 5 points left: refused
        d.add("wang", .redemption(Redemption(offer: gym.id)))
        let r = d.seal()
        #expect(r.outcomes[0] == .applied && r.outcomes[2] == .applied)
        #expect(r.outcomes[1] == .rejected("signer \(c.subject("wang")) holds 5 points; reward \(cinema.id.hex) costs 20"))
        #expect(d.state.redeemedTotals(c.subject("wang")) == RedeemedTotals(subject: c.subject("wang"), redemptions: 2, points: 25))
        #expect(d.state.rewardOffer(cinema.id)?.redeemed == 1 && d.state.rewardOffer(gym.id)?.redeemed == 1)
        // The gym's one item is taken.
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "x", minutes: 60, day: 1)))
        d.seal()
        #expect(d.check("zhao", .redemption(Redemption(offer: gym.id))) == "reward \(gym.id.hex) is all taken (1 of 1)")
        // Points issued = points redeemed + points outstanding.
        let issued = d.state.volunteers.values.reduce(0) { $0 + $1.points }
        let redeemed = d.state.redeemed.values.reduce(0) { $0 + $1.points }
        #expect(issued == 35 && redeemed == 25)
    }

    @Test func aRevokedPublishersRewardCannotBeRedeemed() {
        var d = GovernanceDriver(c)
        let gym = d.add("manager", .rewardOffer(RewardOffer(title: "Gym", description: "", price: 5, quantity: 1)))
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("wang"), activity: "x", minutes: 60, day: 1)))
        d.add("committee", .registration(Registration(action: .revoke, subject: c.key("manager").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        d.seal()
        #expect(d.check("wang", .redemption(Redemption(offer: gym.id))) ==
            "reward \(gym.id.hex) was offered by \(c.subject("manager")), which is revoked")
    }
}
