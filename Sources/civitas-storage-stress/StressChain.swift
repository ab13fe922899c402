import CivitasCodec
import CivitasLedger

/// The community the stress child writes blocks for: fixed keys, so every
/// run of the child (and the test that checks it) agrees on the genesis, and
/// block `h` is a function of `h` and the block before it.
struct StressCommunity {
    static let community = CommunityID("storage-stress")!
    static let transactionsPerBlock = 2

    let genesis: GenesisDocument
    let validators: [SigningKey]
    let members: [SigningKey]

    init() {
        var rng = SplitMix64(seed: 0x5354_5245_5353_0001)
        func key() -> SigningKey {
            SigningKey(seed: Bytes32((0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!)
        }
        let validators = (0..<3).map { _ in key() }
        let members = (0..<4).map { _ in key() }
        self.validators = validators
        self.members = members
        let subjects = members.enumerated().map { i, k in
            GenesisSubject(key: k.publicKey, displayName: "Resident \(i)", unit: "Bldg \(i + 1)-101",
                           // Committee members: a general notice needs an organisational role (docs/governance.md).
                           roles: RoleSet([.resident, .residentsCommittee]))
        }
        let entries = validators.enumerated().map { i, k in
            ValidatorEntry(name: "validator-\(i)", subject: members[i].publicKey, nodeKey: k.publicKey)
        }
        genesis = GenesisDocument(community: Self.community, time: 1_767_225_600_000, validators: entries,
                                  registrars: [members[0].publicKey], subjects: subjects, parameters: GenesisParameters())
    }

    /// Block `height`, following `previous`: two signed notices (every fifth
    /// block's are long enough to be zstd-compressed), certified by two of the
    /// three validators. Each member's nonces run 1, 2, 3, … along the chain.
    func block(height: UInt64, previous: Hash) -> SealedBlock {
        let time = genesis.time + height * 1_000
        let transactions = (0..<Self.transactionsPerBlock).map { j -> Transaction in
            let counter = (height - 1) * UInt64(Self.transactionsPerBlock) + UInt64(j)
            let member = Int(counter % UInt64(members.count))
            let body = height % 5 == 0
                ? String(repeating: "Stairwell lighting in building \(member + 1) will be replaced on day \(height). ", count: 24)
                : "Water off in building \(member + 1) on day \(height), notice \(j)."
            let payload = TransactionPayload.notice(Notice(category: .general, title: "Stress \(height).\(j)", body: body))
            return UnsignedTransaction(community: Self.community, signer: members[member].publicKey,
                                       nonce: counter / UInt64(members.count) + 1, time: time, payload: payload)
                .signed(with: members[member])
        }
        let block = Block(community: Self.community, height: height, previous: previous, time: time,
                          proposer: UInt32(height % UInt64(validators.count)), transactions: transactions)
        let hash = block.header.hash
        let votes = validators.prefix(2).enumerated().map { i, key in BlockVote(index: UInt32(i), key: key, headerHash: hash) }
        return SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: hash, votes: votes))
    }
}
