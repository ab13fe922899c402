import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import Foundation
import Testing

/// Tallies at their quorum and threshold edges, and supervision figures.
@Suite struct StateDatabaseTallyTests {
    let c = StateTestCommunity(extraResidents: 6)  // 4 + 6 = 10 residents

    func tally(_ votes: [UInt64], of electorate: UInt64, quorum: UInt32, pass: UInt32) -> Tally {
        Tally(votes: votes, electorateSize: electorate, quorumBasisPoints: quorum, passBasisPoints: pass)
    }

    @Test func quorumEdges() {
        // 5 of 10 ballots is exactly 50 %.
        #expect(tally([3, 2], of: 10, quorum: 5_000, pass: 5_000).quorumMet)
        #expect(tally([3, 1], of: 10, quorum: 5_000, pass: 5_000).outcome == .noQuorum)
        // One basis point above needs one more ballot.
        #expect(!tally([3, 2], of: 10, quorum: 5_001, pass: 5_000).quorumMet)
        // 100 % quorum needs everyone; 0 % needs no one.
        #expect(tally([6, 4], of: 10, quorum: 10_000, pass: 5_000).outcome == .passed)
        #expect(tally([6, 3], of: 10, quorum: 10_000, pass: 5_000).outcome == .noQuorum)
        #expect(tally([1, 0], of: 10, quorum: 0, pass: 5_000).outcome == .passed)
        // No ballots: quorum 0 is met but nothing leads.
        let empty = tally([0, 0, 0], of: 10, quorum: 0, pass: 1)
        #expect(empty.quorumMet && empty.leadingOption == nil && empty.outcome == .belowThreshold)
        // An empty electorate.
        #expect(tally([0, 0], of: 0, quorum: 5_000, pass: 5_000).outcome == .belowThreshold)
        // No overflow with huge counts.
        #expect(tally([UInt64.max / 2, 0], of: UInt64.max, quorum: 5_000, pass: 10_000).outcome == .noQuorum)
        #expect(tally([UInt64.max / 2, 1], of: UInt64.max / 2 + 1, quorum: 10_000, pass: 10_000).outcome == .belowThreshold)
    }

    @Test func thresholdEdges() {
        // Two thirds: 2 of 3 is 6,666.67 bp, so 6,667 fails and 6,666 passes.
        #expect(tally([2, 1], of: 3, quorum: 0, pass: 6_667).outcome == .belowThreshold)
        #expect(tally([2, 1], of: 3, quorum: 0, pass: 6_666).outcome == .passed)
        // Exactly half passes at 5,000 and fails at 5,001.
        #expect(tally([2, 1, 1], of: 4, quorum: 0, pass: 5_000).outcome == .passed)
        #expect(tally([2, 1, 1], of: 4, quorum: 0, pass: 5_001).outcome == .belowThreshold)
        // Unanimity.
        #expect(tally([5, 0], of: 5, quorum: 0, pass: 10_000).outcome == .passed)
        #expect(tally([5, 1], of: 6, quorum: 0, pass: 10_000).outcome == .belowThreshold)
        // A tie for the lead does not pass, whatever the threshold.
        let tie = tally([2, 2, 1], of: 5, quorum: 0, pass: 1)
        #expect(tie.outcome == .tie && tie.leadingOption == nil)
        // A tie below the lead is not a tie.
        #expect(tally([3, 1, 1], of: 5, quorum: 0, pass: 5_000).outcome == .passed)
        // A failed quorum reports noQuorum even when the lead would pass.
        #expect(tally([1, 0], of: 10, quorum: 2_000, pass: 5_000).outcome == .noQuorum)
        #expect(tally([1, 0], of: 10, quorum: 2_000, pass: 5_000).leadingOption == 0)
    }

