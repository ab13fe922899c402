import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Testing

/// `GovernanceRules.check` and the transition through `GovernanceState`: who may do what, and what each kind does.
@Suite("Governance rules")
struct GovernanceRulesTests {
    let c = GovernanceCommunity()

    func terms(_ closing: ClosingRule = .height(10), roles: [Role] = [.resident], quorum: UInt32 = 0,
               pass: UInt32 = 5_000, options: Int = 2) -> ProposalTerms {
        ProposalTerms(title: "Paint the stairwells", description: "", options: (0..<options).map { "option \($0)" },
                      eligibleRoles: RoleSet(roles), closing: closing, quorumBasisPoints: quorum, passBasisPoints: pass)
    }

    func notice(_ category: Notice.Category, supersedes: Hash? = nil) -> TransactionPayload {
        .notice(Notice(category: category, title: "t", body: "b", supersedes: supersedes))
    }

    @Test func anUnregisteredOrRevokedSignerMayDoNothing() {
        var d = GovernanceDriver(c)
        #expect(d.check("chen", .serviceRequest(ServiceRequest(serviceCode: "x", description: "", location: "")))?
            .contains("is not a registered subject") == true)
        d.add("committee", .registration(Registration(action: .revoke, subject: c.key("sun").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        #expect(d.seal().outcomes == [.applied])
        #expect(d.check("sun", .serviceRequest(ServiceRequest(serviceCode: "x", description: "", location: ""))) ==
            "signer \(c.subject("sun")) is revoked")
    }

    @Test func noticeCategoriesHaveTheirIssuers() {
        let d = GovernanceDriver(c)
        let allowed: [(Notice.Category, String)] = [
            (.partyAffairs, "party"), (.housingAffairs, "owners"), (.housingAffairs, "manager"), (.finance, "committee"),
            (.finance, "li"), (.services, "lifts"), (.services, "street"), (.services, "manager"), (.general, "elders"),
            (.general, "party"),
        ]
        for (category, who) in allowed { #expect(d.check(who, notice(category)) == nil, "\(who) \(category)") }
        #expect(d.check("wang", notice(.partyAffairs)) ==
            "notice category partyAffairs may be issued only by partyBranch; signer \(c.subject("wang")) holds [resident]")
        let refused: [(Notice.Category, String)] = [
            (.housingAffairs, "committee"), (.finance, "manager"), (.services, "party"), (.general, "wang"), (.partyAffairs, "committee"),
        ]
        for (category, who) in refused {
            #expect(d.check(who, notice(category))?.contains("notice category \(category) may be issued only by") == true, "\(who) \(category)")
        }
    }

    @Test func aCorrectionIsByTheAuthorInTheSameCategoryOnce() {
        var d = GovernanceDriver(c)
        let n1 = d.add("owners", notice(.finance))
        d.seal()
        #expect(d.check("committee", notice(.finance, supersedes: n1.id))?.contains("only its author may supersede it") == true)
        #expect(d.check("owners", notice(.housingAffairs, supersedes: n1.id))?.contains("a correction keeps the category") == true)
        #expect(d.check("owners", notice(.finance, supersedes: Hashing.sha256([9])))?.contains("supersedes unknown notice") == true)
        let n2 = d.add("owners", notice(.finance, supersedes: n1.id))
        let again = d.add("owners", notice(.finance, supersedes: n1.id))
        let n3 = d.add("owners", notice(.finance, supersedes: n2.id))
        let r = d.seal()
        #expect(r.outcomes[0] == .applied && r.outcomes[2] == .applied)
        #expect(r.outcomes[1] == .rejected("notice \(n1.id.hex) is already superseded by \(n2.id.hex)"))
        _ = again
        #expect(d.state.notices[n1.id]?.supersededBy == n2.id && d.state.notices[n2.id]?.supersededBy == n3.id)
        #expect(d.state.notices[n3.id]?.chainRoot == n1.id && d.state.notices[n3.id]?.version == 3)
    }

    @Test func registrationIsTheCommitteesOrARegistrars() {
        var d = GovernanceDriver(c)
        let chen = Registration(action: .register, subject: c.key("chen").publicKey, displayName: "Chen", unit: "4-303",
                                roles: RoleSet([.resident]))
        #expect(d.check("wang", .registration(chen))?.contains("a registration may be issued only by residentsCommittee") == true)
        #expect(d.check("street", .registration(chen))?.contains("is not a genesis registrar") == true)
        #expect(d.check("committee", .registration(Registration(action: .register, subject: chen.subject, displayName: "",
                                                                 unit: "", roles: RoleSet())))?.contains("at least one role") == true)
        d.add("committee", .registration(chen))
        #expect(d.seal().outcomes == [.applied])
        #expect(d.state.subject(c.subject("chen"))?.roles == RoleSet([.resident]) && d.state.subject(c.subject("chen"))?.isActive == true)
        #expect(d.check("committee", .registration(chen)) == "subject \(c.subject("chen")) is already registered")
        let update = Registration(action: .update, subject: c.key("mallory").publicKey, displayName: "", unit: "", roles: RoleSet([.resident]))
        #expect(d.check("committee", .registration(update)) == "update of unknown subject \(c.subject("mallory"))")
    }

    @Test func aResidentsProposalNeedsEnoughGenuineEndorsements() {
        var d = GovernanceDriver(c)   // 3 endorsements needed
        let t = terms()
        func endorse(_ names: [String]) -> [Endorsement] { names.map { Endorsement(endorsing: t, with: c.key($0)) } }
        #expect(d.check("wang", .proposal(Proposal(terms: t, endorsements: endorse(["zhao", "sun"])))) ==
            "a resident's proposal needs 3 endorsements by other active residents; it has 2")
        // The proposer's own endorsement and a non-resident's do not count.
        #expect(d.check("wang", .proposal(Proposal(terms: t, endorsements: endorse(["wang", "zhao", "sun", "lifts"]))))?
            .contains("it has 2") == true)
        // A forged co-signature refuses the whole proposal.
        var forged = endorse(["zhao", "sun", "qian"])
        forged[0].signature = Endorsement(endorsing: terms(.height(11)), with: c.key("zhao")).signature
        #expect(d.check("wang", .proposal(Proposal(terms: t, endorsements: forged)))?.contains("does not verify") == true)
        // Neither a resident nor a committee: refused whatever the endorsements.
        #expect(d.check("lifts", .proposal(Proposal(terms: t, endorsements: endorse(["zhao", "sun", "qian"]))))?
            .contains("a proposal may be opened only by residentsCommittee, ownersCommittee, partyBranch or streetOffice") == true)
        #expect(d.check("wang", .proposal(Proposal(terms: t, endorsements: endorse(["zhao", "sun", "qian"])))) == nil)
        #expect(d.check("committee", .proposal(Proposal(terms: t))) == nil)
        #expect(d.check("li", .proposal(Proposal(terms: t))) == nil)   // an owners' committee member
        #expect(d.check("committee", .proposal(Proposal(terms: terms(.height(1)))))?.contains("not after this block") == true)
        #expect(d.check("committee", .proposal(Proposal(terms: terms(.time(d.time)))))?.contains("not after this block's time") == true)
        // An endorser revoked before the proposal is applied no longer counts.
        d.add("committee", .registration(Registration(action: .revoke, subject: c.key("qian").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        d.add("wang", .proposal(Proposal(terms: t, endorsements: endorse(["zhao", "sun", "qian"]))))
        #expect(d.seal().outcomes[1] == .rejected("a resident's proposal needs 3 endorsements by other active residents; it has 2"))
    }

    @Test func ballotsAreByTheElectorateAndALaterOneReplaces() {
        var d = GovernanceDriver(c)
        let p = d.add("committee", .proposal(Proposal(terms: terms(.height(3), options: 3))))
        d.seal()
        // Chen, registered after the opening, is not in the electorate.
        d.add("committee", .registration(Registration(action: .register, subject: c.key("chen").publicKey, displayName: "Chen",
                                                      unit: "", roles: RoleSet([.resident]))))
        d.add("chen", .ballot(Ballot(proposal: p.id, choice: 0)))
        d.add("lifts", .ballot(Ballot(proposal: p.id, choice: 0)))
        d.add("wang", .ballot(Ballot(proposal: p.id, choice: 3)))
        d.add("wang", .ballot(Ballot(proposal: p.id, choice: 0)))
        d.add("zhao", .ballot(Ballot(proposal: p.id, choice: 1)))
        d.add("wang", .ballot(Ballot(proposal: p.id, choice: 1)))   // replaces wang's 0
        d.add("sun", .ballot(Ballot(proposal: Hashing.sha256([1]), choice: 0)))
        let r = d.seal()
        #expect(r.outcomes[1] == .rejected("signer \(c.subject("chen")) is not in the electorate of proposal \(p.id.hex)"))
        #expect(r.outcomes[2].rejectionReason?.contains("is not in the electorate") == true)
        #expect(r.outcomes[3] == .rejected("choice 3 is not an option (the proposal has 3)"))
        #expect(r.outcomes[7].rejectionReason?.contains("ballot for unknown proposal") == true)
        #expect(d.state.ballot(proposal: p.id, voter: c.subject("wang"))?.choice == 1)
        let closing = d.seal()
        #expect(closing.closedProposals == [p.id])
        let tally = d.state.tallies[p.id]?.tally
        // Electorate: wang, li, zhao, sun, qian, zhou (residents at opening).
        #expect(tally?.votes == [0, 2, 0] && tally?.electorateSize == 6 && tally?.outcome == .passed)
        #expect(d.state.proposals[p.id]?.closedHeight == 3)
        #expect(d.check("zhao", .ballot(Ballot(proposal: p.id, choice: 0))) == "proposal \(p.id.hex) closed at height 3")
    }

    @Test func proposalsCloseByHeightOrByTimeWithQuorumAndThreshold() {
        var d = GovernanceDriver(c)
        let byTime = d.add("owners", .proposal(Proposal(terms: terms(.time(d.time + 2 * GovernanceCommunity.hour),
                                                                     quorum: 5_000, pass: 6_000))))
        let byHeight = d.add("party", .proposal(Proposal(terms: terms(.height(2), quorum: 5_000))))
        d.seal()
        for (who, choice) in [("wang", 0), ("li", 0), ("zhao", 1), ("sun", 0)] {
            d.add(who, .ballot(Ballot(proposal: byTime.id, choice: UInt32(choice))))
            d.add(who, .ballot(Ballot(proposal: byHeight.id, choice: UInt32(choice % 2 == 0 ? 1 : 0))))
        }
        #expect(d.seal().closedProposals == [byHeight.id])    // height 2
        #expect(d.state.tallies[byHeight.id]?.tally.votes == [1, 3])
        #expect(d.seal(after: GovernanceCommunity.hour).closedProposals == [])
        let r = d.seal(after: GovernanceCommunity.hour)        // time reached
        #expect(r.closedProposals == [byTime.id])
        let t = d.state.tallies[byTime.id]?.tally
        // 4 of 6 voted (quorum 50% met); 3 of 4 = 75% ≥ 60%.
        #expect(t?.votes == [3, 1] && t?.quorumMet == true && t?.outcome == .passed)
    }

    @Test func serviceRequestLifecycleWithReopenBreachAndSupervisionFigures() {
        var d = GovernanceDriver(c)
        let lift = d.add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "stuck", location: "Bldg 3")))
        let lamp = d.add("zhao", .serviceRequest(ServiceRequest(serviceCode: "streetlight", description: "out", location: "Gate")))
        d.seal()                                                         // t0 + 1 min
        #expect(d.check("wang", .assignment(Assignment(request: lift.id, provider: c.subject("lifts"), note: "")))?
            .contains("an assignment may be issued only by propertyManager, residentsCommittee or streetOffice") == true)
        #expect(d.check("committee", .assignment(Assignment(request: lift.id, provider: c.subject("wang"), note: "")))?
            .contains("a provider holds serviceProvider or propertyManager") == true)
        #expect(d.check("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .acknowledged, note: ""))) ==
            "service request \(lift.id.hex) is not assigned to a provider")
        d.add("manager", .assignment(Assignment(request: lift.id, provider: c.subject("lifts"), note: "")))
        d.add("committee", .assignment(Assignment(request: lamp.id, provider: c.subject("lamps"), note: "")))
        d.seal()                                                         // t0 + 2 min
        #expect(d.check("lamps", .serviceResponse(ServiceResponse(request: lift.id, status: .acknowledged, note: "")))?
            .contains("only the assigned provider") == true)
        #expect(d.check("zhao", .closure(Closure(request: lift.id, outcome: .closed, rating: 5, comment: "")))?
            .contains("only the requester") == true)
        #expect(d.check("wang", .closure(Closure(request: lift.id, outcome: .closed, rating: 5, comment: ""))) ==
            "service request \(lift.id.hex) is assigned, not resolved")
        d.add("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .acknowledged, note: "")))
        d.seal(after: 30 * 60_000)                                       // response 30 min after assignment
        d.add("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .resolvedFixed, note: "")))
        d.seal(after: 60 * 60_000)                                       // resolved 90 min after assignment
        #expect(d.check("wang", .closure(Closure(request: lift.id, outcome: .closed, rating: nil, comment: "")))?
            .contains("needs a rating") == true)
        #expect(d.check("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .inProgress, note: "")))?
            .contains("is already resolved") == true)
        d.add("wang", .closure(Closure(request: lift.id, outcome: .reopened, rating: nil, comment: "still stuck")))
        d.seal()
        #expect(d.state.serviceRequests[lift.id]?.status == .reopened && d.state.serviceRequests[lift.id]?.reopenCount == 1)
        d.add("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .resolvedFixed, note: "")))
        d.seal(after: 60 * 60_000)
        d.add("wang", .closure(Closure(request: lift.id, outcome: .closed, rating: 4, comment: "")))
        d.seal()
        #expect(d.check("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .inProgress, note: ""))) ==
            "service request \(lift.id.hex) is closed")
        // Three days on, the lamp has had no response: a breach of its 72 h default deadline.
        d.seal(after: 72 * GovernanceCommunity.hour)
        let figures = d.state.providerSupervision()
        let lifts = figures.first { $0.provider == c.subject("lifts") }
        let lamps = figures.first { $0.provider == c.subject("lamps") }
        #expect(lifts == ProviderSupervision(
            provider: c.subject("lifts"), assignments: 1, responded: 1, averageResponseMillis: 30 * 60_000, resolved: 1, fixed: 1,
            averageResolveMillis: (30 + 60 + 1 + 60) * 60_000, resolutionRateBasisPoints: 10_000, breaches: 0, ratings: 1,
            averageRatingHundredths: 400))
        #expect(lamps?.assignments == 1 && lamps?.responded == 0 && lamps?.breaches == 1 && lamps?.resolutionRateBasisPoints == 0)
    }

    @Test func volunteerHoursAndPointsAreTheSocialOrganisations() {
        var d = GovernanceDriver(c)
        #expect(d.check("committee", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "x", minutes: 60, day: 1)))?
            .contains("a volunteer record may be issued only by socialOrganization") == true)
        #expect(d.check("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("chen"), activity: "x", minutes: 60, day: 1))) ==
            "volunteer record for unknown subject \(c.subject("chen"))")
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "visits", minutes: 150, day: 1)))
        d.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "visits", minutes: 5, day: 2)))
        d.seal()
        // 10 points an hour, floored per record: 25 + 0.
        #expect(d.state.volunteerTotals(c.subject("zhao")) == VolunteerTotals(volunteer: c.subject("zhao"), records: 2, minutes: 155, points: 25))
    }

    @Test func checkpointsAndReferrals() {
        var d = GovernanceDriver(c)
        d.add("committee", .federationAdoption(FederationAdoption(document: c.federation())))
        d.seal()
        let cp = c.neighbourCheckpoint(height: 7)
        #expect(d.check("wang", .checkpoint(cp))?.contains("is not a genesis validator subject") == true)
        #expect(d.check("owners", .checkpoint(cp)) == nil)    // a validator's subject
        d.add("street", .checkpoint(cp))
        d.seal()
        #expect(d.check("committee", .checkpoint(cp))?.contains("is already recorded") == true)
        let referral = Referral(toCommunity: GovernanceCommunity.neighbour, kind: .request, reference: nil, summary: "ladder")
        #expect(d.check("elders", .referral(referral)) == nil)
        #expect(d.check("lifts", .referral(referral))?.contains("a referral may be issued only by residentsCommittee, streetOffice or socialOrganization") == true)
        #expect(d.check("committee", .referral(Referral(toCommunity: GovernanceCommunity.community, kind: .request, reference: nil,
                                                       summary: "")))?.contains("another community") == true)
    }

    @Test func noncesAreConsumedByRefusalsButNotByGapsAndReplaysAreRejected() {
        var d = GovernanceDriver(c)
        let first = d.add("wang", notice(.general))                          // refused: consumes nonce 1
        d.add("wang", .serviceRequest(ServiceRequest(serviceCode: "x", description: "", location: "")))   // nonce 2
        d.add("wang", .serviceRequest(ServiceRequest(serviceCode: "x", description: "", location: "")), nonce: 9)
        let r = d.seal()
        #expect(r.outcomes[0].rejectionReason?.contains("notice category general") == true)
        #expect(r.outcomes[1] == .applied)
        #expect(r.outcomes[2] == .rejected("nonce 9 is out of order: the signer's next nonce is 3"))
        #expect(d.state.latestNonce(of: c.key("wang").publicKey) == 2)
        // A transaction already in the chain proposed again (a new leader re-proposing it).
        d.addSigned(first)
        #expect(d.seal().outcomes == [.rejected("nonce 1 is out of order: the signer's next nonce is 3")])
        #expect(d.state.rejectedCount == 3 && d.state.appliedCount == 1)
    }

    @Test func theStateAndItsDigestAreAFunctionOfTheBlocks() {
        var a = GovernanceDriver(c)
        a.add("committee", .proposal(Proposal(terms: terms(.height(2)))))
        a.add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "", location: "")))
        a.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "x", minutes: 60, day: 1)))
        a.seal()
        a.seal()
        var replay = GovernanceState(genesis: c.genesis)
        for block in a.blocks { #expect(replay.apply(block) != nil) }
        #expect(replay.digest == a.state.digest)
        #expect(replay.apply(a.blocks[0]) == nil)    // not the next block: nothing changes
        #expect(replay.digest == a.state.digest)
        #expect(GovernanceState(genesis: c.genesis).digest != a.state.digest)
        // Own checkpoints every 4 blocks.
        a.seal(); a.seal()
        #expect(a.state.hasCheckpoint(community: GovernanceCommunity.community, height: 4, headerHash: a.blocks[3].header.hash))
    }
}
