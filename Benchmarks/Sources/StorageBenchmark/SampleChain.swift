import CivitasCodec
import CivitasLedger

/// Sealed blocks for the storage benchmark: really signed transactions of
/// the kinds a community posts most (notices in Chinese and English, ballots,
/// service requests, volunteer records) from 40 members, and a commit
/// certificate with votes from 3 of 4 validators. Everything from fixed seeds.
struct SampleChain {
    static let community = CommunityID("hehua-north")!
    let members: [SigningKey]
    let validators: [SigningKey]
    private(set) var height: UInt64 = 0
    private(set) var head = Hashing.sha256(Array("genesis".utf8))
    private var rng = SplitMix64(seed: 0x5707_A6E0)
    private var nonces: [Int: UInt64] = [:]
    private let proposals: [Hash]

    init() {
        func key(_ label: String) -> SigningKey { SigningKey(seed: Hashing.sha256(Array("civitas-storage-bench/\(label)".utf8))) }
        members = (0..<40).map { key("member-\($0)") }
        validators = (0..<4).map { key("validator-\($0)") }
        proposals = (0..<6).map { Hashing.sha256(Array("proposal-\($0)".utf8)) }
    }

    /// A pool of `count` signed transactions, for chains where signing every one would take too long.
    mutating func transactionPool(_ count: Int) -> [Transaction] {
        (0..<count).map { _ in transaction() }
    }

    /// The next block, with `transactions` fresh signed transactions.
    mutating func next(transactions: Int) -> SealedBlock {
        let txs = (0..<transactions).map { _ in transaction() }
        return next(with: txs)
    }

    /// The next block, carrying `txs`.
    mutating func next(with txs: [Transaction]) -> SealedBlock {
        height += 1
        let block = Block(community: Self.community, height: height, previous: head, time: 1_767_225_600_000 + height * 2_000,
                          proposer: UInt32(height % UInt64(validators.count)), transactions: txs)
        let hash = block.header.hash
        head = hash
        let votes = validators.prefix(3).enumerated().map { i, key in BlockVote(index: UInt32(i), key: key, headerHash: hash) }
        return SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: hash, votes: votes))
    }

    private mutating func transaction() -> Transaction {
        let m = Int(rng.next() % UInt64(members.count))
        nonces[m, default: 0] += 1
        let building = rng.next() % 28 + 1
        let day = rng.next() % 28 + 1
        let payload: TransactionPayload
        switch rng.next() % 10 {
        case 0..<3:
            let zh = "\(building)号楼二次供水水箱清洗，\(day)日上午9:00至下午5:00停水，请各位居民提前储水。如有特殊困难请联系物业服务中心。"
            let en = "Water tanks of building \(building) will be cleaned on day \(day), 09:00-17:00; please store water in advance. Residents with special needs may call the property office."
            payload = .notice(Notice(category: .housingAffairs, title: "停水通知 / Water interruption, Bldg \(building)", body: zh + "\n" + en))
        case 3..<7:
            payload = .ballot(Ballot(proposal: proposals[Int(rng.next() % UInt64(proposals.count))], choice: UInt32(rng.next() % 3)))
        case 7..<9:
            payload = .serviceRequest(ServiceRequest(serviceCode: ["elevator", "streetlight", "plumbing", "cleaning"][Int(rng.next() % 4)],
                                                     description: "Bldg \(building) unit \(rng.next() % 18 + 1): the corridor light on floor \(rng.next() % 30 + 1) flickers and goes out at night.",
                                                     location: "\(building)号楼\(rng.next() % 4 + 1)单元"))
        default:
            payload = .volunteerRecord(VolunteerRecord(volunteer: members[Int(rng.next() % UInt64(members.count))].publicKey.subjectID,
                                                       activity: "Accompanied elderly residents to the clinic", minutes: UInt32(rng.next() % 240 + 30),
                                                       day: UInt32(20_000 + day)))
        }
        return UnsignedTransaction(community: Self.community, signer: members[m].publicKey, nonce: nonces[m]!,
                                   time: 1_767_225_600_000 + height * 2_000, payload: payload).signed(with: members[m])
    }
}
