import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// The federation document (type 0x41): canonical, bounded, and the one place
/// a neighbour's commit certificate is checked against its validators.
@Suite("Federation document")
struct FederationDocumentTests {
    static let east = CommunityID("lianhua-east")!
    static let north = CommunityID("hehua-north")!
    /// The neighbour's validators: pool keys 4, 5, 6.
    static let northValidators = Array(Keys.pool[4...6])
    static let northGenesis = Hashing.sha256(Array("hehua-north genesis".utf8))

    static func member(_ community: CommunityID, genesis: Hash = Hashing.sha256([1]), validators: [SigningKey] = Array(Keys.pool[0...2]),
                       ca: [UInt8] = Array("CA".utf8)) -> FederationMember {
        FederationMember(community: community, genesisHash: genesis, validators: validators.map(\.publicKey), caCertificate: ca)
    }

    static let document = try! FederationDocument(sequence: 3, communities: [
        member(north, genesis: northGenesis, validators: northValidators), member(east),
    ])

    /// A certificate of the neighbour's header `hash` at `height`, with the votes of its validators `voters`.
    static func certificate(_ voters: [Int], height: UInt64 = 40, hash: Hash = Hashing.sha256(Array("head".utf8))) -> CommitCertificate {
        CommitCertificate(height: height, headerHash: hash, votes: voters.map { BlockVote(index: UInt32($0), key: northValidators[$0], headerHash: hash) })
    }

    // MARK: Wire builders

    static func memberWire(_ name: String, keys: [PublicKey], ca: [UInt8] = [0xCA]) -> [UInt8] {
        Wire.string(name) + Hashing.sha256([1]).bytes + Wire.list(keys.map { $0.canonicalBytes() }) + Wire.varint(UInt64(ca.count)) + ca
    }

    static func documentWire(sequence: UInt64 = 1, _ members: [[UInt8]]) -> [UInt8] {
        Wire.object(FederationDocument.self, Wire.varint(sequence) + Wire.list(members))
    }

    static let keys = Keys.pool.prefix(3).map(\.publicKey)

    // MARK: Encoding

    @Test func handBuiltEncodingMatchesTheEncoderAndCommunitiesAreSortedByName() throws {
        let doc = try FederationDocument(sequence: 1, communities: [Self.member(Self.east, validators: Array(Keys.pool[0...2]), ca: [0xCA]),
                                                                    Self.member(CommunityID("baihe")!, validators: Array(Keys.pool[0...2]), ca: [0xCA])])
        #expect(doc.communities.map(\.community.name) == ["baihe", "lianhua-east"])
        let wire = Self.documentWire([Self.memberWire("baihe", keys: Self.keys), Self.memberWire("lianhua-east", keys: Self.keys)])
        #expect(doc.encoded() == wire)
        #expect(try FederationDocument(encoded: wire) == doc)
        #expect(doc.hash == Hashing.sha256(wire))
        #expect(doc.fieldsSize == wire.count - 2)
    }

    @Test func theMemberOfAGenesisIsItsChainAndItsValidatorsInVoteOrder() {
        let genesis = GenesisDocument(
            community: Self.east, time: 1, validators: Keys.pool[0...2].reversed().enumerated().map {
                ValidatorEntry(name: "v\($0.offset)", subject: Keys.pool[9].publicKey, nodeKey: $0.element.publicKey)
            }, registrars: [], subjects: [], parameters: GenesisParameters())
        let m = FederationMember(genesis: genesis, caCertificate: [1])
        #expect(m.community == Self.east && m.genesisHash == genesis.hash && m.validators == genesis.validatorKeys)
    }

