import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// Hand-built encodings that break one ledger rule each; every one is refused with its exact error.
@Suite("Ledger rejections")
struct LedgerRejectionTests {
    // MARK: Builders

    static let request = Hashing.sha256(Array("request".utf8))

    /// The kind byte and fields of `payload`, with the byte at `offset` (counted from the first field) replaced.
    static func patched(_ payload: TransactionPayload, at offset: Int, to byte: UInt8) -> [UInt8] {
        var wire = payload.wire
        wire[1 + offset] = byte
        return Wire.transaction(payload: wire)
    }

    /// The offset in `Wire.transaction` of the payload field at `offset`.
    static func at(_ offset: Int) -> Int { Wire.kindOffset + 1 + offset }

    static func termsWire(options: [String] = ["yes", "no"], roles: UInt64 = 1, closingTag: UInt8 = 0,
                          quorum: UInt64 = 5000, pass: UInt64 = 5000) -> [UInt8] {
        Wire.string("Repaint the gate?") + Wire.string("Blue or green.") + Wire.varint(UInt64(options.count))
            + options.flatMap(Wire.string) + Wire.varint(roles) + [closingTag] + Wire.varint(7) + Wire.varint(quorum) + Wire.varint(pass)
    }

    static let terms = ProposalTerms(title: "Repaint the gate?", description: "Blue or green.", options: ["yes", "no"],
                                     eligibleRoles: RoleSet([.resident]), closing: .height(7), quorumBasisPoints: 5000, passBasisPoints: 5000)

    /// Two valid endorsements in ascending signer order.
    static let endorsements: [Endorsement] = Keys.pool.prefix(2).map { Endorsement(endorsing: terms, with: $0) }.sorted()

    static func proposalTransaction(terms: [UInt8] = termsWire(), endorsements: [Endorsement] = []) -> [UInt8] {
        Wire.transaction(payload: [TransactionKind.proposal.rawValue] + terms + Wire.list(endorsements.map { $0.canonicalBytes() }))
    }

    // MARK: Positive controls (the builders write exactly what the encoder writes)

    @Test func handBuiltEncodingsMatchTheEncoder() throws {
        let payload = TransactionPayload.proposal(Proposal(terms: Self.terms, endorsements: Self.endorsements))
        let tx = Transaction(UnsignedTransaction(community: Wire.community, signer: Keys.pool[0].publicKey, nonce: 1, time: 2, payload: payload),
                             signature: Signature())
        #expect(Self.proposalTransaction(endorsements: Self.endorsements) == tx.encoded())
        #expect(try Transaction(encoded: Self.proposalTransaction(endorsements: Self.endorsements)) == tx)
        #expect(Self.termsWire() == Self.terms.canonicalBytes())
    }

    // MARK: Tags

