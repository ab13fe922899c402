import CivitasCodec
import CivitasLedger
import Testing

/// docs/codec.md, "CommitCertificate": valid when more than half of the
/// validators have a valid vote and every vote is valid. These pin the rule
/// for a community's own blocks (`CommitCertificate.verify`, `SealedBlock.verify`);
/// FederationDocumentTests pins it for a neighbour's checkpoints.
@Suite struct CommitCertificateRuleTests {
    static func key(_ n: UInt8) -> SigningKey {
        SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!)
    }

    /// `key(11)`, `key(12)`, `key(13)`: the validators of the spec's vectors.
    static let validators = [key(11), key(12), key(13)]
    static let hash = Hashing.sha256(Array("block 7".utf8))

    static func certificate(_ indexes: [Int]) -> CommitCertificate {
        CommitCertificate(height: 7, headerHash: hash, votes: indexes.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) })
    }

    static func failure(_ c: CommitCertificate, validators: Int = 3) -> LedgerError? {
        ledgerFailure { () throws(LedgerError) in try c.verify(validators: Self.validators.prefix(validators).map(\.publicKey)) }
    }

    @Test func aMajorityOfGoodVotesIsValid() {
        #expect(Self.failure(Self.certificate([0, 2])) == nil)
        #expect(Self.failure(Self.certificate([0, 1, 2])) == nil)
        #expect(Self.failure(Self.certificate([1])) == .certificate("1 of 3 validators signed; a majority is 2"))
        // Half is not a majority: 2 of 4 would need 3.
        let four = [Self.key(11), Self.key(12), Self.key(13), Self.key(14)].map(\.publicKey)
        #expect(ledgerFailure { () throws(LedgerError) in try Self.certificate([0, 1]).verify(validators: four) }
            == .certificate("2 of 4 validators signed; a majority is 3"))
    }

    @Test func aMajorityOfGoodVotesPlusOneBadVoteIsRefusedAsAWhole() {
        var oneBad = Self.certificate([0, 1, 2])
        oneBad.votes[2].signature = Signature()
        #expect(Self.failure(oneBad) == .certificate("bad signature from validator #2"))
        // A good vote for another header is a bad vote here.
        var elsewhere = Self.certificate([0, 1])
        elsewhere.votes.append(BlockVote(index: 2, key: Self.validators[2], headerHash: Hashing.sha256([1])))
        #expect(Self.failure(elsewhere) == .certificate("bad signature from validator #2"))
        // A vote from beyond the validator list, next to a majority.
        let beyond = CommitCertificate(height: 7, headerHash: Self.hash,
                                       votes: Self.certificate([0, 1]).votes + [BlockVote(index: 3, key: Self.key(14), headerHash: Self.hash)])
        #expect(Self.failure(beyond) == .certificate("vote from validator #3, but there are only 3"))
    }

    @Test func aSealedBlockWithOneBadVoteIsRefused() throws {
        let block = Block(community: CommunityID("lianhua-east")!, height: 1, previous: Hashing.sha256(Array("genesis".utf8)),
                          time: 1_767_225_700_000, proposer: 0, transactions: [])
        let h = block.header.hash
        let good = CommitCertificate(height: 1, headerHash: h, votes: [0, 1].map { BlockVote(index: UInt32($0), key: Self.validators[$0], headerHash: h) })
        let keys = Self.validators.map(\.publicKey)
        try SealedBlock(block: block, certificate: good).verify(validators: keys)
        var bad = good
        bad.votes.append(BlockVote(validator: 2, signature: Signature()))
        // It still decodes (the codec does not check signatures) …
        let decoded = try SealedBlock(encoded: SealedBlock(block: block, certificate: bad).encoded())
        // … and is refused by verification, though two of three votes are good.
        #expect(ledgerFailure { () throws(LedgerError) in try decoded.verify(validators: keys) } == .certificate("bad signature from validator #2"))
    }
}
