import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// Applying committed blocks: every transaction kind, the queries, rejections, exactly-once.
@Suite struct StateDatabaseTests {
    let c = StateTestCommunity()

    @Test func genesisIsRecordedOnCreation() throws {
        try withScratch("genesis") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            #expect(try db.appliedHeight == 0)
            let head = try db.head()
            #expect(head.hash == c.genesis.hash)
            #expect(head.time == StateTestCommunity.startTime)
            let wang = try #require(try db.subject(c.subject("wang")))
            #expect(wang.displayName == "Wang (resident)")
            #expect(wang.roles == RoleSet([.resident]))
            #expect(wang.isActive && wang.registeredHeight == 0)
            #expect(try db.subject(c.subject("chen")) == nil)
            #expect(try db.subjects(withRole: .resident).count == 4)
            #expect(try db.subjects(withRole: .serviceProvider).map(\.id).sorted() == [c.subject("lifts"), c.subject("lamps")].sorted())
            // Reopening does not record genesis twice.
            try db.close()
            let again = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            #expect(try again.subjects(withRole: .resident).count == 4)
        }
    }

    @Test func durabilitySettings() throws {
        try withScratch("pragmas") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            #expect(try db.writerPragma("journal_mode") == "wal")
            #expect(try db.writerPragma("synchronous") == "2")  // FULL
        }
    }

    @Test func digestCoversEveryTable() throws {
        try withScratch("tables") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            #expect(try db.tableNames() == StateSchema.digestOrder.map(\.table).sorted())
        }
    }

    @Test func everyTransactionKindApplies() throws {
        let chain = GovernanceChain(c)
        try withScratch("kinds") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            var closedAt: [UInt64: [Hash]] = [:]
            var referralStatus: [String] = [], incomingStatus: [String?] = []
            for block in chain.blocks {
                let a = try db.applyExpectingNew(block)
                #expect(a.rejections == [], "block \(block.height): \(a.rejections)")
                #expect(a.appliedCount == block.block.transactions.count)
                closedAt[block.height] = a.closedProposals
                referralStatus.append(try db.referrals(id: chain.referral)?.status ?? "none")
                incomingStatus.append(try db.incomingReferral(chain.neighbourReferral.id)?.status)
            }
            // Our referral: made in block 2, delivered in block 3, answered in block 5; the neighbour's: received in 3, answered in 4.
            #expect(referralStatus == ["none", "referred", "delivered", "delivered", "answered"])
            #expect(incomingStatus == [nil, nil, "received", "answered", "answered"])
            #expect(try db.appliedHeight == 5)
            #expect(try db.head().hash == chain.blocks[4].header.hash)
            #expect(closedAt[4] == [chain.proposal])
            #expect(closedAt[3] == [])

            // Every kind is in the transactions table, all applied.
            let kinds = Set(try (1...5).flatMap { try db.transactions(height: $0) }.map(\.kind))
            #expect(kinds == Set(TransactionKind.allCases))
            #expect(try db.rejectedTransactions() == [])
            let first = try #require(try db.transactions(id: chain.lift).first)
            #expect(first.height == 1 && first.index == 3 && first.kind == .serviceRequest && first.isApplied)
            #expect(try db.latestNonce(of: c.key("committee").publicKey) == 8)
            #expect(try db.latestNonce(of: c.key("wang").publicKey) == 3)
            #expect(try db.latestNonce(of: c.key("mallory").publicKey) == 0)

            // Registration: register, update, revoke.
            let chen = try #require(try db.subject(c.subject("chen")))
            #expect(chen.displayName == "Chen Jing (resident)" && chen.roles == RoleSet([.resident, .socialOrganization]))
            #expect(chen.registeredHeight == 1 && chen.updatedHeight == 3 && chen.isActive)
            let sun = try #require(try db.subject(c.subject("sun")))
            #expect(!sun.isActive && sun.roles.isEmpty && sun.updatedHeight == 3)
            #expect(try db.subjects(withRole: .resident).map(\.id).sorted() == ["wang", "li", "zhao", "chen"].map(c.subject).sorted())

            // Notices: a chain of three versions, only the last current.
            let current = try db.currentNotices()
            #expect(current.map(\.id) == [chain.notices[3], chain.notices[2]])  // newest first
            #expect(try db.currentNotices(category: .finance).map(\.id) == [chain.notices[2]])
            let versions = try db.noticeChain(containing: chain.notices[1])
            #expect(versions.map(\.id) == Array(chain.notices[0...2]))
            #expect(versions.map(\.version) == [1, 2, 3])
            #expect(versions.map(\.chainRoot) == Array(repeating: chain.notices[0], count: 3))
            #expect(versions[0].supersededBy == chain.notices[1] && versions[1].supersededBy == chain.notices[2])
            #expect(versions[2].supersedes == chain.notices[1] && versions[2].isCurrent)
            #expect(versions[0].attachments == [Hashing.sha256(Array("q1-accounts.pdf".utf8))])
            #expect(versions[0].issuer == c.subject("owners") && versions[0].category == .finance)

            // Proposal: electorate fixed at opening (four residents and Chen,
            // registered earlier in the same block); Zhao's second ballot
            // replaced the first; Wang's ballot in the closing block counts.
            let p = try #require(try db.proposal(chain.proposal))
            #expect(!p.isOpen && p.closedHeight == 4)
            #expect(p.options == ["yes", "no", "abstain"] && p.endorsementCount == 2)
            #expect(p.electorateSize == 5)
            let electorate = ["wang", "li", "zhao", "sun", "chen"].map(c.subject).sorted()
            #expect(p.electorateRoot == Merkle.root(electorate.map { Merkle.leafHash($0.raw.bytes) }))
            #expect(p.ballotsCast == 4)
            let tally = try #require(p.tally)
            #expect(tally.votes == [3, 0, 1])
            #expect(tally.ballotsCast == 4 && tally.electorateSize == 5 && tally.quorumMet)
            #expect(tally.leadingOption == 0 && tally.outcome == .passed)
            #expect(p.closedTime == chain.blocks[3].header.time)
            #expect(try db.openProposals() == [])

            // Service requests through closure with a rating.
            let lift = try #require(try db.serviceRequest(chain.lift))
            #expect(lift.status == .closed && lift.resolution == .fixed && lift.rating == 5)
            #expect(lift.provider == c.subject("lifts") && lift.assignmentCount == 1)
            #expect(lift.requestedTime == chain.blocks[0].header.time)
            #expect(lift.deadline == chain.blocks[0].header.time + 4 * StateTestCommunity.hour)
            #expect(lift.firstResponseTime == chain.blocks[2].header.time)
            #expect(lift.resolvedTime == chain.blocks[3].header.time)
            #expect(lift.closedTime == chain.blocks[4].header.time)
            let lamp = try #require(try db.serviceRequest(chain.lamp))
            #expect(lamp.status == .inProgress && lamp.resolution == nil && lamp.rating == nil)
            #expect(try db.serviceRequests(status: .closed).map(\.id) == [chain.lift])
            #expect(try db.serviceRequests().map(\.id) == [chain.lift, chain.lamp])

            // Supervision: lifts answered in 30 min and fixed it 2 h 30 min
            // after assignment; lamps answered after its 48 h deadline.
            let lifts = try #require(try db.providerSupervision(c.subject("lifts")).first)
            #expect(lifts == ProviderSupervision(
                provider: c.subject("lifts"), assignments: 1, responded: 1, averageResponseMillis: 30 * 60_000,
                resolved: 1, fixed: 1, averageResolveMillis: 150 * 60_000, resolutionRateBasisPoints: 10_000,
                breaches: 0, ratings: 1, averageRatingHundredths: 500))
            let lamps = try #require(try db.providerSupervision(c.subject("lamps")).first)
            #expect(lamps == ProviderSupervision(
                provider: c.subject("lamps"), assignments: 1, responded: 1,
                averageResponseMillis: chain.blocks[4].header.time - chain.blocks[1].header.time,
                resolved: 0, fixed: 0, averageResolveMillis: nil, resolutionRateBasisPoints: 0,
                breaches: 1, ratings: 0, averageRatingHundredths: nil))
            #expect(try db.providerSupervision().count == 2)

            // Volunteer points: 10 per hour, floor per record.
            #expect(try db.volunteerTotals(c.subject("zhao")) == VolunteerTotals(volunteer: c.subject("zhao"), records: 2, minutes: 210, points: 35))
            #expect(try db.volunteerTotals(c.subject("chen")) == VolunteerTotals(volunteer: c.subject("chen"), records: 1, minutes: 45, points: 7))
            #expect(try db.volunteerTotals(c.subject("wang")).records == 0)
            #expect(try db.volunteerRanking().map(\.volunteer) == [c.subject("zhao"), c.subject("chen")])

            // Checkpoints: the neighbour's, received at height 2, and our own every 4 blocks.
            let theirs = try db.checkpoints(of: CommunityID("hehua-north")!)
            let received = chain.blocks[1].block.transactions[7]
            #expect(received.kind == .checkpoint)
            #expect(theirs == [CheckpointRecord(community: CommunityID("hehua-north")!, height: 40, headerHash: chain.checkpoint.headerHash,
                                                genesisHash: chain.checkpoint.genesisHash, isOwn: false, recordedHeight: 2,
                                                recordedTime: chain.blocks[1].header.time, recordedIndex: 7, transaction: received.id, submitter: c.subject("street"),
                                                votes: chain.checkpoint.certificate.votes.count,
                                                certificate: chain.checkpoint.certificate.encoded())])
            let ours = try db.checkpoints(of: c.community)
            #expect(ours == [CheckpointRecord(community: c.community, height: 4, headerHash: chain.blocks[3].header.hash,
                                              genesisHash: c.genesis.hash, isOwn: true, recordedHeight: 4,
                                              recordedTime: chain.blocks[3].header.time, recordedIndex: nil,
                                              transaction: nil, submitter: nil, votes: nil, certificate: nil)])

            // Referrals across the city. Ours to the neighbour: its receipt (their height 42) relayed back in
            // block 3, its answer (their height 44) in block 5, each step with where it was recorded here.
            let north = StateTestCommunity.north
            let neighbourGateway = StateTestCommunity.neighbour.subject("street")
            let referral = try #require(try db.referrals(id: chain.referral))
            #expect(referral.toCommunity == north && referral.height == 2 && referral.index == 8 && referral.referenceKind == .serviceRequest)
            #expect(referral.delivered == ReferralStep(theirHeight: 42, theirTransaction: chain.neighbourReceipt.id, recordedHeight: 3,
                                                       recordedTime: chain.blocks[2].header.time, transaction: chain.delivered.id))
            #expect(referral.answer == ReferralReply(accepted: false, note: "No contractor free until May.", answerer: neighbourGateway))
            #expect(referral.answered == ReferralStep(theirHeight: 44, theirTransaction: chain.neighbourAnswer.id, recordedHeight: 5,
                                                      recordedTime: chain.blocks[4].header.time, transaction: chain.answered.id))
            #expect(referral.status == "answered")
            #expect(try db.referrals() == [referral] && db.referrals(to: north) == [referral])
            #expect(try db.unansweredReferrals() == [])
            // The neighbour's to us: received from their height 41 by the relay at block 3 index 5, answered in block 4.
            let incoming = IncomingReferralEntry(
                id: chain.neighbourReferral.id, fromCommunity: north, theirHeight: 41, theirTime: StateTestCommunity.startTime + 41_000,
                referrer: neighbourGateway, kind: .resource, reference: nil, summary: "Two spare wheelchairs.", recordedHeight: 3,
                recordedTime: chain.blocks[2].header.time, recordedIndex: 5, transaction: chain.received.id,
                answer: ReferralReply(accepted: true, note: "Collect them at the activity room.", answerer: c.subject("elders")),
                answerHeight: 4, answerTime: chain.blocks[3].header.time, answerTransaction: chain.answer.id)
            #expect(try db.incomingReferral(chain.neighbourReferral.id) == incoming)
            #expect(try db.incomingReferrals() == [incoming] && db.incomingReferrals(from: north) == [incoming])
            #expect(try db.incomingReferrals(from: CommunityID("baihe")!) == [])
            #expect(try db.incomingReferral(chain.referral) == nil && db.referrals(id: chain.neighbourReferral.id) == nil)
        }
    }

    @Test func impossibleTransactionsAreRejectedAndChangeNothing() throws {
        let chain = GovernanceChain(c)
        var b = chain.builder
        let unknown = Hashing.sha256(Array("nothing".utf8))
        let replay = chain.blocks[1].block.transactions[1]  // Li's ballot, again
        b.add("li", .ballot(Ballot(proposal: chain.proposal, choice: 0)))                        // proposal closed
        b.add("li", .ballot(Ballot(proposal: unknown, choice: 0)))                               // unknown proposal
        b.add("owners", .notice(Notice(category: .finance, title: "x", body: "y", supersedes: unknown)))             // unknown notice
        b.add("owners", .notice(Notice(category: .finance, title: "x", body: "y", supersedes: chain.notices[0])))    // already superseded
        b.add("wang", .closure(Closure(request: unknown, outcome: .closed, rating: 1, comment: "")))                 // unknown request
        b.add("wang", .closure(Closure(request: chain.lift, outcome: .closed, rating: 1, comment: "")))              // already closed
        b.add("zhao", .closure(Closure(request: chain.lamp, outcome: .closed, rating: 1, comment: "")))              // not resolved
        b.add("lifts", .serviceResponse(ServiceResponse(request: chain.lift, status: .acknowledged, note: "")))       // closed
        b.add("committee", .assignment(Assignment(request: unknown, provider: c.subject("lifts"), note: "")))        // unknown request
        b.add("committee", .assignment(Assignment(request: chain.lamp, provider: c.subject("mallory"), note: "")))   // unknown provider
        b.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("mallory"), activity: "x", minutes: 60, day: 1)))
        b.add("street", .checkpoint(chain.checkpoint))                                                             // duplicate
        b.add("committee", .registration(Registration(action: .register, subject: c.key("wang").publicKey, displayName: "W",
                                                      unit: "", roles: RoleSet([.resident]))))                      // already registered
        b.add("committee", .registration(Registration(action: .update, subject: c.key("mallory").publicKey, displayName: "M",
                                                      unit: "", roles: RoleSet([.resident]))))                      // unknown
        b.add("committee", .registration(Registration(action: .revoke, subject: c.key("sun").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))                                 // already revoked
        b.addSigned(replay)                                                                                         // nonce replay
        b.add("zhao", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "x", minutes: 60, day: 1)), nonce: 99)  // nonce gap
        b.add("wang", .notice(Notice(category: .general, title: "elsewhere", body: "")), community: CommunityID("hehua-north")!)
        let bad = b.seal()

        try withScratch("rejections") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in chain.blocks { try db.applyExpectingNew(block) }
            let bookkeeping: Set<String> = ["meta", "blocks", "transactions", "signer_nonces"]
            let before = try db.stateDigest(excluding: bookkeeping)
            let noncesBefore = try ["wang", "zhao", "li"].map { try db.latestNonce(of: c.key($0).publicKey) }

            let a = try db.applyExpectingNew(bad)
            #expect(a.appliedCount == 0)
            #expect(a.rejections.map(\.index) == Array(0..<bad.block.transactions.count))
            #expect(try db.stateDigest(excluding: bookkeeping) == before)
            #expect(try db.appliedHeight == 6)

            let reasons = try db.transactions(height: 6).map { $0.rejectionReason ?? "APPLIED" }
            let expected = [
                "closed at height 4", "ballot for unknown proposal", "supersedes unknown notice", "is already superseded by",
                "unknown service request", "is closed", "is inProgress, not resolved", "is closed", "unknown service request",
                "assignment to unknown provider", "volunteer record for unknown subject", "is already recorded",
                "is already registered", "update of unknown subject", "is already revoked",
                "nonce 1 is out of order", "nonce 99 is out of order", "belongs to community 'hehua-north'",
            ]
            #expect(reasons.count == expected.count)
            for (reason, fragment) in zip(reasons, expected) {
                #expect(reason.contains(fragment), "\(reason) should mention \(fragment)")
            }
            // A rejected payload consumes its nonce; a bad nonce or foreign community does not.
            let noncesAfter = try ["wang", "zhao", "li"].map { try db.latestNonce(of: c.key($0).publicKey) }
            #expect(noncesAfter == [noncesBefore[0] + 2, noncesBefore[1] + 1, noncesBefore[2] + 2])
            // The replay is recorded twice under the same ID: applied once, rejected once.
            let records = try db.transactions(id: replay.id)
            #expect(records.map(\.isApplied) == [true, false] && records.map(\.height) == [2, 6])
        }
    }

    @Test func ballotsOutsideTheElectorateOrOptionsAreRejected() throws {
        var b = ChainBuilder(c)
        let terms = ProposalTerms(title: "Owners only", description: "", options: ["a", "b"], eligibleRoles: RoleSet([.ownersCommittee]),
                                  closing: .height(3), quorumBasisPoints: 0, passBasisPoints: 5_000)
        let p = b.add("owners", .proposal(Proposal(terms: terms)))
        b.seal()
        b.add("wang", .ballot(Ballot(proposal: p.id, choice: 0)))    // a resident, not an owner
        b.add("li", .ballot(Ballot(proposal: p.id, choice: 2)))      // no option 2
        b.add("li", .ballot(Ballot(proposal: p.id, choice: 1)))
        b.add("owners", .ballot(Ballot(proposal: p.id, choice: 1)))
        b.seal()
        b.seal()
        try withScratch("electorate") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in b.blocks { try db.applyExpectingNew(block) }
            let reasons = try db.transactions(height: 2).map(\.rejectionReason)
            #expect(reasons[0]?.contains("is not in the electorate") == true)
            #expect(reasons[1]?.contains("choice 2 is not an option") == true)
            #expect(reasons[2] == nil && reasons[3] == nil)
            let tally = try #require(try db.proposal(p.id)?.tally)
            #expect(tally.electorateSize == 2 && tally.votes == [0, 2] && tally.outcome == .passed && tally.leadingOption == 1)
        }
    }

    @Test func eachBlockAppliesExactlyOnce() throws {
        let chain = GovernanceChain(c)
        try withScratch("exactly-once") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in chain.blocks.prefix(3) { try db.applyExpectingNew(block) }
            let digest = try db.stateDigest()
            for block in chain.blocks.prefix(3) {
                #expect(try db.apply(block) == .alreadyApplied(height: block.height))
            }
            #expect(try db.stateDigest() == digest)
            #expect(try db.appliedHeight == 3)

            // A gap is an error, and changes nothing.
            let gap = storageFailure { _ = try db.apply(chain.blocks[4]) }
            guard case let .invalidArgument(why) = gap else { Issue.record("gap: \(String(describing: gap))"); return }
            #expect(why.contains("gap"))
            // A different block at an applied height is a fork, not a duplicate.
            var other = chain.blocks[1]
            other.block.header.time += 1
            let fork = storageFailure { _ = try db.apply(other) }
            guard case .inconsistent = fork else { Issue.record("fork: \(String(describing: fork))"); return }
            // A block that does not extend the head.
            var stray = chain.blocks[3]
            stray.block.header.previous = Hashing.sha256([9])
            let strayFailure = storageFailure { _ = try db.apply(stray) }
            guard case .inconsistent = strayFailure else { Issue.record("stray: \(String(describing: strayFailure))"); return }
            // Another community's block.
            var foreign = chain.blocks[3]
            foreign.block.header.community = CommunityID("hehua-north")!
            let foreignFailure = storageFailure { _ = try db.apply(foreign) }
            guard case .invalidArgument = foreignFailure else { Issue.record("foreign: \(String(describing: foreignFailure))"); return }
            #expect(try db.stateDigest() == digest)
            #expect(try db.appliedHeight == 3)

            try db.applyExpectingNew(chain.blocks[3])
            #expect(try db.appliedHeight == 4)
        }
    }

    @Test func sameBlocksGiveTheSameDigest() throws {
        let chain = GovernanceChain(c)
        try withScratch("digest") { dir in
            let a = try StateDatabase.open(path: dir + "/a.sqlite", genesis: c.genesis)
            let b = try StateDatabase.open(path: dir + "/b.sqlite", genesis: c.genesis)
            #expect(try a.stateDigest() == b.stateDigest())
            var digests: Set<Hash> = [try a.stateDigest()]
            for block in chain.blocks {
                try a.applyExpectingNew(block)
                try b.applyExpectingNew(block)
                #expect(try a.stateDigest() == b.stateDigest())
                digests.insert(try a.stateDigest())
            }
            #expect(digests.count == chain.blocks.count + 1)
            // Another genesis gives another digest from the start.
            let other = StateTestCommunity(seed: 2)
            let d = try StateDatabase.open(path: dir + "/d.sqlite", genesis: other.genesis)
            #expect(try !digests.contains(d.stateDigest()))
        }
    }

    @Test func proposalsCloseByTime() throws {
        var b = ChainBuilder(c)
        let closeAt = StateTestCommunity.startTime + 3 * 60_000
        let terms = ProposalTerms(title: "Bike shed colour", description: "", options: ["green", "red"], eligibleRoles: RoleSet([.resident]),
                                  closing: .time(closeAt), quorumBasisPoints: 5_000, passBasisPoints: 5_001)
        let p = b.add("committee", .proposal(Proposal(terms: terms)))
        b.seal(after: 60_000)                                           // t = +1 min
        b.add("wang", .ballot(Ballot(proposal: p.id, choice: 0)))
        b.add("li", .ballot(Ballot(proposal: p.id, choice: 1)))
        b.seal(after: 60_000)                                           // +2 min: still open
        b.add("zhao", .ballot(Ballot(proposal: p.id, choice: 0)))
        b.seal(after: 60_000)                                           // +3 min: counts, then closes
        b.add("sun", .ballot(Ballot(proposal: p.id, choice: 1)))
        b.seal(after: 60_000)                                           // +4 min: too late
        try withScratch("closing-time") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            #expect(try db.applyExpectingNew(b.blocks[0]).closedProposals == [])
            #expect(try db.applyExpectingNew(b.blocks[1]).closedProposals == [])
            #expect(try db.applyExpectingNew(b.blocks[2]).closedProposals == [p.id])
            #expect(try db.applyExpectingNew(b.blocks[3]).rejections.count == 1)
            let record = try #require(try db.proposal(p.id))
            #expect(record.closedHeight == 3 && record.closing == .time(closeAt))
            // 3 of 4 residents voted: quorum; green has 2/3 ≥ 50.01 %.
            #expect(record.tally == Tally(votes: [2, 1], electorateSize: 4, quorumBasisPoints: 5_000, passBasisPoints: 5_001))
            #expect(record.tally?.outcome == .passed)
        }
    }
}