    /// The same edges through the database: the electorate is fixed at
    /// opening (later registrations and revocations do not move it), and a
    /// replaced ballot counts once.
    @Test func talliesRecordedAtClose() throws {
        var b = ChainBuilder(c)
        let residents = ["wang", "li", "zhao", "sun"] + (0..<6).map { "resident\($0)" }
        func open(_ title: String, quorum: UInt32, pass: UInt32, options: Int = 2) -> Hash {
            let terms = ProposalTerms(title: title, description: "", options: (0..<options).map { "\($0)" },
                                      eligibleRoles: RoleSet([.resident]), closing: .height(3),
                                      quorumBasisPoints: quorum, passBasisPoints: pass)
            return b.add("committee", .proposal(Proposal(terms: terms))).id
        }
        let exactQuorum = open("5 of 10 at 50 %", quorum: 5_000, pass: 5_000)
        let shortQuorum = open("4 of 10 at 50 %", quorum: 5_000, pass: 5_000)
        let twoThirds = open("2 of 3 at 6,667", quorum: 0, pass: 6_667)
        let tie = open("tie", quorum: 0, pass: 1, options: 3)
        let empty = open("nobody votes", quorum: 0, pass: 5_000)
        b.seal()
        func vote(_ p: Hash, _ choices: [Int]) {
            for (who, choice) in zip(residents, choices) { b.add(who, .ballot(Ballot(proposal: p, choice: UInt32(choice)))) }
        }
        vote(exactQuorum, [0, 0, 0, 1, 1])
        vote(shortQuorum, [0, 0, 0, 0])
        vote(twoThirds, [1, 1, 1])        // replaced below
        vote(tie, [0, 1, 0, 1, 2])
        // Registrations after opening do not change the electorate.
        b.add("committee", .registration(Registration(action: .register, subject: c.key("chen").publicKey, displayName: "Chen",
                                                      unit: "", roles: RoleSet([.resident]))))
        b.add("committee", .registration(Registration(action: .revoke, subject: c.key("resident5").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        b.seal()
        vote(twoThirds, [0, 0])           // wang and li change their minds: 2 for option 0, 1 for option 1
        b.add("chen", .ballot(Ballot(proposal: exactQuorum, choice: 0)))  // not in the electorate
        b.seal()

        try withScratch("tallies") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in b.blocks { try db.applyExpectingNew(block) }
            let rejected = try db.rejectedTransactions()
            #expect(rejected.count == 1 && rejected[0].rejectionReason?.contains("electorate") == true)
            func result(_ id: Hash) throws -> Tally { try #require(try db.proposal(id)?.tally) }
            #expect(try result(exactQuorum) == Tally(votes: [3, 2], electorateSize: 10, ballotsCast: 5, quorumMet: true,
                                                     leadingOption: 0, outcome: .passed))
            #expect(try result(shortQuorum).outcome == .noQuorum)
            #expect(try result(shortQuorum).ballotsCast == 4)
            #expect(try result(twoThirds) == Tally(votes: [2, 1], electorateSize: 10, ballotsCast: 3, quorumMet: true,
                                                   leadingOption: 0, outcome: .belowThreshold))
            #expect(try result(tie).outcome == .tie)
            #expect(try result(tie).votes == [2, 2, 1])
            #expect(try result(empty) == Tally(votes: [0, 0], electorateSize: 10, ballotsCast: 0, quorumMet: true,
                                               leadingOption: nil, outcome: .belowThreshold))
            #expect(try db.proposal(exactQuorum)?.electorateSize == 10)
        }
    }

    /// Reassignment, reopening and a request nobody answers.
    @Test func supervisionFigures() throws {
        var b = ChainBuilder(c)
        let hour = StateTestCommunity.hour
        // Block 1: three elevator requests (4 h deadline) and one with the 72 h default.
        let r1 = b.add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "", location: "A"))).id
        let r2 = b.add("li", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "", location: "B"))).id
        let r3 = b.add("zhao", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "", location: "C"))).id
        let r4 = b.add("sun", .serviceRequest(ServiceRequest(serviceCode: "sanitation", description: "", location: "D"))).id
        b.seal(after: 0)
        let t0 = b.time
        // Block 2 (+1 h): all assigned, r1–r3 to lifts, r4 to lamps.
        for r in [r1, r2, r3] { b.add("committee", .assignment(Assignment(request: r, provider: c.subject("lifts"), note: ""))) }
        b.add("committee", .assignment(Assignment(request: r4, provider: c.subject("lamps"), note: "")))
        b.seal(after: hour)
        // Block 3 (+2 h): lifts fixes r1; acknowledges r2.
        b.add("lifts", .serviceResponse(ServiceResponse(request: r1, status: .resolvedFixed, note: "")))
        b.add("lifts", .serviceResponse(ServiceResponse(request: r2, status: .acknowledged, note: "")))
        b.seal(after: hour)
        // Block 4 (+5 h, past the 4 h deadline): r1 reopened with 2 stars; lifts says r2 is not its job;
        // r3 (never answered) goes to lamps.
        b.add("wang", .closure(Closure(request: r1, outcome: .reopened, rating: 2, comment: "Broke again")))
        b.add("lifts", .serviceResponse(ServiceResponse(request: r2, status: .resolvedNotResponsible, note: "")))
        b.add("committee", .assignment(Assignment(request: r3, provider: c.subject("lamps"), note: "")))
        b.seal(after: 3 * hour)
        // Block 5 (+6 h): lifts fixes r1 again; li closes r2 with 1 star; lamps fixes r3.
        b.add("lifts", .serviceResponse(ServiceResponse(request: r1, status: .resolvedFixed, note: "")))
        b.add("li", .closure(Closure(request: r2, outcome: .closed, rating: 1, comment: "")))
        b.add("lamps", .serviceResponse(ServiceResponse(request: r3, status: .resolvedFixed, note: "")))
        b.seal(after: hour)
        // Block 6 (+7 h): wang closes r1 with 4 stars; zhao closes r3 with 5.
        b.add("wang", .closure(Closure(request: r1, outcome: .closed, rating: 4, comment: "")))
        b.add("zhao", .closure(Closure(request: r3, outcome: .closed, rating: 5, comment: "")))
        b.seal(after: hour)

        try withScratch("supervision") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in b.blocks { #expect(try db.applyExpectingNew(block).rejections == []) }
            // lifts: r1 (answered after 1 h, resolved at +6 h after assignment at +1 h → 5 h),
            // r2 (answered after 1 h, resolved not-responsible after 4 h), r3 (no answer; ended at +5 h → breach).
            let lifts = try #require(try db.providerSupervision(c.subject("lifts")).first)
            #expect(lifts == ProviderSupervision(
                provider: c.subject("lifts"), assignments: 3, responded: 2, averageResponseMillis: hour,
                resolved: 2, fixed: 1, averageResolveMillis: (5 * hour + 4 * hour) / 2, resolutionRateBasisPoints: 6_666,
                breaches: 1, ratings: 2, averageRatingHundredths: 250))
            // lamps: r4 (never answered: breached once block time passed t0 + 72 h? not yet), r3 (answered at +6 h, after the 4 h deadline).
            let lamps = try #require(try db.providerSupervision(c.subject("lamps")).first)
            #expect(lamps == ProviderSupervision(
                provider: c.subject("lamps"), assignments: 2, responded: 1, averageResponseMillis: hour,
                resolved: 1, fixed: 1, averageResolveMillis: hour, resolutionRateBasisPoints: 5_000,
                breaches: 1, ratings: 1, averageRatingHundredths: 500))
            let r1Record = try #require(try db.serviceRequest(r1))
            #expect(r1Record.status == .closed && r1Record.reopenCount == 1 && r1Record.rating == 4)
            #expect(r1Record.firstResponseTime == t0 + 2 * hour)
            let r3Record = try #require(try db.serviceRequest(r3))
            #expect(r3Record.provider == c.subject("lamps") && r3Record.assignmentCount == 2)

            // Three days on, r4's 72 h deadline has passed without an answer: one more breach for lamps.
            var later = b
            later.seal(after: 72 * hour)
            try db.applyExpectingNew(later.blocks.last!)
            #expect(try db.providerSupervision(c.subject("lamps")).first?.breaches == 2)
        }
    }

    /// Block time is the leader's; if it ever runs backwards, figures stay
    /// non-negative and nothing reads as corrupt.
    @Test func blockTimeRunningBackwards() throws {
        var b = ChainBuilder(c)
        let r = b.add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "", location: "A"))).id
        b.add("committee", .assignment(Assignment(request: r, provider: c.subject("lifts"), note: "")))
        b.seal(after: StateTestCommunity.hour)
        b.add("lifts", .serviceResponse(ServiceResponse(request: r, status: .resolvedFixed, note: "")))
        b.seal(at: StateTestCommunity.startTime)
        try withScratch("backwards") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in b.blocks { try db.applyExpectingNew(block) }
            let lifts = try #require(try db.providerSupervision(c.subject("lifts")).first)
            #expect(lifts.averageResponseMillis == 0 && lifts.averageResolveMillis == 0 && lifts.breaches == 0)
        }
    }
}
