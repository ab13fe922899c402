import CivitasCodec
import CivitasLedger
import CivitasSample

/// The sample community (`SampleCommunity.lianhuaEast`) with deterministic
/// keys, for the offline demo: its genesis, and one record of every kind.
struct OfflineCommunity {
    let sample = SampleCommunity.lianhuaEast
    /// Chen moves in after genesis: the demo's registration record registers them.
    static let newcomer = "chen"
    let startTime: Timestamp = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    let keys: SampleKeys
    let validatorNodes: [SigningKey]
    let genesis: GenesisDocument

    var community: CommunityID { sample.community }

    init(seed: UInt64) {
        keys = SampleKeys(seed: seed)
        validatorNodes = (0..<3).map(keys.node)
        var founders = sample
        founders.members.removeAll { $0.name == Self.newcomer }
        genesis = founders.genesis(time: startTime, nodeKeys: validatorNodes.map(\.publicKey)) { [keys] in keys.member($0.name).publicKey }
    }

    func key(_ name: String) -> SigningKey { keys.member(sample.member(name).name) }

    /// The display name of the member who signed with `signer`, if one did.
    func displayName(of signer: PublicKey) -> String? {
        sample.members.first { keys.member($0.name).publicKey == signer }?.displayName
    }

    /// One record of every kind, signed by the subject entitled to issue it
    /// (the federation adopted before the neighbour's checkpoint it verifies).
    func sampleTransactions(federation: FederationDocument, neighbourCheckpoint: Checkpoint) -> [Transaction] {
        var nonces: [String: UInt64] = [:]
        var time = startTime + 3_600_000
        var txs: [Transaction] = []
        @discardableResult
        func sign(_ who: String, _ payload: TransactionPayload) -> Transaction {
            nonces[who, default: 0] += 1
            time += 60_000
            let signer = key(who)
            let tx = UnsignedTransaction(community: community, signer: signer.publicKey, nonce: nonces[who]!, time: time, payload: payload)
                .signed(with: signer)
            txs.append(tx)
            return tx
        }
        let chen = sample.member(Self.newcomer)
        sign("committee", .registration(Registration(
            action: .register, subject: key(Self.newcomer).publicKey, displayName: chen.displayName, unit: chen.unit, roles: chen.roles)))
        let notice = sign("owners", .notice(Notice(
            category: .finance, title: "2026 Q1 maintenance fund accounts",
            body: "Income 182,400 CNY; lift repairs 61,200 CNY; greening 8,900 CNY. Vouchers at the owners' committee office.",
            attachments: [Hashing.sha256(Array("q1-accounts.pdf".utf8))])))
        sign("owners", .notice(Notice(
            category: .finance, title: "2026 Q1 maintenance fund accounts (corrected)",
            body: "Correction: greening was 9,800 CNY, not 8,900 CNY.", supersedes: notice.id)))
        let terms = ProposalTerms(
            title: "Install a second lift in building 5", description: "Owners share the cost by floor, per the attached plan.",
            options: ["yes", "no", "abstain"], eligibleRoles: RoleSet([.resident]), closing: .height(120),
            quorumBasisPoints: 5_000, passBasisPoints: 6_667)
        let proposal = sign("wang", .proposal(Proposal(
            terms: terms, endorsements: ["li", "zhao"].map { Endorsement(endorsing: terms, with: key($0)) })))
        sign("li", .ballot(Ballot(proposal: proposal.id, choice: 0)))
        sign("zhao", .ballot(Ballot(proposal: proposal.id, choice: 1)))
        let request = sign("wang", .serviceRequest(ServiceRequest(
            serviceCode: "elevator", description: "Lift in building 3 stops between floors 4 and 5.", location: "Bldg 3 lift")))
        sign("committee", .assignment(Assignment(request: request.id, provider: key("lifts").publicKey.subjectID, note: "Urgent: elderly residents on upper floors.")))
        sign("lifts", .serviceResponse(ServiceResponse(request: request.id, status: .acknowledged, note: "Technician on the way.")))
        sign("lifts", .serviceResponse(ServiceResponse(request: request.id, status: .resolvedFixed, note: "Replaced the door sensor.")))
        sign("wang", .closure(Closure(request: request.id, outcome: .closed, rating: 5, comment: "Fixed within two hours.")))
        sign("elders", .volunteerRecord(VolunteerRecord(
            volunteer: key("zhao").publicKey.subjectID, activity: "Weekly visits to elderly residents", minutes: 150, day: 20_454)))
        sign("committee", .federationAdoption(FederationAdoption(document: federation)))
        sign("street", .checkpoint(neighbourCheckpoint))
        sign("committee", .referral(Referral(
            toCommunity: CommunityID("hehua-north")!, kind: .request, reference: request.id,
            summary: "Seeking a second lift contractor for a comparison quote.")))
        return txs
    }
}
