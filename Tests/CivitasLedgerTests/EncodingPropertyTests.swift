import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// One ledger object type with random values from its generator, for the encoding properties.
/// The values are generated once and shared by the property tests.
struct ObjectCase: Sendable, CustomTestStringConvertible {
    let testDescription: String
    /// The canonical encodings of the random values.
    let encodings: [[UInt8]]
    /// How many of them (of at most 4 KiB) the quadratic every-prefix test walks.
    let prefixSamples: Int
    /// Decodes every encoding and checks it gives the value back and re-encodes identically (records issues itself).
    let checkRoundTrips: @Sendable () -> Void
    /// Decodes `bytes` and re-encodes the value, or returns the decoding error.
    let reencode: @Sendable ([UInt8]) -> Result<[UInt8], CodecError>

    static func make<T: CanonicalObject & Equatable & Sendable>(
        _ name: String, _ type: T.Type, salt: UInt64, seeds: Int = 200, prefixSamples: Int = 12,
        encode: @escaping @Sendable (T) -> [UInt8] = { $0.encoded() },
        _ generate: @escaping @Sendable (inout Gen) -> T
    ) -> ObjectCase {
        let values = (0..<UInt64(seeds)).map { seed in
            var g = Gen(seed: salt << 32 | seed)
            return generate(&g)
        }
        let encodings = values.map(encode)
        return ObjectCase(
            testDescription: name, encodings: encodings, prefixSamples: prefixSamples,
            checkRoundTrips: {
                for (seed, (value, bytes)) in zip(values, encodings).enumerated() {
                    #expect(Array(bytes.prefix(2)) == [T.typeTag, T.formatVersion])
                    do {
                        let decoded = try T(encoded: bytes)
                        #expect(decoded == value, "\(name) seed \(seed): decoded value differs")
                        #expect(encode(decoded) == bytes, "\(name) seed \(seed): re-encoding differs")
                        let fromBuffer = try bytes.withUnsafeBytes { try T(encodedBuffer: $0) }
                        #expect(fromBuffer == value)
                    } catch {
                        Issue.record("\(name) seed \(seed): its own encoding was refused: \(error)")
                    }
                }
            },
            reencode: { bytes in
                do throws(CodecError) {
                    let value = try T(encoded: bytes)
                    return .success(encode(value))
                } catch {
                    return .failure(error)
                }
            })
    }

    /// Every ledger object type (a transaction per payload kind).
    static let all: [ObjectCase] = TransactionKind.allCases.map { kind in
        .make("Transaction(\(kind))", Transaction.self, salt: 0x100 + UInt64(kind.rawValue)) { $0.transaction(kind: kind) }
    } + [
        .make("BlockHeader", BlockHeader.self, salt: 0x200) { $0.header() },
        .make("Block", Block.self, salt: 0x210) { $0.block() },
        .make("SealedBlock (raw body)", SealedBlock.self, salt: 0x220, encode: { $0.encoded() }) { $0.sealed(large: false).sealed },
        .make("CommitCertificate", CommitCertificate.self, salt: 0x230) { $0.certificate() },
        .make("Checkpoint", Checkpoint.self, salt: 0x240) { $0.checkpoint() },
        .make("PeerRecord", PeerRecord.self, salt: 0x300) { $0.peerRecord() },
        .make("GenesisDocument", GenesisDocument.self, salt: 0x400) { $0.genesis() },
        .make("InclusionProof", InclusionProof.self, salt: 0x500) { $0.inclusionProof() },
        .make("FederationDocument", FederationDocument.self, salt: 0x410, seeds: 100) { $0.federation() },
    ]

    /// Sealed blocks whose body is a zstd frame: the value round-trips, but the frame bytes are not canonical
    /// (docs/codec.md §5, SealedBlock), so the byte-level mutation property does not apply to them.
    static let compressedSealedBlock: ObjectCase =
        .make("SealedBlock (zstd body)", SealedBlock.self, salt: 0x221, seeds: 100, prefixSamples: 6, encode: { $0.encoded() }) {
            $0.sealed(large: true).sealed
        }
}

@Suite("Encoding properties")
struct EncodingPropertyTests {
    @Test(arguments: ObjectCase.all + [ObjectCase.compressedSealedBlock])
    func decodingAnEncodingGivesTheValueBackAndReencodesByteIdentically(_ c: ObjectCase) {
        c.checkRoundTrips()
    }

    /// For random single-byte changes, insertions, deletions and truncations of valid encodings, decoding
    /// either throws or yields a value whose encoding is exactly the changed input: no value has a second encoding.
    @Test(arguments: ObjectCase.all)
    func mutatedEncodingsAreRefusedOrAreTheirValuesOnlyEncoding(_ c: ObjectCase) {
        var rng = SplitMix64(seed: 0x3417 ^ UInt64(c.testDescription.utf8.count))
        var refused = 0
        for (seed, bytes) in c.encodings.enumerated() {
            for trial in 0..<16 {
                var m = bytes
                switch trial % 4 {
                case 0, 1:
                    let i = rng.int(0...(m.count - 1))
                    m[i] ^= UInt8(rng.int(1...255))
                case 2:
                    m.insert(UInt8(rng.int(0...255)), at: rng.int(0...m.count))
                default:
                    m.remove(at: rng.int(0...(m.count - 1)))
                }
                switch c.reencode(m) {
                case .failure: refused += 1
                case let .success(again):
                    #expect(again == m, "\(c.testDescription) seed \(seed): a changed input decoded to a value that encodes differently")
                }
                let cut = Array(bytes.prefix(rng.int(0...(bytes.count - 1))))
                if case .success = c.reencode(cut) { Issue.record("\(c.testDescription) seed \(seed): truncation to \(cut.count) bytes accepted") }
            }
        }
        #expect(refused > 0)
    }

