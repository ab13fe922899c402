import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// Tiny inputs that claim huge lists or strings are refused from the claim itself.
@Suite("Bounded decoding of ledger objects")
struct BoundedDecodingTests {
    static let huge = DecodingLimits(maxFieldBytes: .max, maxElements: .max, maxBodyBytes: .max)

    @Test func blockClaimingAMillionTransactionsIsRefused() {
        var g = Gen(seed: 50)
        let header = g.header()
        let bytes = Wire.object(Block.self, header.canonicalBytes() + Wire.varint(1_000_000) + [0, 0, 0])
        let countAt = 2 + header.canonicalBytes().count
        #expect(decodeFailure(Block.self, bytes) == CodecError(.lengthAboveLimit(length: 1_000_000, limit: FieldLimits.blockTransactions), at: countAt))
        // Within the count limit, but 60,000 transactions cannot fit in 3 bytes.
        let fewBytes = Wire.object(Block.self, header.canonicalBytes() + Wire.varint(60_000) + [0, 0, 0])
        #expect(decodeFailure(Block.self, fewBytes) == CodecError(.lengthAboveInput(length: 60_000, remaining: 3), at: countAt))
    }

    @Test func proofGenesisAndCertificateClaimingHugeListsAreRefused() {
        let proof = Wire.object(InclusionProof.self, [0, 1] + Wire.varint(1_000_000) + [0, 0, 0])
        #expect(proof.count == 10)
        #expect(decodeFailure(InclusionProof.self, proof) == CodecError(.lengthAboveLimit(length: 1_000_000, limit: 64), at: 4))
        let shortProof = Wire.object(InclusionProof.self, [0, 1] + Wire.varint(40) + [0, 0, 0, 0])
        #expect(decodeFailure(InclusionProof.self, shortProof) == CodecError(.lengthAboveInput(length: 40, remaining: 4), at: 4))
        let certificate = Wire.object(CommitCertificate.self, [1] + [UInt8](repeating: 0, count: 32) + Wire.varint(50) + [0])
        #expect(decodeFailure(CommitCertificate.self, certificate) == CodecError(.lengthAboveInput(length: 50, remaining: 1), at: 35))

        var g = Gen(seed: 51)
        var doc = g.genesis()
        doc.registrars = []
        doc.subjects = []
        let prefix = doc.encoded()
        // community, time, validators, then the registrar count: claim 90,000 registrars (32 bytes each) in 20 bytes.
        let registrarsAt = 2 + doc.community.canonicalBytes().count + Varint.size(of: doc.time)
            + Wire.list(doc.validators.map { $0.canonicalBytes() }).count
        let bytes = Array(prefix[..<registrarsAt]) + Wire.varint(90_000) + [UInt8](repeating: 0, count: 20)
        #expect(decodeFailure(GenesisDocument.self, bytes) == CodecError(.lengthAboveInput(length: 90_000, remaining: 20), at: registrarsAt))
        let tooMany = Array(prefix[..<registrarsAt]) + Wire.varint(1_000_000) + [UInt8](repeating: 0, count: 20)
        #expect(decodeFailure(GenesisDocument.self, tooMany) == CodecError(.lengthAboveLimit(length: 1_000_000, limit: FieldLimits.genesisEntries), at: registrarsAt))
    }

    @Test func stringClaimingTwoToTheFortyBytesIsRefused() {
        let notice = [TransactionKind.notice.rawValue, 4] + Wire.varint(1 << 40) + [0x61, 0x62]
        let bytes = Wire.transaction(payload: notice)
        let at = Wire.kindOffset + 2
        #expect(decodeFailure(Transaction.self, bytes) == CodecError(.lengthAboveLimit(length: 1 << 40, limit: FieldLimits.title), at: at))
        #expect(decodeFailure(Transaction.self, bytes, limits: Self.huge) == CodecError(.lengthAboveLimit(length: 1 << 40, limit: FieldLimits.title), at: at))
        // A field's own maximum applies even when the node's limits are raised; the node's cap applies when lower.
        let small = DecodingLimits(maxFieldBytes: 100, maxElements: 10, maxBodyBytes: 1000)
        let body = [TransactionKind.notice.rawValue, 4] + Wire.string("t") + Wire.string(String(repeating: "b", count: 101)) + [0, 0]
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: body), limits: small)?.kind == .lengthAboveLimit(length: 101, limit: 100))
        #expect(decodeFailure(Transaction.self, Wire.transaction(payload: body)) == nil)
    }

    @Test func sealedBlockClaimingAHugeBodyOrFrameIsRefused() {
        var g = Gen(seed: 52)
        let s = g.sealed(large: false).sealed
        let head = s.header.canonicalBytes() + s.certificate.canonicalBytes() + [1]
        let at = 2 + head.count
        let bigBody = Wire.object(SealedBlock.self, head + Wire.varint(1 << 40) + Wire.varint(4) + [0, 0, 0, 0])
        #expect(decodeFailure(SealedBlock.self, bigBody) == CodecError(.lengthAboveLimit(length: 1 << 40, limit: DecodingLimits.default.maxBodyBytes), at: at))
        let bigFrame = Wire.object(SealedBlock.self, head + Wire.varint(2000) + Wire.varint(1 << 40) + [0, 0, 0, 0])
        // A frame is capped by the body limit (a zstd body may be larger than any single field).
        #expect(decodeFailure(SealedBlock.self, bigFrame)?.kind == .lengthAboveLimit(length: 1 << 40, limit: DecodingLimits.default.maxBodyBytes))
        #expect(decodeFailure(SealedBlock.self, bigFrame, limits: Self.huge)?.kind == .lengthAboveInput(length: 1 << 40, remaining: 4))
    }

    @Test func decodingLimitsCapElementCountsBelowTheFieldLimits() throws {
        var g = Gen(seed: 53)
        let c = g.community()
        let block = Block(community: c, height: 1, previous: Hash(), time: 0, proposer: 0, transactions: (0..<3).map { _ in g.transaction(community: c) })
        let tight = DecodingLimits(maxFieldBytes: 1 << 20, maxElements: 2, maxBodyBytes: 1 << 20)
        #expect(decodeFailure(Block.self, block.encoded(), limits: tight)?.kind == .lengthAboveLimit(length: 3, limit: 2))
        #expect(try Block(encoded: block.encoded()) == block)
    }
}
