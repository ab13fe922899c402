import CivitasCodec
import CivitasLedger

/// A small community and a three-block chain using the governance kinds the
/// API serves: notices (with a correction), a proposal that closes with a
/// tally and one still open, a service request through assignment and
/// resolution, volunteer hours.
struct TestChain: Sendable {
    static let community = CommunityID("lianhua-east")!
    static let start: Timestamp = 1_767_225_600_000

    let keys: [String: SigningKey]
    let validators: [SigningKey]
    let genesis: GenesisDocument
    private(set) var blocks: [SealedBlock] = []
    // IDs the tests look up.
    private(set) var notice = Hash()
    private(set) var correction = Hash()
    private(set) var closedProposal = Hash()
    private(set) var openProposal = Hash()
    private(set) var request = Hash()
    private(set) var firstTransaction = Hash()
    // With `rewardsAndDrafts`: a draft that opened, one still gathering endorsements, a reward and its redemption.
    private(set) var openedDraft = Hash()
    private(set) var draft = Hash()
    private(set) var reward = Hash()
    private(set) var redemption = Hash()
    /// With `referrals`: the committee's referral of `request`.
    private(set) var referral = Hash()

    static func key(_ n: UInt8) -> SigningKey {
        var seed = Bytes32()
        seed.withUnsafeMutableBytes { $0[0] = n; $0[31] = 0x5a }
        return SigningKey(seed: seed)
    }

    func key(_ name: String) -> SigningKey { keys[name]! }
    func subject(_ name: String) -> SubjectID { keys[name]!.publicKey.subjectID }

