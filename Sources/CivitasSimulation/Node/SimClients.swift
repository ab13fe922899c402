import CivitasLedger

/// The simulated residents: each signs service requests with its next nonce;
/// the ledger remembers every transaction still wanted and where a node told
/// its client it was committed (a client waiting on `wait=committed`).
struct ClientLedger {
    let signers: [SigningKey]
    let community: CommunityID
    private var nextNonce: [Int]
    private var sequence = 0
    /// Submitted and not yet seen committed.
    private(set) var wanted: [Hash: Transaction] = [:]
    /// Seen committed: where.
    private(set) var acknowledged: [Hash: ChainPlace] = [:]
    private(set) var submitted = 0
    /// Simulated µs from first submission to first commit, per transaction.
    private(set) var latencies: [UInt64] = []
    private var submittedAt: [Hash: UInt64] = [:]

    init(signers: [SigningKey], community: CommunityID) {
        self.signers = signers
        self.community = community
        nextNonce = Array(repeating: 1, count: signers.count)
    }

    mutating func next(time: Timestamp, at now: UInt64, random: inout SimRandom) -> Transaction? {
        guard !signers.isEmpty else { return nil }
        let s = Int(random.below(UInt64(signers.count)))
        let nonce = UInt64(nextNonce[s])
        nextNonce[s] += 1
        sequence += 1
        let payload = TransactionPayload.serviceRequest(ServiceRequest(
            serviceCode: ["repair", "sanitation", "security", "greening"][sequence % 4],
            description: "request \(sequence): the light on stair \(sequence % 7 + 1) is out",
            location: "building \(s % 5 + 1)"))
        let tx = UnsignedTransaction(community: community, signer: signers[s].publicKey, nonce: nonce, time: time, payload: payload)
            .signed(with: signers[s])
        wanted[tx.id] = tx
        submittedAt[tx.id] = now
        submitted += 1
        return tx
    }

    func stillWanted(_ id: Hash) -> Transaction? { wanted[id] }

    /// A node told the client of `id` it is committed at `place`.
    mutating func acknowledge(_ id: Hash, at place: ChainPlace, now: UInt64) {
        guard wanted.removeValue(forKey: id) != nil else { return }
        acknowledged[id] = place
        if let start = submittedAt.removeValue(forKey: id) { latencies.append(now - start) }
    }

    var outstanding: Int { wanted.count }
}