    @Test(arguments: ObjectCase.all + [ObjectCase.compressedSealedBlock])
    func everyStrictPrefixOfAnEncodingIsRejected(_ c: ObjectCase) {
        for (seed, bytes) in c.encodings.enumerated().filter({ $0.element.count <= 4096 }).prefix(c.prefixSamples) {
            for n in 0..<bytes.count {
                if case .success = c.reencode(Array(bytes[..<n])) {
                    Issue.record("\(c.testDescription) seed \(seed): prefix of \(n) of \(bytes.count) bytes accepted")
                }
            }
        }
    }

    @Test func everyPayloadKindIsGeneratedAndEncodesItsKindByte() {
        var g = Gen(seed: 1)
        for kind in TransactionKind.allCases {
            let tx = g.transaction(kind: kind)
            #expect(tx.kind == kind)
            #expect(tx.encoded()[Wire.kindOffsetIn(tx)] == kind.rawValue)
        }
    }

    @Test func typeBytesMatchTheRegistry() {
        #expect(Transaction.typeTag == 0x10)
        #expect(BlockHeader.typeTag == 0x20)
        #expect(Block.typeTag == 0x21)
        #expect(SealedBlock.typeTag == 0x22)
        #expect(CommitCertificate.typeTag == 0x23)
        #expect(Checkpoint.typeTag == 0x24)
        #expect(PeerRecord.typeTag == 0x30)
        #expect(GenesisDocument.typeTag == 0x40)
        #expect(InclusionProof.typeTag == 0x50)
        #expect(FederationDocument.typeTag == 0x41)
    }

    /// An object's bytes are never accepted as another object type: the type byte is checked first.
    @Test func anObjectIsNeverDecodedAsAnotherType() {
        var g = Gen(seed: 2)
        let samples: [(UInt8, [UInt8])] = [
            (0x10, g.transaction().encoded()), (0x20, g.header().encoded()), (0x21, g.block().encoded()),
            (0x22, g.sealed().sealed.encoded()), (0x23, g.certificate().encoded()), (0x24, g.checkpoint().encoded()),
            (0x30, g.peerRecord().encoded()), (0x40, g.genesis().encoded()), (0x50, g.inclusionProof().encoded()),
            (0x41, g.federation().encoded()),
        ]
        for (tag, bytes) in samples {
            func check<T: CanonicalObject>(_ t: T.Type) {
                let e = decodeFailure(T.self, bytes)
                if T.typeTag == tag {
                    #expect(e == nil)
                } else if case let .unknownTag(found, _)? = e?.kind {
                    #expect(found == UInt64(tag) && e?.offset == 0)
                } else {
                    Issue.record("type 0x\(String(tag, radix: 16)) decoded as 0x\(String(T.typeTag, radix: 16)): \(String(describing: e))")
                }
            }
            check(Transaction.self); check(BlockHeader.self); check(Block.self); check(SealedBlock.self)
            check(CommitCertificate.self); check(Checkpoint.self); check(PeerRecord.self)
            check(GenesisDocument.self); check(InclusionProof.self); check(FederationDocument.self)
        }
    }

    @Test func unknownVersionOfEveryLedgerObjectIsRejected() {
        var g = Gen(seed: 3)
        let samples: [[UInt8]] = [
            g.transaction().encoded(), g.header().encoded(), g.block().encoded(), g.sealed().sealed.encoded(),
            g.certificate().encoded(), g.checkpoint().encoded(), g.peerRecord().encoded(), g.genesis().encoded(),
            g.inclusionProof().encoded(), g.federation().encoded(),
        ]
        for bytes in samples {
            for version in [0, 2, 0xff] as [UInt8] {
                var m = bytes
                m[1] = version
                let expected = CodecError(.unknownVersion(type: bytes[0], version: version), at: 1)
                switch bytes[0] {
                case 0x10: #expect(decodeFailure(Transaction.self, m) == expected)
                case 0x20: #expect(decodeFailure(BlockHeader.self, m) == expected)
                case 0x21: #expect(decodeFailure(Block.self, m) == expected)
                case 0x22: #expect(decodeFailure(SealedBlock.self, m) == expected)
                case 0x23: #expect(decodeFailure(CommitCertificate.self, m) == expected)
                case 0x24: #expect(decodeFailure(Checkpoint.self, m) == expected)
                case 0x30: #expect(decodeFailure(PeerRecord.self, m) == expected)
                case 0x40: #expect(decodeFailure(GenesisDocument.self, m) == expected)
                case 0x41: #expect(decodeFailure(FederationDocument.self, m) == expected)
                default: #expect(decodeFailure(InclusionProof.self, m) == expected)
                }
            }
        }
    }

    @Test func trailingBytesAfterALedgerObjectAreRejected() {
        var g = Gen(seed: 4)
        let tx = g.transaction().encoded()
        #expect(decodeFailure(Transaction.self, tx + [0]) == CodecError(.trailingBytes(count: 1), at: tx.count))
        let sealed = g.sealed(large: true).sealed.encoded()
        #expect(decodeFailure(SealedBlock.self, sealed + [1, 2]) == CodecError(.trailingBytes(count: 2), at: sealed.count))
        let genesis = g.genesis().encoded()
        #expect(decodeFailure(GenesisDocument.self, genesis + genesis) == CodecError(.trailingBytes(count: genesis.count), at: genesis.count))
    }
}

extension Wire {
    /// The offset of the kind byte in a transaction's encoding.
    static func kindOffsetIn(_ tx: Transaction) -> Int {
        2 + tx.community.canonicalBytes().count + 32 + Varint.size(of: tx.nonce) + Varint.size(of: tx.time)
    }
}
