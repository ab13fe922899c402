import CivitasLedger

/// The simulated clients: residents sign service requests; the residents'
/// committee assigns some of them, once committed, to the lift company, which
/// answers after a delay (some past the request's deadline), so supervision
/// figures and deadline breaches come out of every run. Each signs with its
/// next nonce; the ledger remembers every transaction still wanted and where a
/// node told its client it was committed (a client waiting on `wait=committed`).
struct ClientLedger {
    /// Residents, then the committee, the provider and the social organisation.
    let signers: [SigningKey]
    let community: CommunityID
    private let committee: Int
    private let provider: Int
    private let elders: Int
    private var nextNonce: [Int]
    private var sequence = 0
    /// Payloads due once an earlier transaction committed: (due at, signer, payload), in order.
    private var followUps: [(due: SimTime, signer: Int, payload: TransactionPayload)] = []
    /// What each still-wanted transaction carried, for its follow-up.
    private var payloads: [Hash: TransactionPayload] = [:]
    /// Service codes of the requests: the sample's two with deadlines, and two without.
    static let serviceCodes = ["elevator", "streetlight", "sanitation", "greening"]
    /// Submitted and not yet seen committed.
    private(set) var wanted: [Hash: Transaction] = [:]
    /// Seen committed: where.
    private(set) var acknowledged: [Hash: ChainPlace] = [:]
    private(set) var submitted = 0
    /// Simulated time from first submission to first commit, per transaction.
    private(set) var latencies: [Duration] = []
    private var submittedAt: [Hash: SimTime] = [:]

    init(residents: [SigningKey], committee: SigningKey, provider: SigningKey, elders: SigningKey, community: CommunityID) {
        signers = residents + [committee, provider, elders]
        self.committee = residents.count
        self.provider = residents.count + 1
        self.elders = residents.count + 2
        self.community = community
        nextNonce = Array(repeating: 1, count: signers.count)
    }

    /// The next transaction to submit at `now`: a follow-up that is due, else a resident's new request.
    mutating func next(time: Timestamp, at now: SimTime, random: inout SimRandom) -> Transaction? {
        if let i = followUps.firstIndex(where: { $0.due <= now }) {
            let f = followUps.remove(at: i)
            return sign(f.payload, by: f.signer, time: time, at: now)
        }
        guard committee > 0 else { return nil }
        let s = Int(random.below(UInt64(committee)))
        sequence += 1
        let code = Self.serviceCodes[sequence % Self.serviceCodes.count]
        return sign(.serviceRequest(ServiceRequest(serviceCode: code, description: "request \(sequence): \(code) at stair \(sequence % 7 + 1)",
                                                   location: "building \(s % 5 + 1)")), by: s, time: time, at: now)
    }

    private mutating func sign(_ payload: TransactionPayload, by s: Int, time: Timestamp, at now: SimTime) -> Transaction {
        let nonce = UInt64(nextNonce[s])
        nextNonce[s] += 1
        let tx = UnsignedTransaction(community: community, signer: signers[s].publicKey, nonce: nonce, time: time, payload: payload)
            .signed(with: signers[s])
        wanted[tx.id] = tx
        payloads[tx.id] = payload
        submittedAt[tx.id] = now
        submitted += 1
        return tx
    }

    /// Once `id` committed: the committee assigns half the requests with a
    /// deadline (and a quarter of the rest) to the provider 1-2.5 s later; the
    /// provider answers each assignment 1-20 s later (the simulated deadlines
    /// are 10 s and 30 s). Drawn from the transaction ID, so a run is repeatable.
    private mutating func followUp(_ id: Hash, now: SimTime) {
        guard let payload = payloads.removeValue(forKey: id) else { return }
        let draw = UInt64(id.bytes[0]) | UInt64(id.bytes[1]) << 8
        switch payload {
        case let .serviceRequest(r):
            let hasDeadline = Self.serviceCodes.prefix(2).contains(r.serviceCode)
            guard draw % (hasDeadline ? 2 : 4) == 0 else { return }
            let provider = SubjectID(deriving: signers[provider].publicKey)
            // A person reads the request a second or two after it committed (by
            // then every node has applied it, so no node refuses the assignment
            // for a request it has not seen yet).
            followUps.append((now + .seconds(1) + .milliseconds(500) * (draw % 4), committee,
                              .assignment(Assignment(request: id, provider: provider, note: "please attend"))))
        case let .assignment(a):
            let delay = Duration.seconds(1) + .milliseconds(500) * (draw % 39)
            followUps.append((now + delay, provider, .serviceResponse(ServiceResponse(request: a.request, status: .resolvedFixed,
                                                                                       note: "fixed"))))
        default:
            return
        }
    }

    /// Who signs a record the city's people make (the committee adopts and
    /// refers; the social organisation answers a neighbour's referral).
    enum Member { case committee, elders }

    /// Residents (signers 0..<residents).
    var residents: Int { committee }

    /// A planner's workload: `payload` signed now by `member`, or by resident `resident`.
    mutating func make(_ payload: TransactionPayload, by member: Member?, resident: Int = 0, time: Timestamp, at now: SimTime) -> Transaction {
        let s = member.map { $0 == .committee ? committee : elders } ?? resident
        return sign(payload, by: s, time: time, at: now)
    }

    /// The follow-ups due at `now` (the workload of a planner's city submits them as they fall due).
    mutating func due(time: Timestamp, at now: SimTime) -> [Transaction] {
        var out: [Transaction] = []
        while let i = followUps.firstIndex(where: { $0.due <= now }) {
            let f = followUps.remove(at: i)
            out.append(sign(f.payload, by: f.signer, time: time, at: now))
        }
        return out
    }

    /// The subject of resident `s`.
    func residentSubject(_ s: Int) -> SubjectID { SubjectID(deriving: signers[s].publicKey) }

    /// `payload`, signed by `member`, to be submitted once `due` (a person's own step, not a follow-up).
    mutating func schedule(_ payload: TransactionPayload, by member: Member, due: SimTime) {
        followUps.append((due, member == .committee ? committee : elders, payload))
    }

    /// The social organisation takes referral `id` from `community`, answering it once `due`.
    mutating func answer(referral id: Hash, from community: CommunityID, due: SimTime) {
        schedule(.referralAnswer(ReferralAnswer(referral: id, fromCommunity: community, accepted: true, note: "we will take it")),
                 by: .elders, due: due)
    }

    func stillWanted(_ id: Hash) -> Transaction? { wanted[id] }

    /// A node told the client of `id` it is committed at `place`.
    mutating func acknowledge(_ id: Hash, at place: ChainPlace, now: SimTime) {
        guard wanted.removeValue(forKey: id) != nil else { return }
        acknowledged[id] = place
        followUp(id, now: now)
        if let start = submittedAt.removeValue(forKey: id) { latencies.append(now - start) }
    }

    var outstanding: Int { wanted.count }

    /// Whether a follow-up is still to be made (due later).
    var expectsFollowUps: Bool { !followUps.isEmpty }
}
