import CivitasCodec
import CivitasLedger
import CivitasTestSupport
import Foundation
import Testing

/// The hex vectors in docs/codec.md are checked here: each named block in the
/// spec must equal the encoding this build produces for the value below, and
/// must decode back to that value. Set CIVITAS_PRINT_VECTORS=1 to print them.
@Suite struct SpecVectorTests {
    static func key(_ n: UInt8) -> SigningKey {
        SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!)
    }

    static let community = CommunityID("lianhua-east")!

    /// The values the spec's vectors encode, by name.
    static func vectors() -> [(String, [UInt8])] {
        let committee = key(1), resident = key(2), v0 = key(11), v1 = key(12), v2 = key(13)
        let registration = UnsignedTransaction(
            community: community, signer: committee.publicKey, nonce: 1, time: 1_767_225_600_000,
            payload: .registration(Registration(action: .register, subject: resident.publicKey,
                                                displayName: "Wang", unit: "3-201", roles: RoleSet([.resident]))))
            .signed(with: committee)
        let ballot = UnsignedTransaction(
            community: community, signer: resident.publicKey, nonce: 7, time: 1_767_225_660_000,
            payload: .ballot(Ballot(proposal: Hashing.sha256(Array("proposal".utf8)), choice: 1)))
            .signed(with: resident)
        let endorsement = UnsignedTransaction(
            community: community, signer: key(3).publicKey, nonce: 2, time: 1_767_225_720_000,
            payload: .endorsement(DraftEndorsement(draft: Hashing.sha256(Array("draft".utf8)))))
            .signed(with: key(3))
        let offer = UnsignedTransaction(
            community: community, signer: key(4).publicKey, nonce: 1, time: 1_767_225_780_000,
            payload: .rewardOffer(RewardOffer(title: "Cinema", description: "Two tickets", price: 30, quantity: 20)))
            .signed(with: key(4))
        let block = Block(community: community, height: 1, previous: Hashing.sha256(Array("genesis".utf8)),
                          time: 1_767_225_700_000, proposer: 0, transactions: [registration, ballot])
        let headerHash = block.header.hash
        let certificate = CommitCertificate(height: 1, headerHash: headerHash, votes: [
            BlockVote(index: 0, key: v0, headerHash: headerHash),
            BlockVote(index: 2, key: v2, headerHash: headerHash),
        ])
        let sealed = SealedBlock(block: block, certificate: certificate)
        let peer = PeerRecord(key: v1, community: community, role: .validator,
                              addresses: ["10.0.0.2:7400"], sequence: 3, time: 1_767_225_600_000)
        let genesis = GenesisDocument(
            community: community, time: 1_767_225_600_000,
            validators: [ValidatorEntry(name: "RC", subject: committee.publicKey, nodeKey: v0.publicKey)],
            registrars: [committee.publicKey], subjects: [],
            parameters: GenesisParameters(responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 14_400)]))
        let (federation, adoption, checkpoint) = federationVectors(genesis: genesis)
        let (relay, answer, dispatch) = referralVectors()
        return [
            ("varint-300", Varint.encode(300)),
            ("varint-max", Varint.encode(UInt64.max)),
            ("registration-transaction", registration.encoded()),
            ("ballot-transaction", ballot.encoded()),
            ("endorsement-transaction", endorsement.encoded()),
            ("reward-offer-transaction", offer.encoded()),
            ("transaction-id", registration.id.bytes),
            ("block-header", block.header.encoded()),
            ("commit-certificate", certificate.encoded()),
            ("sealed-block", sealed.encoded()),
            ("inclusion-proof", block.inclusionProof(index: 1).encoded()),
            ("peer-record", peer.encoded()),
            ("genesis", genesis.encoded()),
            ("federation-document", federation.encoded()),
            ("federation-hash", federation.hash.bytes),
            ("federation-adoption-transaction", adoption.encoded()),
            ("federation-checkpoint", checkpoint.encoded()),
            ("referral-relay-transaction", relay.encoded()),
            ("referral-answer-transaction", answer.encoded()),
            ("referral-dispatch", dispatch.encoded()),
        ]
    }

    static let north = CommunityID("hehua-north")!
    static let northGenesis = Hashing.sha256(Array("hehua-north genesis".utf8))

    /// The city of the federation vectors: `lianhua-east` (the minimal genesis
    /// above) and `hehua-north` (validators `key(21)`, `key(22)`, `key(23)`);
    /// the committee's adoption of it; and a checkpoint of `hehua-north` that
    /// verifies against it.
    static func federationVectors(genesis: GenesisDocument) -> (FederationDocument, Transaction, Checkpoint) {
        let committee = key(1)
        let federation = try! FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: genesis, caCertificate: Array("lianhua-east CA (DER)".utf8)),
            FederationMember(community: north, genesisHash: northGenesis, validators: [key(21), key(22), key(23)].map(\.publicKey),
                             caCertificate: Array("hehua-north CA (DER)".utf8)),
        ])
        let adoption = UnsignedTransaction(
            community: community, signer: committee.publicKey, nonce: 2, time: 1_767_225_840_000,
            payload: .federationAdoption(FederationAdoption(document: federation))).signed(with: committee)
        let head = Hashing.sha256(Array("hehua-north block 40".utf8))
        let checkpoint = Checkpoint(community: north, genesisHash: northGenesis, certificate: CommitCertificate(height: 40, headerHash: head, votes: [
            BlockVote(index: 0, key: key(21), headerHash: head), BlockVote(index: 2, key: key(23), headerHash: head),
        ]))
        return (federation, adoption, checkpoint)
    }

    static let northReferral = UnsignedTransaction(
        community: north, signer: key(5).publicKey, nonce: 4, time: 1_767_225_900_000,
        payload: .referral(Referral(toCommunity: community, kind: .request, reference: nil, summary: "Meals for an elder")))
        .signed(with: key(5))

    /// A referral across the city: `hehua-north`'s referral to `lianhua-east`
    /// (by `key(5)`), the one transaction of its block 41, certified by its
    /// validators 0 and 2; `lianhua-east`'s committee records it (kind 17)
    /// and answers it (kind 18); the dispatch `hehua-north`'s gateway sent it in.
    static func referralVectors() -> (Transaction, Transaction, ReferralDispatch) {
        let committee = key(1)
        let block = Block(community: north, height: 41, previous: Hashing.sha256(Array("hehua-north block 40".utf8)),
                          time: 1_767_225_910_000, proposer: 2, transactions: [northReferral])
        let hash = block.header.hash
        let certificate = CommitCertificate(height: 41, headerHash: hash, votes: [
            BlockVote(index: 0, key: key(21), headerHash: hash), BlockVote(index: 2, key: key(23), headerHash: hash),
        ])
        let record = ProvenTransaction(index: 0, of: SealedBlock(block: block, certificate: certificate), genesisHash: northGenesis)
        let relay = UnsignedTransaction(
            community: community, signer: committee.publicKey, nonce: 3, time: 1_767_225_960_000,
            payload: .referralRelay(ReferralRelay(record: record))).signed(with: committee)
        let answer = UnsignedTransaction(
            community: community, signer: committee.publicKey, nonce: 4, time: 1_767_226_020_000,
            payload: .referralAnswer(ReferralAnswer(referral: northReferral.id, fromCommunity: north, accepted: true,
                                                    note: "Meals from Monday"))).signed(with: committee)
        return (relay, answer, ReferralDispatch(sentAt: 1_767_225_920_000, record: record))
    }

    /// Named ```hex blocks of docs/codec.md.
    static func specBlocks() throws -> [String: [UInt8]] { try SpecDocument.hexBlocks("docs/codec.md") }

    @Test func everySpecVectorMatchesThisBuild() throws {
        let expected = Self.vectors()
        if ProcessInfo.processInfo.environment["CIVITAS_PRINT_VECTORS"] != nil {
            for (name, bytes) in expected {
                print("```hex \(name)")
                var i = 0
                while i < bytes.count {
                    print(Hex.encode(bytes[i..<min(i + 32, bytes.count)]))
                    i += 32
                }
                print("```")
            }
        }
        let spec = try Self.specBlocks()
        for (name, bytes) in expected {
            let documented = try #require(spec[name], "docs/codec.md has no ```hex \(name) block")
            #expect(documented == bytes, "vector \(name) differs from docs/codec.md")
        }
    }

    @Test func specVectorsDecodeToTheirValues() throws {
        let spec = try Self.specBlocks()
        let tx = try Transaction(encoded: try #require(spec["registration-transaction"]))
        #expect(tx.hasValidSignature())
        #expect(tx.id.bytes == spec["transaction-id"])
        let sealed = try SealedBlock(encoded: try #require(spec["sealed-block"]))
        try sealed.verify(validators: [Self.key(11), Self.key(12), Self.key(13)].map(\.publicKey))
        let proof = try InclusionProof(encoded: try #require(spec["inclusion-proof"]))
        #expect(proof.verify(leafHash: Merkle.leafHash(sealed.block.transactions[1].encoded()), root: sealed.header.transactionRoot))
        let peer = try PeerRecord(encoded: try #require(spec["peer-record"]))
        #expect(peer.hasValidSignature())
        let genesis = try GenesisDocument(encoded: try #require(spec["genesis"]))
        let federation = try FederationDocument(encoded: try #require(spec["federation-document"]))
        #expect(federation.hash.bytes == spec["federation-hash"])
        #expect(federation.member(genesis.community) == FederationMember(genesis: genesis, caCertificate: Array("lianhua-east CA (DER)".utf8)))
        let adoption = try Transaction(encoded: try #require(spec["federation-adoption-transaction"]))
        #expect(adoption.hasValidSignature() && adoption.payload == .federationAdoption(FederationAdoption(document: federation)))
        let checkpoint = try Checkpoint(encoded: try #require(spec["federation-checkpoint"]))
        try federation.verify(checkpoint)
    }

    @Test func theReferralVectorsCarryARecordThatVerifiesAgainstTheFederationVector() throws {
        let spec = try Self.specBlocks()
        let federation = try FederationDocument(encoded: try #require(spec["federation-document"]))
        let relay = try Transaction(encoded: try #require(spec["referral-relay-transaction"]))
        #expect(relay.hasValidSignature())
        guard case let .referralRelay(recorded) = relay.payload else {
            Issue.record("referral-relay-transaction is a \(relay.kind), not a referral relay")
            return
        }
        let referral = try recorded.record.verify(against: federation)
        #expect(referral == Self.northReferral && referral.hasValidSignature())
        let answer = try Transaction(encoded: try #require(spec["referral-answer-transaction"]))
        #expect(answer.hasValidSignature())
        #expect(answer.payload == .referralAnswer(ReferralAnswer(referral: referral.id, fromCommunity: Self.north, accepted: true,
                                                                 note: "Meals from Monday")))
        let dispatch = try ReferralDispatch(encoded: try #require(spec["referral-dispatch"]))
        #expect(dispatch.record == recorded.record)
    }
}
