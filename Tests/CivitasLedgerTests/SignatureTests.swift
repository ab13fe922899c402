import CivitasCodec
import CivitasLedger
import Testing

@Suite("Signatures and domain separation")
struct SignatureTests {
    static func transaction(_ seed: UInt64, kind: TransactionKind? = nil) -> Transaction {
        var g = Gen(seed: seed)
        return g.transaction(kind: kind)
    }

    @Test func seededKeysAreDeterministicAndMatchRFC8032() throws {
        // RFC 8032 §7.1, TEST 1.
        let key = SigningKey(seed: try #require(Bytes32(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
        #expect(key.publicKey.raw.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(key.seed.hex == "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        #expect(Keys.key(3).publicKey == Keys.pool[3].publicKey)
        #expect(Set(Keys.publicKeys).count == Keys.pool.count)
        // Ed25519 is deterministic: the same key signs the same message identically.
        #expect(Keys.pool[0].sign([1, 2, 3], domain: .transaction) == Keys.pool[0].sign([1, 2, 3], domain: .transaction))
    }

    @Test func validTransactionsOfEveryKindVerify() {
        for kind in TransactionKind.allCases {
            for seed in 0..<5 as Range<UInt64> {
                let tx = Self.transaction(seed, kind: kind)
                #expect(tx.hasValidSignature(), "\(kind) seed \(seed)")
                #expect(tx.id == Hashing.sha256(Array(tx.encoded().dropLast(64))), "the ID covers the encoding without the signature")
            }
        }
    }

    @Test func changingAnySignedFieldBreaksTheSignature() {
        for seed in 0..<20 as Range<UInt64> {
            var g = Gen(seed: 1000 + seed)
            let tx = g.transaction()
            var t = tx
            t.body.community = CommunityID(tx.community.name == "other" ? "another" : "other")!
            #expect(!t.hasValidSignature(), "community")
            t = tx
            t.body.nonce &+= 1
            #expect(!t.hasValidSignature(), "nonce")
            t = tx
            t.body.time &+= 1
            #expect(!t.hasValidSignature(), "time")
            t = tx
            t.body.signer = Keys.pool[(Keys.publicKeys.firstIndex(of: tx.signer)! + 1) % Keys.pool.count].publicKey
            #expect(!t.hasValidSignature(), "signer")
            t = tx
            var other = g.payload()
            while other == tx.payload { other = g.payload() }
            t.body.payload = other
            #expect(!t.hasValidSignature(), "payload")
            #expect(t.id != tx.id)
            // Any single bit of the signature.
            for bit in [0, 7, 100, 255, 256, 511] {
                var sig = tx.signature.bytes
                sig[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(!Transaction(tx.body, signature: Signature(sig)!).hasValidSignature(), "signature bit \(bit)")
            }
        }
    }

    @Test func changingAnyByteOfTheSignedEncodingBreaksTheSignature() throws {
        let tx = Self.transaction(7, kind: .notice)
        let bytes = tx.encoded()
        for i in 2..<bytes.count {
            var m = bytes
            m[i] ^= 0x01
            guard let changed = try? Transaction(encoded: m) else { continue }
            #expect(!changed.hasValidSignature(), "byte \(i) of \(bytes.count)")
        }
    }

    @Test func aSignatureVerifiesOnlyInTheDomainItWasMadeFor() {
        let key = Keys.pool[2]
        let messages: [[UInt8]] = [[], [0], Array("civitas".utf8), Self.transaction(1).body.signingMessage, Hashing.sha256([1]).bytes]
        for message in messages {
            for made in SigningDomain.allCases {
                let signature = key.sign(message, domain: made)
                for checked in SigningDomain.allCases {
                    #expect(key.publicKey.isValidSignature(signature, for: message, domain: checked) == (made == checked),
                            "made for \(made), checked as \(checked)")
                }
                // Nor does it verify as a raw signature over the message or its plain SHA-256.
                #expect(!key.publicKey.isValidSignature(signature, digest: Hashing.sha256(message)))
            }
        }
        #expect(Set(SigningDomain.allCases.map(\.rawValue)).count == SigningDomain.allCases.count)
    }

    @Test func signingDigestIsSHA256OfDomainZeroMessage() {
        let message = Array("hello".utf8)
        for domain in SigningDomain.allCases {
            #expect(domain.digest(message) == Hashing.sha256(Array(domain.rawValue.utf8) + [0] + message))
        }
    }

    @Test func transactionSignatureIsNotAValidBlockVoteOrEndorsement() {
        let tx = Self.transaction(2)
        let key = Keys.pool.first { $0.publicKey == tx.signer }!
        let digestAsVote = Hashing.sha256(tx.body.signingMessage)
        #expect(!tx.signer.isValidSignature(tx.signature, for: digestAsVote.bytes, domain: .blockVote))
        #expect(!tx.signer.isValidSignature(tx.signature, for: tx.body.signingMessage, domain: .peerRecord))
        #expect(!tx.signer.isValidSignature(tx.signature, for: tx.body.signingMessage, domain: .proposalEndorsement))
        #expect(tx.signature == key.sign(tx.body.signingMessage, domain: .transaction))
    }

    @Test func endorsementsCoverTheTermsOnly() {
        var g = Gen(seed: 3)
        let terms = g.terms()
        let e = Endorsement(endorsing: terms, with: Keys.pool[5])
        #expect(e.isValid(for: terms))
        var changed = terms
        changed.quorumBasisPoints = terms.quorumBasisPoints == 0 ? 1 : 0
        #expect(!e.isValid(for: changed))
        changed = terms
        changed.options.append("another")
        #expect(!e.isValid(for: changed))
        #expect(!Endorsement(signer: Keys.pool[6].publicKey, signature: e.signature).isValid(for: terms))
    }

    // MARK: Block votes and certificates

    static func header(_ seed: UInt64) -> BlockHeader {
        var g = Gen(seed: seed)
        return g.header()
    }

    static let validators = Array(Keys.pool.prefix(5))
    static var validatorKeys: [PublicKey] { validators.map(\.publicKey) }

    static func certificate(for header: BlockHeader, voters: [Int]) -> CommitCertificate {
        let hash = header.hash
        return CommitCertificate(height: header.height, headerHash: hash,
                                 votes: voters.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) })
    }

    @Test func blockVoteForOneHeaderDoesNotVerifyForAnother() {
        let a = Self.header(1), b = Self.header(2)
        #expect(a.hash != b.hash)
        let vote = BlockVote(index: 0, key: Self.validators[0], headerHash: a.hash)
        #expect(Self.validatorKeys[0].isValidSignature(vote.signature, for: a.hash.bytes, domain: .blockVote))
        #expect(!Self.validatorKeys[0].isValidSignature(vote.signature, for: b.hash.bytes, domain: .blockVote))
        let forB = CommitCertificate(height: b.height, headerHash: b.hash, votes: [0, 1, 2].map {
            BlockVote(index: UInt32($0), key: Self.validators[$0], headerHash: a.hash)
        })
        #expect(ledgerFailure { () throws(LedgerError) in try forB.verify(validators: Self.validatorKeys) }?.caseName == "certificate")
    }

    @Test(arguments: [
        (1, [0], true), (2, [0], false), (2, [0, 1], true), (3, [1], false), (3, [0, 2], true),
        (4, [0, 1], false), (4, [1, 2, 3], true), (5, [3, 4], false), (5, [0, 2, 4], true), (5, [0, 1, 2, 3, 4], true),
    ] as [(Int, [Int], Bool)])
    func certificateVerifiesExactlyWhenAStrictMajoritySigned(validatorCount: Int, voters: [Int], accepted: Bool) {
        let header = Self.header(3)
        let keys = Array(Self.validatorKeys.prefix(validatorCount))
        let error = ledgerFailure { () throws(LedgerError) in try Self.certificate(for: header, voters: voters).verify(validators: keys) }
        #expect((error == nil) == accepted, "\(voters.count) of \(validatorCount): \(String(describing: error))")
        if !accepted { #expect(error?.caseName == "certificate") }
    }

    @Test func certificateWithAVoteIndexOutOfRangeIsRefused() {
        let header = Self.header(4)
        var certificate = Self.certificate(for: header, voters: [0, 1, 2])
        certificate.votes.append(BlockVote(validator: 5, signature: Keys.pool[5].sign(header.hash.bytes, domain: .blockVote)))
        let e = ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }
        #expect(e?.caseName == "certificate")
        certificate.votes = [BlockVote(validator: .max, signature: Signature())]
        #expect(ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }?.caseName == "certificate")
    }

    @Test func certificateWithABadSignatureIsRefused() {
        let header = Self.header(5)
        var certificate = Self.certificate(for: header, voters: [0, 1, 2, 3])
        var sig = certificate.votes[2].signature.bytes
        sig[10] ^= 0x40
        certificate.votes[2].signature = Signature(sig)!
        #expect(ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }?.caseName == "certificate")
        // A valid signature by the wrong validator (validator 4's vote filed under index 2).
        certificate = Self.certificate(for: header, voters: [0, 1, 2])
        certificate.votes[2].signature = BlockVote(index: 4, key: Self.validators[4], headerHash: header.hash).signature
        #expect(ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }?.caseName == "certificate")
        // A signature in the wrong domain.
        certificate = Self.certificate(for: header, voters: [0, 1, 2])
        certificate.votes[0].signature = Self.validators[0].sign(header.hash.bytes, domain: .transaction)
        #expect(ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }?.caseName == "certificate")
    }

    /// One validator's vote, repeated, is still one vote: three copies of it are not a majority of five.
    @Test func duplicateVotesFromOneValidatorDoNotMakeAMajority() {
        let header = Self.header(6)
        let vote = BlockVote(index: 0, key: Self.validators[0], headerHash: header.hash)
        let certificate = CommitCertificate(height: header.height, headerHash: header.hash, votes: [vote, vote, vote])
        #expect(certificate.votes.count == 3)
        let e = ledgerFailure { () throws(LedgerError) in try certificate.verify(validators: Self.validatorKeys) }
        #expect(e?.caseName == "certificate", "1 distinct validator of 5 signed, yet verify accepted the certificate")
    }

    // MARK: Sealed blocks

    @Test func randomSealedBlocksVerify() {
        for seed in 0..<30 as Range<UInt64> {
            var g = Gen(seed: 2000 + seed)
            let sample = g.sealed()
            let e = ledgerFailure { () throws(LedgerError) in try sample.sealed.verify(validators: sample.validators) }
            #expect(e == nil, "seed \(seed): \(String(describing: e))")
        }
    }

    static func sealedWithTransactions(_ seed: UInt64) -> SealedSample {
        var g = Gen(seed: seed)
        var sample = g.sealed(large: false)
        while sample.sealed.block.transactions.count < 2 { sample = g.sealed(large: false) }
        return sample
    }

    @Test func sealedBlockWithATamperedTransactionFailsTheMerkleCheck() {
        let sample = Self.sealedWithTransactions(3000)
        var g = Gen(seed: 3001)
        // A different, validly signed transaction of the same community.
        var s = sample.sealed
        s.block.transactions[1] = g.transaction(community: s.header.community)
        var e = ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }
        #expect(e?.caseName == "blockMismatch")
        // Swapped order.
        s = sample.sealed
        s.block.transactions.swapAt(0, 1)
        e = ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }
        #expect(e?.caseName == "blockMismatch")
        // A dropped transaction.
        s = sample.sealed
        s.block.transactions.removeLast()
        e = ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }
        #expect(e?.caseName == "blockMismatch")
    }

    @Test func sealedBlockWithACertificateForAnotherHeaderIsRefused() {
        let sample = Self.sealedWithTransactions(3100)
        var s = sample.sealed
        var other = s.header
        other.time &+= 1
        let hash = other.hash
        let validators = Array(Keys.pool.prefix(sample.validators.count))
        s.certificate = CommitCertificate(height: other.height, headerHash: hash,
                                          votes: validators.indices.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) })
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }?.caseName == "certificate")
        // The header changed under a certificate for the original.
        s = sample.sealed
        s.block.header.time &+= 1
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }?.caseName == "certificate")
        // Same hash, wrong height.
        s = sample.sealed
        s.certificate.height &+= 1
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }?.caseName == "certificate")
    }

    @Test func sealedBlockWithAForgedTransactionSignatureIsRefused() {
        let sample = Self.sealedWithTransactions(3200)
        let validators = Array(Keys.pool.prefix(sample.validators.count))
        var txs = sample.sealed.block.transactions
        var sig = txs[1].signature.bytes
        sig[0] ^= 1
        txs[1].signature = Signature(sig)!
        // Header and certificate re-made honestly over the forged body: only the signature check catches it.
        let h = sample.sealed.header
        let block = Block(community: h.community, height: h.height, previous: h.previous, time: h.time, proposer: h.proposer, transactions: txs)
        let hash = block.header.hash
        let s = SealedBlock(block: block, certificate: CommitCertificate(
            height: h.height, headerHash: hash, votes: validators.indices.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) }))
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) } == .badTransactionSignature(index: 1, id: txs[1].id))
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators, checkSignatures: false) } == nil)
    }

    @Test func sealedBlockWithAForeignCommunityTransactionIsRefused() {
        let sample = Self.sealedWithTransactions(3300)
        let validators = Array(Keys.pool.prefix(sample.validators.count))
        var g = Gen(seed: 3301)
        var txs = sample.sealed.block.transactions
        let foreign = CommunityID(sample.sealed.header.community.name == "elsewhere" ? "elsewhere2" : "elsewhere")!
        txs[0] = g.transaction(community: foreign)
        let h = sample.sealed.header
        let block = Block(community: h.community, height: h.height, previous: h.previous, time: h.time, proposer: h.proposer, transactions: txs)
        let hash = block.header.hash
        let s = SealedBlock(block: block, certificate: CommitCertificate(
            height: h.height, headerHash: hash, votes: validators.indices.map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: hash) }))
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }?.caseName == "blockMismatch")
    }

    @Test func sealedBlockWithAMinorityCertificateIsRefused() {
        let sample = Self.sealedWithTransactions(3400)
        var s = sample.sealed
        let needed = sample.validators.count / 2 + 1
        s.certificate.votes = Array(s.certificate.votes.prefix(needed - 1))
        #expect(ledgerFailure { () throws(LedgerError) in try s.verify(validators: sample.validators) }?.caseName == "certificate")
    }

    // MARK: Peer records

    @Test func peerRecordSignaturesVerifyAndBreakOnAnyChange() {
        for seed in 0..<20 as Range<UInt64> {
            var g = Gen(seed: 4000 + seed)
            let record = g.peerRecord()
            #expect(record.hasValidSignature())
            #expect(record.signingMessage == Array(record.encoded().dropLast(64)))
            var r = record
            r.addresses[0] += "0"
            #expect(!r.hasValidSignature(), "address")
            r = record
            r.addresses.append("10.9.9.9:1")
            #expect(!r.hasValidSignature(), "extra address")
            r = record
            r.sequence &+= 1
            #expect(!r.hasValidSignature(), "sequence")
            r = record
            r.time &+= 1
            #expect(!r.hasValidSignature(), "time")
            r = record
            r.role = NodeRole(rawValue: (record.role.rawValue + 1) % 3)!
            #expect(!r.hasValidSignature(), "role")
            r = record
            r.community = CommunityID(record.community.name == "x" ? "y" : "x")!
            #expect(!r.hasValidSignature(), "community")
            r = record
            r.nodeKey = Keys.pool[(Keys.publicKeys.firstIndex(of: record.nodeKey)! + 1) % Keys.pool.count].publicKey
            #expect(!r.hasValidSignature(), "node key")
            r = record
            var sig = record.signature.bytes
            sig[63] ^= 0x10
            r.signature = Signature(sig)!
            #expect(!r.hasValidSignature(), "signature")
        }
    }
}