    @Test(arguments: [0, 19, 20, 0x7f, 0x80, 0xff] as [UInt8])
    func unknownTransactionKindIsRejected(kind: UInt8) {
        let fields = Array(TransactionPayload.serviceRequest(ServiceRequest(serviceCode: "a", description: "b", location: "c")).wire.dropFirst())
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: [kind] + fields))
            == CodecError(.unknownTag(tag: UInt64(kind), field: "transaction kind"), at: Wire.kindOffset))
    }

    @Test func unknownNoticeCategoryIsRejected() {
        let notice = TransactionPayload.notice(Notice(category: .general, title: "t", body: "b"))
        for tag in [5, 6, 0xff] as [UInt8] {
            #expect(decodeFailure(Transaction.self, Self.patched(notice, at: 0, to: tag))
                == CodecError(.unknownTag(tag: UInt64(tag), field: "notice category"), at: Self.at(0)))
        }
    }

    @Test func unknownResponseStatusIsRejected() {
        let response = TransactionPayload.serviceResponse(ServiceResponse(request: Self.request, status: .resolvedReferred, note: ""))
        for tag in [6, 7, 0xff] as [UInt8] {
            #expect(decodeFailure(Transaction.self, Self.patched(response, at: 32, to: tag))
                == CodecError(.unknownTag(tag: UInt64(tag), field: "response status"), at: Self.at(32)))
        }
    }

    @Test func unknownNodeRoleIsRejected() {
        var record = PeerRecord(key: Keys.pool[1], community: Wire.community, role: .gateway, addresses: ["10.0.0.1:7400"], sequence: 1, time: 2)
        let offset = 2 + 32 + Wire.community.canonicalBytes().count
        var bytes = record.encoded()
        #expect(bytes[offset] == NodeRole.gateway.rawValue)
        for tag in [3, 4, 0xff] as [UInt8] {
            bytes[offset] = tag
            #expect(decodeFailure(PeerRecord.self, bytes) == CodecError(.unknownTag(tag: UInt64(tag), field: "node role"), at: offset))
        }
        record.role = .validator
        #expect(record.encoded()[offset] == 0)
    }

    @Test func unknownClosureOutcomeIsRejected() {
        let closure = TransactionPayload.closure(Closure(request: Self.request, outcome: .reopened, rating: nil, comment: ""))
        for tag in [2, 3, 0xff] as [UInt8] {
            #expect(decodeFailure(Transaction.self, Self.patched(closure, at: 32, to: tag))
                == CodecError(.unknownTag(tag: UInt64(tag), field: "closure outcome"), at: Self.at(32)))
        }
    }

    @Test func unknownRegistrationActionReferralKindAndClosingRuleAreRejected() {
        let registration = TransactionPayload.registration(Registration(action: .revoke, subject: Keys.pool[2].publicKey, displayName: "", unit: "", roles: RoleSet()))
        #expect(decodeFailure(Transaction.self, Self.patched(registration, at: 0, to: 3))
            == CodecError(.unknownTag(tag: 3, field: "registration action"), at: Self.at(0)))
        let to = CommunityID("other")!
        let referral = TransactionPayload.referral(Referral(toCommunity: to, kind: .resource, reference: nil, summary: ""))
        let kindAt = to.canonicalBytes().count
        #expect(decodeFailure(Transaction.self, Self.patched(referral, at: kindAt, to: 2))
            == CodecError(.unknownTag(tag: 2, field: "referral kind"), at: Self.at(kindAt)))
        let e = decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(closingTag: 2)))
        #expect(e?.kind == .unknownTag(tag: 2, field: "closing rule"))
    }

    // MARK: Ranges

    @Test func ratingAboveFiveIsRejected() throws {
        let closure = TransactionPayload.closure(Closure(request: Self.request, outcome: .closed, rating: 5, comment: "ok"))
        for rating in [6, 7, 0x80, 0xff] as [UInt8] {
            #expect(decodeFailure(Transaction.self, Self.patched(closure, at: 33, to: rating))?.kind.invalidValueField == "rating")
        }
        for rating in 0...5 as ClosedRange<UInt8> {
            let tx = try Transaction(encoded: Self.patched(closure, at: 33, to: rating))
            guard case let .closure(c) = tx.payload else { Issue.record("not a closure"); continue }
            #expect(c.rating == (rating == 0 ? nil : rating))
        }
    }

    @Test func roleSetWithUnknownBitsIsRejected() throws {
        #expect(try RoleSet(canonicalBytes: Wire.varint(0xff)).roles == Role.allCases)
        for bit in 8..<64 {
            #expect(fieldsFailure(RoleSet.self, Wire.varint(1 << UInt64(bit)))?.kind.invalidValueField == "roles", "bit \(bit)")
            #expect(fieldsFailure(RoleSet.self, Wire.varint(1 << UInt64(bit) | 1))?.kind.invalidValueField == "roles", "bit \(bit)")
        }
        // Inside a registration.
        let subject = Keys.pool[3].publicKey
        let wire = [TransactionKind.registration.rawValue, 0] + subject.canonicalBytes() + Wire.string("Li") + Wire.string("1-101") + Wire.varint(0x100)
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: wire))?.kind.invalidValueField == "roles")
        // And in the terms of a proposal.
        #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(roles: 0x1ff)))?.kind.invalidValueField == "roles")
    }

    @Test func proposalWithFewerThanTwoOptionsIsRejected() throws {
        for options in [[], ["only"]] as [[String]] {
            #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(options: options)))?.kind.invalidValueField == "options")
        }
        _ = try Transaction(encoded: Self.proposalTransaction(terms: Self.termsWire(options: ["a", "b"])))
        _ = try Transaction(encoded: Self.proposalTransaction(terms: Self.termsWire(options: (0..<16).map { "\($0)" })))
        #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(options: (0..<17).map { "\($0)" })))?.kind
            == .lengthAboveLimit(length: 17, limit: FieldLimits.options))
        #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(options: ["a", String(repeating: "x", count: 129)])))?.kind
            == .lengthAboveLimit(length: 129, limit: FieldLimits.name))
    }

    @Test func quorumAboveTenThousandBasisPointsIsRejected() throws {
        for quorum in [10_001, 65_535, UInt64.max] as [UInt64] {
            #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(quorum: quorum)))?.kind.invalidValueField == "quorum")
        }
        for quorum in [0, 10_000] as [UInt64] { _ = try Transaction(encoded: Self.proposalTransaction(terms: Self.termsWire(quorum: quorum))) }
    }

    @Test func passThresholdOutsideOneToTenThousandIsRejected() throws {
        for pass in [0, 10_001] as [UInt64] {
            #expect(decodeFailure(Transaction.self, Self.proposalTransaction(terms: Self.termsWire(pass: pass)))?.kind.invalidValueField == "pass threshold")
        }
        for pass in [1, 10_000] as [UInt64] { _ = try Transaction(encoded: Self.proposalTransaction(terms: Self.termsWire(pass: pass))) }
    }

    @Test func ballotChoiceAboveFifteenAndVolunteerMinutesOutsideADayAreRejected() {
        let ballot = [TransactionKind.ballot.rawValue] + Self.request.canonicalBytes() + Wire.varint(16)
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: ballot))?.kind.invalidValueField == "choice")
        for minutes in [0, 1441] as [UInt64] {
            let wire = [TransactionKind.volunteerRecord.rawValue] + [UInt8](repeating: 1, count: 16) + Wire.string("visits") + Wire.varint(minutes) + Wire.varint(20_000)
            #expect(decodeFailure(Transaction.self, Wire.transaction(payload: wire))?.kind.invalidValueField == "minutes")
        }
        let overflowDay = [TransactionKind.volunteerRecord.rawValue] + [UInt8](repeating: 1, count: 16) + Wire.string("visits") + Wire.varint(60) + Wire.varint(1 << 32)
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: overflowDay))?.kind == .varintOverflow)
    }

    @Test func headerTransactionCountAboveTheBlockLimitIsRejected() {
        var g = Gen(seed: 10)
        var header = g.header()
        header.transactionCount = UInt32(FieldLimits.blockTransactions)
        #expect(decodeFailure(BlockHeader.self, header.encoded()) == nil)
        header.transactionCount += 1
        #expect(decodeFailure(BlockHeader.self, header.encoded())?.kind.invalidValueField == "transaction count")
    }

    // MARK: Sets: strictly ascending, no duplicates

    @Test func unsortedOrDuplicateEndorsementsAreRejected() throws {
        let (a, b) = (Self.endorsements[0], Self.endorsements[1])
        _ = try Transaction(encoded: Self.proposalTransaction(endorsements: [a, b]))
        for list in [[b, a], [a, a], [a, b, b]] {
            #expect(decodeFailure(Transaction.self, Self.proposalTransaction(endorsements: list))?.kind.invalidValueField == "endorsements")
        }
        // Same signer, different signatures: still a duplicate.
        let other = Endorsement(signer: a.signer, signature: b.signature)
        #expect(decodeFailure(Transaction.self, Self.proposalTransaction(endorsements: [a, other]))?.kind.invalidValueField == "endorsements")
    }

    @Test func unsortedOrDuplicateVotesAreRejected() throws {
        let hash = Self.request
        let votes = (0..<3).map { BlockVote(index: UInt32($0), key: Keys.pool[$0], headerHash: hash) }
        var certificate = CommitCertificate(height: 9, headerHash: hash, votes: votes)
        _ = try CommitCertificate(encoded: certificate.encoded())
        for list in [[votes[1], votes[0]], [votes[0], votes[0]], [votes[0], votes[2], votes[1]]] {
            certificate.votes = list
            #expect(decodeFailure(CommitCertificate.self, certificate.encoded())?.kind.invalidValueField == "votes")
            let checkpoint = Checkpoint(community: Wire.community, genesisHash: hash, certificate: certificate)
            #expect(decodeFailure(Checkpoint.self, checkpoint.encoded())?.kind.invalidValueField == "votes")
        }
        certificate.votes = (0..<65).map { BlockVote(validator: UInt32($0), signature: Signature()) }
        #expect(decodeFailure(CommitCertificate.self, certificate.encoded())?.kind == .lengthAboveLimit(length: 65, limit: FieldLimits.validators))
    }

    static func genesis() -> GenesisDocument {
        var g = Gen(seed: 11)
        var doc = g.genesis()
        doc.registrars = [g.publicKey(), g.publicKey(), g.publicKey()].sorted()
        doc.subjects = [g.publicKey(), g.publicKey()].sorted().map { GenesisSubject(key: $0, displayName: "s", unit: "u", roles: RoleSet()) }
        doc.parameters.responseDeadlines = [ResponseDeadline(serviceCode: "elevator", seconds: 1), ResponseDeadline(serviceCode: "lights", seconds: 2)]
        return doc
    }

    @Test func unsortedOrDuplicateRegistrarsAreRejected() throws {
        let valid = Self.genesis()
        _ = try GenesisDocument(encoded: valid.encoded())
        let r = valid.registrars
        for list in [[r[1], r[0], r[2]], [r[0], r[0]], [r[0], r[1], r[1], r[2]], r.reversed()] {
            var doc = valid
            doc.registrars = list
            #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == "registrars")
        }
    }

    @Test func unsortedOrDuplicateGenesisSubjectsAreRejected() {
        let valid = Self.genesis()
        let s = valid.subjects
        var twin = s[0]
        twin.displayName = "another name, same key"
        for list in [[s[1], s[0]], [s[0], s[0]], [s[0], twin].sorted { $0.displayName < $1.displayName }] {
            var doc = valid
            doc.subjects = list
            #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == "subjects")
        }
    }

    @Test func unsortedOrDuplicateResponseDeadlinesAreRejected() {
        let valid = Self.genesis()
        let d = valid.parameters.responseDeadlines
        for list in [[d[1], d[0]], [d[0], d[0]], [d[0], ResponseDeadline(serviceCode: d[0].serviceCode, seconds: 99)]] {
            var doc = valid
            doc.parameters.responseDeadlines = list
            #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == "response deadlines")
        }
    }

    // MARK: Community names

    static let invalidNames = ["", "A", "-x", "x-", "-", "a_b", "a b", "a.b", "é", "Lianhua", "ab\u{0}"]

    @Test func invalidCommunityNamesAreRejected() throws {
        for name in Self.invalidNames {
            #expect(CommunityID(name) == nil, "\(name)")
            #expect(fieldsFailure(CommunityID.self, Wire.string(name)) == CodecError(.invalidValue(field: "community", reason: "must be 1-64 of a-z, 0-9, '-' not at either end"), at: 0), "\(name)")
        }
        let long = String(repeating: "a", count: 65)
        #expect(CommunityID(long) == nil)
        #expect(fieldsFailure(CommunityID.self, Wire.string(long)) == CodecError(.lengthAboveLimit(length: 65, limit: 64), at: 0))
        for name in ["a", "0", "a-b", "a--b", "lianhua-east", String(repeating: "z", count: 64)] {
            #expect(CommunityID(name)?.name == name)
            #expect(try CommunityID(canonicalBytes: Wire.string(name)).name == name)
        }
    }

    @Test func invalidCommunityNameInsideAnObjectIsRejected() {
        let tx = Wire.transaction(payload: [TransactionKind.ballot.rawValue] + Self.request.canonicalBytes() + [0])
        let tail = Array(tx.dropFirst(2 + Wire.community.canonicalBytes().count))
        for name in ["", "A", "-x", "x-"] {
            #expect(decodeFailure(Transaction.self, [0x10, 1] + Wire.string(name) + tail)?.kind.invalidValueField == "community")
        }
        #expect(decodeFailure(Transaction.self, [0x10, 1] + Wire.string(String(repeating: "a", count: 65)) + tail)
            == CodecError(.lengthAboveLimit(length: 65, limit: 64), at: 2))
    }

    // MARK: Genesis

    @Test func genesisWithoutValidatorsIsRejected() {
        var doc = Self.genesis()
        doc.validators = []
        #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == "validators")
    }

    @Test func genesisWithDuplicateValidatorNodeKeysIsRejected() {
        var doc = Self.genesis()
        let first = doc.validators[0]
        doc.validators.append(ValidatorEntry(name: "twin", subject: Keys.pool[5].publicKey, nodeKey: first.nodeKey))
        #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == "validators")
        doc.validators = (0..<65).map { i in ValidatorEntry(name: "v", subject: first.subject, nodeKey: PublicKey(raw: Bytes32((0..<32).map { _ in UInt8(i) })!)) }
        #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind == .lengthAboveLimit(length: 65, limit: FieldLimits.validators))
    }

    @Test func genesisParametersOutOfRangeAreRejected() {
        for (mutate, field) in [
            ({ (p: inout GenesisParameters) in p.maxBlockTransactions = 0 }, "max block transactions"),
            ({ (p: inout GenesisParameters) in p.maxBlockTransactions = UInt32(FieldLimits.blockTransactions) + 1 }, "max block transactions"),
            ({ (p: inout GenesisParameters) in p.checkpointInterval = 0 }, "checkpoint interval"),
        ] {
            var doc = Self.genesis()
            mutate(&doc.parameters)
            #expect(decodeFailure(GenesisDocument.self, doc.encoded())?.kind.invalidValueField == field)
        }
    }

    // MARK: Peer records

    @Test func peerRecordWithoutAddressesIsRejected() {
        let record = PeerRecord(key: Keys.pool[1], community: Wire.community, role: .observer, addresses: [], sequence: 1, time: 2)
        #expect(decodeFailure(PeerRecord.self, record.encoded())?.kind.invalidValueField == "addresses")
    }

    @Test func peerRecordWithTooManyOrTooLongAddressesIsRejected() {
        let many = PeerRecord(key: Keys.pool[1], community: Wire.community, role: .observer,
                              addresses: (0..<17).map { "10.0.0.\($0):1" }, sequence: 1, time: 2)
        #expect(decodeFailure(PeerRecord.self, many.encoded())?.kind == .lengthAboveLimit(length: 17, limit: FieldLimits.addresses))
        let long = PeerRecord(key: Keys.pool[1], community: Wire.community, role: .observer,
                              addresses: [String(repeating: "h", count: 256)], sequence: 1, time: 2)
        #expect(decodeFailure(PeerRecord.self, long.encoded())?.kind == .lengthAboveLimit(length: 256, limit: FieldLimits.address))
    }

    // MARK: Blocks

    @Test func blockWhoseBodyCountDiffersFromTheHeaderIsRejected() throws {
        var g = Gen(seed: 12)
        let block = g.block()
        _ = try Block(encoded: block.encoded())
        for delta in [-1, 1] {
            guard Int(block.header.transactionCount) + delta >= 0 else { continue }
            var header = block.header
            header.transactionCount = UInt32(Int(header.transactionCount) + delta)
            let bytes = Block(header: header, transactions: block.transactions).encoded()
            #expect(decodeFailure(Block.self, bytes) == CodecError(
                .invalidValue(field: "transactions", reason: "body has \(block.transactions.count), header says \(header.transactionCount)"),
                at: 2 + header.canonicalBytes().count))
        }
    }
}
