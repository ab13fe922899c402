import CivitasCodec
import CivitasLedger
@testable import CivitasStorage
import CivitasTestSupport
import Testing

/// The rules are written once (`GovernanceRules.check`) but read through two
/// readers and applied by two writers: the in-memory `GovernanceState` and
/// the state database. Random workloads — many of them breaking the rules —
/// must come out the same in both, transaction by transaction.
@Suite("Governance differential")
struct GovernanceDifferentialTests {
    let c = StateTestCommunity(seed: 7, extraResidents: 12)

    /// A workload where anybody tries anything: random signers (outsiders
    /// included) for every kind, corrections of anyone's notices, resident
    /// proposals with random co-signers, ballots, the whole service lifecycle
    /// with wrong actors, volunteer records, checkpoints, referrals,
    /// registrations, nonce gaps and replays of earlier transactions.
    func workload(seed: UInt64, blocks: Int, perBlock: Int) -> [SealedBlock] {
        var rng = SplitMix64(seed: seed)
        var b = ChainBuilder(c)
        let everyone = c.keys.keys.sorted()
        let residents = everyone.filter { $0.hasPrefix("resident") } + ["wang", "zhao", "sun", "li"]
        let organisations = ["committee", "party", "owners", "manager", "street", "elders", "lifts", "lamps"]
        var notices: [Hash] = []
        var proposals: [(id: Hash, options: Int)] = []
        var requests: [(id: Hash, requester: String)] = []
        var history: [Transaction] = []
        func pick(_ names: [String]) -> String { names[rng.int(0...(names.count - 1))] }
        func anyone() -> String { rng.chance(50) ? pick(organisations) : pick(everyone) }
        for _ in 0..<blocks {
            for _ in 0..<perBlock {
                let tx: Transaction
                switch rng.int(0...99) {
                case 0..<12:
                    let category = Notice.Category.allCases[rng.int(0...4)]
                    let supersedes = notices.isEmpty || rng.chance(60) ? nil : notices[rng.int(0...(notices.count - 1))]
                    tx = b.add(anyone(), .notice(Notice(category: category, title: "Notice", body: "text", supersedes: supersedes)))
                    notices.append(tx.id)
                case 12..<20:
                    let options = rng.int(2...4)
                    let closing: ClosingRule = rng.chance(50)
                        ? .height(b.nextHeight + UInt64(rng.int(0...5)))
                        : .time(b.time + UInt64(rng.int(0...900)) * 1000)
                    let terms = ProposalTerms(title: "Proposal", description: "", options: (0..<options).map { "option \($0)" },
                                              eligibleRoles: RoleSet(rng.chance(70) ? [.resident] : [.resident, .ownersCommittee]),
                                              closing: closing, quorumBasisPoints: UInt32(rng.int(0...6_000)),
                                              passBasisPoints: UInt32(rng.int(1...10_000)))
                    let endorsers = (0..<rng.int(0...13)).map { _ in pick(residents) }
                    var endorsements = Set(endorsers).sorted().map { Endorsement(endorsing: terms, with: c.key($0)) }
                    if !endorsements.isEmpty && rng.chance(5) {
                        endorsements[0].signature = Endorsement(endorsing: terms, with: c.key("mallory")).signature
                    }
                    tx = b.add(rng.chance(50) ? pick(residents) : anyone(), .proposal(Proposal(terms: terms, endorsements: endorsements)))
                    proposals.append((tx.id, options))
                case 20..<45:
                    let (proposal, options) = proposals.isEmpty || rng.chance(3)
                        ? (Hashing.sha256(rng.bytes(8)), 2) : proposals[rng.int(0...(proposals.count - 1))]
                    tx = b.add(rng.chance(85) ? pick(residents) : anyone(), .ballot(Ballot(proposal: proposal, choice: UInt32(rng.int(0...options)))))
                case 45..<55:
                    let who = rng.chance(80) ? pick(residents) : anyone()
                    tx = b.add(who, .serviceRequest(ServiceRequest(serviceCode: ["elevator", "streetlight", "sanitation"][rng.int(0...2)],
                                                                   description: "Broken", location: "Bldg 1")))
                    requests.append((tx.id, who))
                case 55..<62 where !requests.isEmpty:
                    let r = requests[rng.int(0...(requests.count - 1))]
                    let provider = rng.chance(85) ? pick(["lifts", "lamps", "manager"]) : pick(everyone)
                    let assigner = rng.chance(80) ? pick(["committee", "manager", "street"]) : anyone()
                    tx = b.add(assigner, .assignment(Assignment(request: r.id, provider: c.subject(provider), note: "")))
                case 62..<72 where !requests.isEmpty:
                    let r = requests[rng.int(0...(requests.count - 1))]
                    let status = ServiceResponse.Status.allCases[rng.int(0...5)]
                    tx = b.add(rng.chance(80) ? pick(["lifts", "lamps", "manager"]) : anyone(),
                               .serviceResponse(ServiceResponse(request: r.id, status: status, note: "")))
                case 72..<78 where !requests.isEmpty:
                    let r = requests[rng.int(0...(requests.count - 1))]
                    let rating: UInt8? = rng.chance(10) ? nil : UInt8(rng.int(1...5))
                    tx = b.add(rng.chance(85) ? r.requester : anyone(),
                               .closure(Closure(request: r.id, outcome: rng.chance(70) ? .closed : .reopened, rating: rating, comment: "")))
                case 78..<85:
                    tx = b.add(rng.chance(70) ? "elders" : anyone(), .volunteerRecord(VolunteerRecord(
                        volunteer: c.subject(rng.chance(90) ? pick(residents) : pick(everyone)), activity: "Cleaning",
                        minutes: UInt32(rng.int(1...240)), day: 20_000)))
                case 85..<88:
                    tx = b.add(anyone(), .checkpoint(c.neighbourCheckpoint(height: UInt64(rng.int(1...10)))))
                case 88..<91:
                    tx = b.add(anyone(), .referral(Referral(toCommunity: CommunityID(rng.chance(90) ? "hehua-north" : "lianhua-east")!,
                                                            kind: .resource, reference: nil, summary: "Spare ladder")))
                case 91..<96:
                    let subject = pick(everyone.filter { !$0.hasPrefix("node") })
                    let action: Registration.Action = rng.chance(15) ? .revoke : (rng.chance(50) ? .register : .update)
                    // Revocations are rarer: each one silences a signer for good.
                    tx = b.add(rng.chance(70) ? "committee" : anyone(), .registration(Registration(
                        action: action, subject: c.key(subject).publicKey, displayName: subject, unit: "Bldg 9",
                        roles: action == .revoke ? RoleSet() : RoleSet(rng.chance(80) ? [.resident] : [.serviceProvider]))))
                case 96..<98 where !history.isEmpty:
                    let replay = history[rng.int(0...(history.count - 1))]
                    b.addSigned(replay)
                    tx = replay
                default:
                    tx = b.add(pick(everyone), .serviceRequest(ServiceRequest(serviceCode: "x", description: "", location: "")),
                               nonce: UInt64(rng.int(0...40)))
                }
                history.append(tx)
            }
            b.seal(after: UInt64(rng.int(1...600)) * 1000)
        }
        return b.blocks
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func stateDatabaseAndGovernanceStateAgree(seed: UInt64) throws {
        let blocks = workload(seed: seed, blocks: 40, perBlock: 20)
        try withScratch("differential-\(seed)") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            var state = GovernanceState(genesis: c.genesis)
            var applied = 0, rejected = 0
            for block in blocks {
                let a = try db.applyExpectingNew(block)
                let next = state.apply(block.block)
                let result = try #require(next)
                #expect(a.closedProposals == result.closedProposals, "block \(block.height)")
                let recorded = try db.transactions(height: block.height).map(\.rejectionReason)
                #expect(recorded == result.outcomes.map(\.rejectionReason), "block \(block.height)")
                applied += a.appliedCount
                rejected += a.rejections.count
            }
            // The workload must exercise both paths widely.
            print("governance differential seed \(seed): \(applied) applied, \(rejected) rejected")
            #expect(applied > 120 && rejected > 120, "applied \(applied), rejected \(rejected)")
            // Tallies, closings and electorates.
            var tallied = 0
            for (id, p) in state.proposals {
                let record = try #require(try db.proposal(id))
                #expect(record.tally == p.tally && record.isOpen == p.isOpen && record.closedHeight == p.closedHeight)
                #expect(record.electorateSize == UInt64(p.electorate.count) && record.electorateRoot == p.electorateRoot)
                if p.tally != nil { tallied += 1 }
            }
            #expect(tallied >= 3)
            #expect(try db.openProposals() == state.openProposalIDs)
            // Service requests and supervision figures.
            for (id, r) in state.serviceRequests {
                let record = try #require(try db.serviceRequest(id))
                #expect(record.status == r.status && record.resolution == r.resolution && record.provider == r.provider)
                #expect(record.reopenCount == r.reopenCount && record.rating == r.rating && record.assignmentCount == r.assignments.count)
            }
            let supervision = state.providerSupervision()
            #expect(!supervision.isEmpty)
            #expect(try db.providerSupervision() == supervision)
            // Volunteers and subjects.
            #expect(try db.volunteerRanking(limit: 1_000).sorted { $0.volunteer < $1.volunteer } ==
                state.volunteers.values.sorted { $0.volunteer < $1.volunteer })
            for (id, s) in state.subjects {
                let record = try #require(try db.subject(id))
                #expect(record.roles == s.roles && record.isActive == s.isActive && record.registeredHeight == s.registeredHeight)
            }
            // Nonces, for every key used.
            for key in c.keys.values {
                #expect(try db.latestNonce(of: key.publicKey) == state.latestNonce(of: key.publicKey))
            }
        }
    }

    /// A new Raft leader may propose again a transaction that is already in
    /// the chain: the later copy is recorded as rejected (nonce replay), with
    /// no constraint violated, and the state does not change.
    @Test func aTransactionProposedAgainIsRecordedAsAReplay() throws {
        let chain = GovernanceChain(c)
        var b = chain.builder
        let earlier = chain.blocks[0].block.transactions + chain.blocks[1].block.transactions
        for tx in earlier { b.addSigned(tx) }
        b.addSigned(earlier[1])    // twice in the same block, too
        let again = b.seal()
        try withScratch("replay") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            var state = GovernanceState(genesis: c.genesis)
            for block in chain.blocks {
                try db.applyExpectingNew(block)
                _ = state.apply(block.block)
            }
            let before = try db.stateDigest(excluding: ["meta", "blocks", "transactions"])
            let a = try db.applyExpectingNew(again)
            #expect(a.appliedCount == 0 && a.rejections.count == earlier.count + 1)
            #expect(a.rejections.allSatisfy { $0.reason.contains("is out of order") })
            #expect(try db.stateDigest(excluding: ["meta", "blocks", "transactions"]) == before)
            let appliedAgain = state.apply(again.block)
            let result = try #require(appliedAgain)
            #expect(result.outcomes.map(\.rejectionReason) == a.rejections.map(\.reason))
            #expect(try db.transactions(id: earlier[1].id).map(\.isApplied) == [true, false, false])
        }
    }
}
