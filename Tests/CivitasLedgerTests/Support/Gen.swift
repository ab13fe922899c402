import CivitasTestSupport
import CivitasCodec
import CivitasLedger

/// Deterministic Ed25519 keys: key `i` has the seed SplitMix64(0xC1F1 + i)'s first 32 bytes.
enum Keys {
    static let pool: [SigningKey] = (0..<16).map { key($0) }

    static func key(_ i: Int) -> SigningKey {
        var g = SplitMix64(seed: 0xC1F1 &+ UInt64(i))
        return SigningKey(seed: Bytes32(g.bytes(32))!)
    }

    static var publicKeys: [PublicKey] { pool.map(\.publicKey) }
}

/// A sealed block with the validator keys its certificate is checked against.
struct SealedSample {
    var sealed: SealedBlock
    var validators: [PublicKey]
}

/// Random values of every ledger type, within every field limit, from a seed.
struct Gen {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 0xC0DEC) }

    // MARK: Primitives

    mutating func int(_ range: ClosedRange<Int>) -> Int { rng.int(range) }
    mutating func chance(_ percent: Int) -> Bool { rng.chance(percent) }
    mutating func u64() -> UInt64 { rng.varintValue() }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: rng.varintValue() >> 32) }
    mutating func bytes(_ n: Int) -> [UInt8] { rng.bytes(n) }
    mutating func hash() -> Hash { Hash(bytes(32))! }
    mutating func signature() -> Signature { Signature(bytes(64))! }
    mutating func publicKey() -> PublicKey { PublicKey(raw: Bytes32(bytes(32))!) }
    mutating func subjectID() -> SubjectID { SubjectID(raw: Bytes16(bytes(16))!) }
    mutating func optionalHash() -> Hash? { chance(50) ? hash() : nil }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A small count most of the time, sometimes up to `max`, sometimes exactly `max`.
    mutating func count(_ max: Int, typical: Int = 4) -> Int {
        switch int(0...49) {
        case 0: return max
        case 1, 2: return int(0...max)
        default: return int(0...min(typical, max))
        }
    }

    /// A string of 1- to 4-byte UTF-8 scalars whose byte length is ≤ `maxBytes`
    /// (short most of the time, sometimes exactly `maxBytes`).
    mutating func text(_ maxBytes: Int) -> String {
        var budget = count(maxBytes, typical: 24)
        var utf8: [UInt8] = []
        utf8.reserveCapacity(budget)
        while budget > 0 {
            let r = rng.next()
            // Widths 1, 1, 1, 1, 2, 2, 3, 4 bytes; the value comes from the high bits.
            let width = Swift.min(budget, Int((0x4322_1111 as UInt64) >> ((r & 7) << 2) & 0xf))
            let x = r >> 8
            switch width {
            case 1:
                utf8.append(UInt8(x & 0x7f))
            case 2:
                let v = 0x80 + x % 0x780
                utf8 += [UInt8(0xc0 | v >> 6), UInt8(0x80 | v & 0x3f)]
            case 3:
                var v = 0x800 + x % (0x10000 - 0x800 - 0x800)
                if v >= 0xd800 { v += 0x800 }  // skip the surrogates
                utf8 += [UInt8(0xe0 | v >> 12), UInt8(0x80 | v >> 6 & 0x3f), UInt8(0x80 | v & 0x3f)]
            default:
                let v = 0x10000 + x % 0x100000
                utf8 += [UInt8(0xf0 | v >> 18), UInt8(0x80 | v >> 12 & 0x3f), UInt8(0x80 | v >> 6 & 0x3f), UInt8(0x80 | v & 0x3f)]
            }
            budget -= width
        }
        let s = String(decoding: utf8, as: UTF8.self)
        precondition(Array(s.utf8) == utf8, "generator made invalid UTF-8")
        return s
    }

    mutating func community() -> CommunityID {
        let alnum = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let all = alnum + [UInt8(ascii: "-")]
        let n = chance(10) ? CommunityID.maxLength : int(1...16)
        var name = (0..<n).map { _ in pick(all) }
        name[0] = pick(alnum)
        name[n - 1] = pick(alnum)
        return CommunityID(String(decoding: name, as: UTF8.self))!
    }

    mutating func roles() -> RoleSet { RoleSet(Role.allCases.filter { _ in chance(30) }) }

    mutating func key() -> SigningKey { pick(Keys.pool) }

    // MARK: Payloads

    mutating func payload() -> TransactionPayload { payload(pick(TransactionKind.allCases)) }

    mutating func payload(_ kind: TransactionKind) -> TransactionPayload {
        switch kind {
        case .registration:
            return .registration(Registration(
                action: pick(Registration.Action.allCases), subject: publicKey(),
                displayName: text(FieldLimits.name), unit: text(FieldLimits.shortText), roles: roles()))
        case .notice:
            return .notice(Notice(
                category: pick(Notice.Category.allCases), title: text(FieldLimits.title), body: text(FieldLimits.longText),
                supersedes: optionalHash(), attachments: (0..<count(FieldLimits.attachments)).map { _ in hash() }))
        case .proposal:
            return .proposal(proposal())
        case .ballot:
            return .ballot(Ballot(proposal: hash(), choice: UInt32(int(0...(FieldLimits.options - 1)))))
        case .serviceRequest:
            return .serviceRequest(ServiceRequest(
                serviceCode: text(FieldLimits.shortText), description: text(FieldLimits.note), location: text(FieldLimits.shortText)))
        case .assignment:
            return .assignment(Assignment(request: hash(), provider: subjectID(), note: text(FieldLimits.note)))
        case .serviceResponse:
            return .serviceResponse(ServiceResponse(request: hash(), status: pick(ServiceResponse.Status.allCases), note: text(FieldLimits.note)))
        case .closure:
            return .closure(Closure(
                request: hash(), outcome: pick(Closure.Outcome.allCases),
                rating: chance(30) ? nil : UInt8(int(1...5)), comment: text(FieldLimits.note)))
        case .volunteerRecord:
            return .volunteerRecord(VolunteerRecord(
                volunteer: subjectID(), activity: text(FieldLimits.shortText), minutes: UInt32(int(1...1440)), day: u32()))
        case .checkpoint:
            return .checkpoint(checkpoint())
        case .referral:
            return .referral(Referral(
                toCommunity: community(), kind: pick(Referral.Kind.allCases), reference: optionalHash(), summary: text(FieldLimits.note)))
        case .proposalDraft:
            return .proposalDraft(ProposalDraft(terms: terms()))
        case .endorsement:
            return .endorsement(DraftEndorsement(draft: hash()))
        case .rewardOffer:
            return .rewardOffer(RewardOffer(
                title: text(FieldLimits.title), description: text(FieldLimits.note),
                price: UInt32(chance(10) ? pick([1, Int(RewardOffer.maxPrice)]) : int(1...Int(RewardOffer.maxPrice))),
                quantity: UInt32(chance(10) ? pick([1, Int(RewardOffer.maxQuantity)]) : int(1...Int(RewardOffer.maxQuantity)))))
        case .redemption:
            return .redemption(Redemption(offer: hash()))
        case .federationAdoption:
            return .federationAdoption(FederationAdoption(document: federation()))
        case .referralRelay:
            return .referralRelay(ReferralRelay(record: provenTransaction()))
        case .referralAnswer:
            return .referralAnswer(ReferralAnswer(referral: hash(), fromCommunity: community(), accepted: chance(50), note: text(FieldLimits.note)))
        }
    }

    /// A record of another chain: its header, a certificate and proof of random shape, and a transaction's bytes
    /// (a referral's, encoded; its proof does not hold — the codec does not check proofs).
    mutating func provenTransaction() -> ProvenTransaction {
        let path = (0..<int(0...12)).map { _ in hash() }
        let inner = UnsignedTransaction(community: community(), signer: publicKey(), nonce: u64(), time: u64(),
                                        payload: .referral(Referral(toCommunity: community(), kind: pick(Referral.Kind.allCases),
                                                                    reference: optionalHash(), summary: text(FieldLimits.shortText))))
        return ProvenTransaction(community: community(), genesisHash: hash(), header: header(), certificate: certificate(),
                                 inclusion: InclusionProof(leafIndex: u64(), treeSize: u64(), path: path),
                                 transaction: Transaction(inner, signature: signature()).encoded())
    }

    mutating func closingRule() -> ClosingRule { chance(50) ? .height(u64()) : .time(u64()) }

    mutating func terms() -> ProposalTerms {
        ProposalTerms(
            title: text(FieldLimits.title), description: text(FieldLimits.longText),
            options: (0..<max(2, count(FieldLimits.options))).map { _ in text(FieldLimits.name) },
            eligibleRoles: roles(), closing: closingRule(),
            quorumBasisPoints: UInt32(chance(10) ? pick([0, 10_000]) : int(0...10_000)),
            passBasisPoints: UInt32(chance(10) ? pick([1, 10_000]) : int(1...10_000)))
    }

    /// Terms with real endorsements from distinct pool keys, or (for large sets) distinct random signers.
    mutating func proposal() -> Proposal {
        let t = terms()
        var endorsements: [Endorsement] = []
        if chance(5) {
            var signers = Set<PublicKey>()
            let n = count(FieldLimits.endorsements, typical: 40)
            while signers.count < n { signers.insert(publicKey()) }
            // Sorted before drawing signatures: Set order differs between processes.
            endorsements = signers.sorted().map { Endorsement(signer: $0, signature: signature()) }
        } else {
            endorsements = Keys.pool.prefix(int(0...3)).map { Endorsement(endorsing: t, with: $0) }
        }
        return Proposal(terms: t, endorsements: endorsements)
    }

    /// Votes from distinct validator indices, with random signatures.
    mutating func certificate() -> CommitCertificate {
        var indices = Set<UInt32>()
        let n = count(FieldLimits.validators, typical: 7)
        while indices.count < n { indices.insert(chance(80) ? UInt32(int(0...63)) : u32()) }
        return CommitCertificate(height: u64(), headerHash: hash(), votes: indices.sorted().map { BlockVote(validator: $0, signature: signature()) })
    }

    mutating func checkpoint() -> Checkpoint {
        Checkpoint(community: community(), genesisHash: hash(), certificate: certificate())
    }

    // MARK: Top-level objects

    mutating func transaction(community: CommunityID? = nil, kind: TransactionKind? = nil) -> Transaction {
        let k = key()
        let body = UnsignedTransaction(
            community: community ?? self.community(), signer: k.publicKey, nonce: u64(), time: u64(),
            payload: kind.map { payload($0) } ?? payload())
        return body.signed(with: k)
    }

    mutating func header() -> BlockHeader {
        BlockHeader(community: community(), height: u64(), previous: hash(), time: u64(), proposer: u32(),
                    transactionCount: UInt32(chance(10) ? pick([0, FieldLimits.blockTransactions]) : int(0...FieldLimits.blockTransactions)),
                    transactionRoot: hash())
    }

    mutating func block() -> Block {
        let c = community()
        let txs = (0..<int(0...5)).map { _ in transaction(community: c) }
        return Block(community: c, height: u64(), previous: hash(), time: u64(), proposer: u32(), transactions: txs)
    }

    /// A block of validly signed transactions of one community, sealed by a real majority of 1 to 7 pool validators.
    /// `large` picks a body at or above the compression threshold; nil picks either.
    mutating func sealed(large: Bool? = nil) -> SealedSample {
        let n = int(1...7)
        let validators = Array(Keys.pool.prefix(n))
        let c = community()
        let wantLarge = large ?? chance(50)
        var txs: [Transaction] = []
        if wantLarge {
            while BlockBodyBytes.of(txs).count < SealedBlock.compressionThreshold { txs.append(transaction(community: c)) }
        } else {
            for _ in 0..<int(0...6) {
                let tx = transaction(community: c)
                if BlockBodyBytes.of(txs + [tx]).count < SealedBlock.compressionThreshold { txs.append(tx) }
            }
        }
        let block = Block(community: c, height: u64(), previous: hash(), time: u64(), proposer: UInt32(int(0...(n - 1))), transactions: txs)
        var voters = Array(0..<n)
        voters.shuffle(using: &rng)
        voters = Array(voters.prefix(int((n / 2 + 1)...n)))
        let hash = block.header.hash
        let certificate = CommitCertificate(
            height: block.header.height, headerHash: hash,
            votes: voters.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) })
        return SealedSample(sealed: SealedBlock(block: block, certificate: certificate), validators: validators.map(\.publicKey))
    }

    mutating func peerRecord() -> PeerRecord {
        PeerRecord(key: key(), community: community(), role: pick(NodeRole.allCases),
                   addresses: (0..<max(1, count(FieldLimits.addresses))).map { _ in text(FieldLimits.address) },
                   sequence: u64(), time: u64())
    }

    mutating func genesis() -> GenesisDocument {
        var nodeKeys = Set<PublicKey>()
        let nValidators = chance(5) ? FieldLimits.validators : int(1...7)
        while nodeKeys.count < nValidators { nodeKeys.insert(publicKey()) }
        let validators = nodeKeys.sorted().shuffled(using: &rng).map { ValidatorEntry(name: text(FieldLimits.name), subject: publicKey(), nodeKey: $0) }
        var registrars = Set<PublicKey>()
        let nRegistrars = count(30)
        while registrars.count < nRegistrars { registrars.insert(publicKey()) }
        var subjectKeys = Set<PublicKey>()
        let nSubjects = count(30)
        while subjectKeys.count < nSubjects { subjectKeys.insert(publicKey()) }
        var codes = Set<[UInt8]>()
        var deadlines: [ResponseDeadline] = []
        for _ in 0..<count(10) {
            let code = text(FieldLimits.shortText)
            if codes.insert(Array(code.utf8)).inserted { deadlines.append(ResponseDeadline(serviceCode: code, seconds: u64())) }
        }
        let parameters = GenesisParameters(
            maxBlockTransactions: UInt32(int(1...FieldLimits.blockTransactions)), maxBlockBytes: u32(), blockInterval: u64(),
            checkpointInterval: max(1, u64()), proposalEndorsements: u32(), pointsPerHour: u32(),
            defaultResponseDeadline: u64(), responseDeadlines: deadlines)
        return GenesisDocument(
            community: community(), time: u64(), validators: validators, registrars: Array(registrars),
            subjects: subjectKeys.sorted().map { GenesisSubject(key: $0, displayName: text(FieldLimits.name), unit: text(FieldLimits.shortText), roles: roles()) },
            parameters: parameters)
    }

    /// A community of a federation: 1 to 7 validators (sometimes 64), a CA certificate's worth of random bytes (sometimes the most allowed).
    mutating func federationMember() -> FederationMember {
        var keys = Set<PublicKey>()
        let n = chance(5) ? FieldLimits.validators : int(1...7)
        while keys.count < n { keys.insert(publicKey()) }
        let ca = bytes(chance(5) ? FieldLimits.caCertificate : int(1...700))
        return FederationMember(community: community(), genesisHash: hash(), validators: keys.sorted().shuffled(using: &rng), caCertificate: ca)
    }

    /// A federation document of distinct communities, as many as the count drawn and the document's byte limit allow.
    mutating func federation() -> FederationDocument {
        var members: [CommunityID: FederationMember] = [:]
        var size = 0
        for _ in 0..<count(FieldLimits.federationCommunities, typical: 5) {
            let m = federationMember()
            let bytes = m.canonicalBytes().count
            guard size + bytes + 12 <= FieldLimits.federationDocument else { break }
            if members[m.community] == nil {
                members[m.community] = m
                size += bytes
            }
        }
        let sequence = chance(10) ? pick([0, FederationDocument.maxSequence]) : u64() & FederationDocument.maxSequence
        return try! FederationDocument(sequence: sequence, communities: Array(members.values))
    }

    mutating func inclusionProof() -> InclusionProof {
        InclusionProof(leafIndex: u64(), treeSize: u64(), path: (0..<count(64, typical: 12)).map { _ in hash() })
    }
}

/// The canonical bytes of a block body (count, then each transaction without its header bytes), built by hand.
enum BlockBodyBytes {
    static func of(_ transactions: [Transaction]) -> [UInt8] {
        Varint.encode(UInt64(transactions.count)) + transactions.flatMap { $0.canonicalBytes() }
    }
}