    @Test func unsortedOrRepeatedCommunitiesAreRefused() {
        let a = Self.memberWire("aaa", keys: Self.keys), b = Self.memberWire("bbb", keys: Self.keys)
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([b, a]))?.kind.invalidValueField == "communities")
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([a, a]))?.kind.invalidValueField == "communities")
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([a, b])) == nil)
        #expect(ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: 1, communities: [Self.member(Self.east), Self.member(Self.east)]) }
            == .federation("community 'lianhua-east' is listed twice"))
    }

    @Test func aCommunityNeedsDistinctValidatorsAndACACertificateWithinTheLimit() {
        // (A CA long enough that the member still passes the list rule's 69-byte minimum.)
        let noValidators = Self.documentWire([Self.memberWire("aaa", keys: [], ca: [UInt8](repeating: 1, count: 40))])
        #expect(decodeFailure(FederationDocument.self, noValidators) == CodecError(.invalidValue(field: "validators", reason: "at least one validator"), at: 2 + 1 + 1 + 4 + 32))
        let twice = Self.documentWire([Self.memberWire("aaa", keys: [Self.keys[0], Self.keys[0]])])
        #expect(decodeFailure(FederationDocument.self, twice)?.kind.invalidValueField == "validators")
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([Self.memberWire("aaa", keys: Self.keys, ca: [])]))?
            .kind.invalidValueField == "CA certificate")
        let big = [UInt8](repeating: 7, count: FieldLimits.caCertificate + 1)
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([Self.memberWire("aaa", keys: Self.keys, ca: big)]))?.kind
            == .lengthAboveLimit(length: UInt64(big.count), limit: FieldLimits.caCertificate))
        #expect(decodeFailure(FederationDocument.self, Self.documentWire([Self.memberWire("aaa", keys: Self.keys, ca: Array(big.dropLast()))])) == nil)
        #expect(ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: 1, communities: [Self.member(Self.east, validators: [])]) }
            == .federation("'lianhua-east' needs 1 to 64 distinct validator keys"))
        #expect(ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: 1, communities: [Self.member(Self.east, ca: big)]) }?.caseName == "federation")
    }

    @Test func aCountTheInputCannotHoldIsRefusedBeforeAnythingIsAllocated() {
        let claim = Self.documentWire([]).dropLast() + Wire.varint(UInt64(FieldLimits.federationCommunities))
        #expect(decodeFailure(FederationDocument.self, Array(claim))?.kind
            == .lengthAboveInput(length: UInt64(FieldLimits.federationCommunities), remaining: 0))
        let tooMany = Self.documentWire([]).dropLast() + Wire.varint(UInt64(FieldLimits.federationCommunities + 1))
        #expect(decodeFailure(FederationDocument.self, Array(tooMany))?.kind
            == .lengthAboveLimit(length: UInt64(FieldLimits.federationCommunities + 1), limit: FieldLimits.federationCommunities))
    }

    @Test func theSequenceFitsASignedSixtyFourBitInteger() throws {
        #expect(decodeFailure(FederationDocument.self, Self.documentWire(sequence: FederationDocument.maxSequence, [])) == nil)
        #expect(decodeFailure(FederationDocument.self, Self.documentWire(sequence: FederationDocument.maxSequence + 1, []))?.kind.invalidValueField
            == "sequence")
        #expect(ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: .max, communities: []) }?.caseName == "federation")
        let last = try FederationDocument(sequence: FederationDocument.maxSequence, communities: [])
        #expect(ledgerFailure { () throws(LedgerError) in _ = try last.setting(Self.member(Self.east)) } == .federation("the sequence is at its maximum"))
    }

    @Test func aDocumentAboveItsByteLimitIsRefusedWhetherDecodedOrBuilt() {
        // Members of 1,520 bytes each (a 1,374-byte CA): 40 take 60,800 bytes, 41 pass the 61,440-byte limit.
        func members(_ n: Int) -> [FederationMember] {
            (0..<n).map { Self.member(CommunityID("community-\(1000 + $0)")!, ca: [UInt8](repeating: 1, count: 1_374)) }
        }
        #expect(ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: 1, communities: members(40)) } == nil)
        let built = ledgerFailure { () throws(LedgerError) in _ = try FederationDocument(sequence: 1, communities: members(41)) }
        #expect(built?.caseName == "federation" && built?.description.contains("61440") == true)
        let wire = Self.documentWire(members(41).map { $0.canonicalBytes() })
        #expect(decodeFailure(FederationDocument.self, wire)?.kind == .lengthAboveLimit(length: UInt64(wire.count - 2), limit: FieldLimits.federationDocument))
    }

    @Test func fortyCommunitiesOfTwentyValidatorsFitOneAdoptionTransaction() throws {
        // Names of 64 bytes and CA certificates of 770 bytes (`civitas ca init` writes about 540, 765 for a 64-byte name).
        let validators = (0..<20).map { i in PublicKey(raw: Bytes32(Hashing.sha256([UInt8(i)]).bytes)!) }
        let members = (0..<40).map { i in
            FederationMember(community: CommunityID(String(repeating: "c", count: 60) + "\(1000 + i)")!, genesisHash: Hashing.sha256([UInt8(i)]),
                             validators: validators, caCertificate: [UInt8](repeating: 0x30, count: 770))
        }
        let document = try FederationDocument(sequence: 1, communities: members)
        let tx = UnsignedTransaction(community: Self.east, signer: Keys.pool[0].publicKey, nonce: UInt64(UInt32.max), time: UInt64(Int64.max),
                                     payload: .federationAdoption(FederationAdoption(document: document))).signed(with: Keys.pool[0])
        #expect(tx.encoded().count <= 64 << 10, "the mempool's default maxTransactionBytes")
        #expect(try Transaction(encoded: tx.encoded()) == tx)
    }

    @Test func settingAMemberAddsOrReplacesItAndRaisesTheSequence() throws {
        let replaced = try Self.document.setting(Self.member(Self.east, genesis: Hashing.sha256([2])))
        #expect(replaced.sequence == 4 && replaced.communities.count == 2)
        #expect(replaced.member(Self.east)?.genesisHash == Hashing.sha256([2]))
        let added = try replaced.setting(Self.member(CommunityID("baihe")!))
        #expect(added.sequence == 5 && added.communities.map(\.community.name) == ["baihe", "hehua-north", "lianhua-east"])
        #expect(added.hash != replaced.hash)
    }

    // MARK: Verifying a neighbour's certificate

    @Test func aCertificateOfAStrictMajorityOfTheListedValidatorsVerifies() throws {
        try Self.document.verify(Self.certificate([0, 2]), of: Self.north, genesisHash: Self.northGenesis)
        try Self.document.verify(Checkpoint(community: Self.north, genesisHash: Self.northGenesis, certificate: Self.certificate([0, 1, 2])))
    }

    @Test func aCommunityNotInTheDocumentOrAnotherChainOfItIsRefused() {
        #expect(ledgerFailure { () throws(LedgerError) in try Self.document.verify(Self.certificate([0, 1]), of: CommunityID("baihe")!, genesisHash: Self.northGenesis) }
            == .notInFederation(CommunityID("baihe")!))
        let other = Hashing.sha256([9])
        #expect(ledgerFailure { () throws(LedgerError) in try Self.document.verify(Self.certificate([0, 1]), of: Self.north, genesisHash: other) }
            == .federationGenesisMismatch(community: Self.north, documented: Self.northGenesis, claimed: other))
    }

    @Test func aMinorityAForgeryOrAMajorityWithOneBadVoteIsRefused() {
        func failure(_ c: CommitCertificate) -> LedgerError? {
            ledgerFailure { () throws(LedgerError) in try Self.document.verify(c, of: Self.north, genesisHash: Self.northGenesis) }
        }
        #expect(failure(Self.certificate([1])) == .certificate("1 of 3 validators signed; a majority is 2"))
        // Signed by keys that are not the neighbour's validators (another community's, here).
        let hash = Hashing.sha256(Array("head".utf8))
        let forged = CommitCertificate(height: 40, headerHash: hash, votes: (0..<3).map { BlockVote(index: UInt32($0), key: Keys.pool[$0], headerHash: hash) })
        #expect(failure(forged) == .certificate("bad signature from validator #0"))
        // Two good votes and one bad one: refused as a whole (one rule for every certificate: every vote must verify).
        var oneBad = Self.certificate([0, 1, 2])
        oneBad.votes[2].signature = Signature()
        #expect(failure(oneBad) == .certificate("bad signature from validator #2"))
        // A vote for another header does not count for this one.
        let elsewhere = Self.certificate([0, 1], hash: Hashing.sha256([5]))
        #expect(failure(CommitCertificate(height: 40, headerHash: hash, votes: elsewhere.votes)) == .certificate("bad signature from validator #0"))
        #expect(failure(CommitCertificate(height: 40, headerHash: hash, votes: [BlockVote(validator: 3, signature: Signature())]))
            == .certificate("vote from validator #3, but there are only 3"))
    }
}