    /// `rewardsAndDrafts` adds block 4: Wang's draft, opened by Li's endorsement; Zhao's draft, still a draft;
    /// a reward of the volunteers' organisation (5 points, 2 of them) and Zhao's redemption of one.
    /// `referrals` adds a block with the committee's referral of the lift request to hehua-north.
    init(rewardsAndDrafts: Bool = false, referrals: Bool = false) {
        let people: [(String, String, [Role])] = [
            ("committee", "Residents' Committee", [.residentsCommittee]), ("owners", "Owners' Committee", [.ownersCommittee]),
            ("elders", "Silver Age Volunteers", [.socialOrganization]), ("lifts", "Steady Lift Co.", [.serviceProvider]),
            ("wang", "Wang", [.resident]), ("li", "Li", [.resident]), ("zhao", "Zhao", [.resident]),
        ]
        var keys: [String: SigningKey] = [:]
        var subjects: [GenesisSubject] = []
        for (i, (name, display, roles)) in people.enumerated() {
            let k = Self.key(UInt8(i + 1))
            keys[name] = k
            subjects.append(GenesisSubject(key: k.publicKey, displayName: display, unit: "Unit \(i)", roles: RoleSet(roles)))
        }
        keys["outsider"] = Self.key(99)
        self.keys = keys
        validators = (0..<3).map { Self.key(UInt8(200 + $0)) }
        genesis = GenesisDocument(
            community: Self.community, time: Self.start,
            validators: zip(["committee", "owners", "elders"], validators).map {
                ValidatorEntry(name: $0.0, subject: keys[$0.0]!.publicKey, nodeKey: $0.1.publicKey)
            },
            registrars: [keys["committee"]!.publicKey], subjects: subjects,
            parameters: GenesisParameters(checkpointInterval: 100, proposalEndorsements: 1, pointsPerHour: 10,
                                          responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600)]))

        var nonces: [String: UInt64] = [:]
        var pending: [Transaction] = []
        var time = Self.start
        func add(_ who: String, _ payload: TransactionPayload) -> Transaction {
            nonces[who, default: 0] += 1
            let k = keys[who]!
            let tx = UnsignedTransaction(community: Self.community, signer: k.publicKey, nonce: nonces[who]!,
                                         time: time + UInt64(pending.count) + 1, payload: payload).signed(with: k)
            pending.append(tx)
            return tx
        }
        func seal() {
            time += 60_000
            let previous = blocks.last?.header.hash ?? genesis.hash
            let block = Block(community: Self.community, height: UInt64(blocks.count + 1), previous: previous, time: time,
                              proposer: 0, transactions: pending)
            let hash = block.header.hash
            let certificate = CommitCertificate(height: block.header.height, headerHash: hash, votes: validators.enumerated().map {
                BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash)
            })
            blocks.append(SealedBlock(block: block, certificate: certificate))
            pending = []
        }

        // Block 1
        let n1 = add("owners", .notice(Notice(category: .finance, title: "Q1 accounts", body: "Income 182,400 CNY.")))
        let closing = ProposalTerms(title: "Second lift", description: "Owners share the cost.", options: ["yes", "no"],
                                    eligibleRoles: RoleSet([.resident]), closing: .height(3), quorumBasisPoints: 1_000,
                                    passBasisPoints: 5_000)
        let p1 = add("committee", .proposal(Proposal(terms: closing, endorsements: [Endorsement(endorsing: closing, with: keys["li"]!)])))
        let r = add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "Lift stuck.", location: "Bldg 3")))
        seal()
        // Block 2
        let n2 = add("owners", .notice(Notice(category: .finance, title: "Q1 accounts (corrected)", body: "Income 182,500 CNY.",
                                              supersedes: n1.id)))
        _ = add("li", .ballot(Ballot(proposal: p1.id, choice: 0)))
        _ = add("zhao", .ballot(Ballot(proposal: p1.id, choice: 0)))
        _ = add("committee", .assignment(Assignment(request: r.id, provider: keys["lifts"]!.publicKey.subjectID, note: "Urgent")))
        _ = add("elders", .volunteerRecord(VolunteerRecord(volunteer: keys["zhao"]!.publicKey.subjectID, activity: "Elder visits",
                                                            minutes: 90, day: 20_454)))
        seal()
        // Block 3: the first proposal closes at the end of this block.
        _ = add("lifts", .serviceResponse(ServiceResponse(request: r.id, status: .resolvedFixed, note: "Door sensor replaced.")))
        let open = ProposalTerms(title: "Bike shed", description: "Build one by gate 2.", options: ["yes", "no", "abstain"],
                                 eligibleRoles: RoleSet([.resident]), closing: .height(1_000), quorumBasisPoints: 1_000,
                                 passBasisPoints: 5_000)
        let p2 = add("committee", .proposal(Proposal(terms: open, endorsements: [Endorsement(endorsing: open, with: keys["zhao"]!)])))
        seal()

        if rewardsAndDrafts {
            let bench = ProposalTerms(title: "A bench by gate 2", description: "", options: ["yes", "no"], eligibleRoles: RoleSet([.resident]),
                                      closing: .height(1_000), quorumBasisPoints: 0, passBasisPoints: 5_001)
            let opened = add("wang", .proposalDraft(ProposalDraft(terms: bench)))
            _ = add("li", .endorsement(DraftEndorsement(draft: opened.id)))
            var lamps = bench
            lamps.title = "Brighter lamps"
            let waiting = add("zhao", .proposalDraft(ProposalDraft(terms: lamps)))
            let offer = add("elders", .rewardOffer(RewardOffer(title: "Cinema ticket", description: "Saturday", price: 5, quantity: 2)))
            let redeemed = add("zhao", .redemption(Redemption(offer: offer.id)))
            seal()
            openedDraft = opened.id
            draft = waiting.id
            reward = offer.id
            redemption = redeemed.id
        }

        if referrals {
            let referred = add("committee", .referral(Referral(toCommunity: CommunityID("hehua-north")!, kind: .request, reference: r.id,
                                                             summary: "Their lift company serves Bldg 3 too")))
            _ = add("elders", .referral(Referral(toCommunity: CommunityID("pine-row")!, kind: .resource, reference: nil,
                                                 summary: "Spare folding chairs")))
            seal()
            referral = referred.id
        }

        notice = n1.id
        correction = n2.id
        closedProposal = p1.id
        openProposal = p2.id
        request = r.id
        firstTransaction = n1.id
    }

    /// A transaction signed by `who` with `nonce`, not in the chain.
    func freshTransaction(_ who: String = "wang", nonce: UInt64 = 10) -> Transaction {
        let k = key(who)
        return UnsignedTransaction(community: Self.community, signer: k.publicKey, nonce: nonce, time: Self.start + 999_999,
                                   payload: .notice(Notice(category: .general, title: "Hello", body: "World"))).signed(with: k)
    }
}
