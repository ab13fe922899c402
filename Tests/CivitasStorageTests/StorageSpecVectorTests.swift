import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasRaft
import CivitasTestSupport
import CivitasStorage
import Foundation
import Testing

/// The hex vectors of docs/storage.md: the bytes the write-ahead log and the
/// block store put on disk, written here by the real `RaftWAL` and
/// `BlockStore` and compared with the doc, so a wrong doc fails. Keys are
/// `key(n)`, seeds of one repeated byte, as in docs/codec.md. Set
/// CIVITAS_PRINT_VECTORS=1 to print them.
@Suite struct StorageSpecVectorTests {
    static let fs = POSIXFileSystem()

    static func key(_ n: UInt8) -> SigningKey {
        SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!)
    }

    /// The minimal genesis of docs/codec.md (vector `genesis`): one validator, `key(11)`.
    static let genesis = GenesisDocument(
        community: CommunityID("lianhua-east")!, time: 1_767_225_600_000,
        validators: [ValidatorEntry(name: "RC", subject: key(1).publicKey, nodeKey: key(11).publicKey)],
        registrars: [key(1).publicKey], subjects: [],
        parameters: GenesisParameters(responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 14_400)]))

    /// Empty blocks 1, 2, … of that chain, one second apart, each certified by its validator.
    static func chain(_ count: Int) -> [SealedBlock] {
        var previous = genesis.hash
        return (1...count).map { h in
            let block = Block(community: genesis.community, height: UInt64(h), previous: previous,
                              time: genesis.time + UInt64(h) * 1_000, proposer: 0, transactions: [])
            let hash = block.header.hash
            previous = hash
            return SealedBlock(block: block, certificate: CommitCertificate(height: UInt64(h), headerHash: hash,
                                                                            votes: [BlockVote(index: 0, key: key(11), headerHash: hash)]))
        }
    }

    static func contents(_ path: String) throws -> [UInt8] {
        let file = try fs.open(path, create: false)
        defer { file.close() }
        return try file.readAll()
    }

    static func check(_ expected: [(String, [UInt8])]) throws {
        if ProcessInfo.processInfo.environment["CIVITAS_PRINT_VECTORS"] != nil {
            for (name, bytes) in expected { print(SpecDocument.format(name, bytes)) }
        }
        let spec = try SpecDocument.hexBlocks("docs/storage.md")
        for (name, bytes) in expected {
            let documented = try #require(spec[name], "docs/storage.md has no ```hex \(name) block")
            #expect(Hex.encode(documented) == Hex.encode(bytes), "vector \(name) differs from docs/storage.md")
        }
    }

    /// A fresh log, then two batches: the first holds entries 1 (no-op) and 2
    /// (a BlockProposal) and a hard state; the second a snapshot at entry 2.
    @Test func writeAheadLogVectorsMatchTheFiles() throws {
        let dir = try ScratchDirectory("wal-spec")
        let wal = try RaftWAL(directory: dir.path, fileSystem: Self.fs)
        let proposal = BlockProposal(time: 1_767_225_900_000, proposer: 0, transactions: [])
        try wal.append(entries: [Entry(term: 1, index: 1, payload: .noop), Entry(term: 1, index: 2, payload: .data(proposal.encoded()))],
                       hardState: HardState(term: 1, vote: 1, commit: 2))
        try wal.sync()
        let position = ChainPosition.genesis(Self.genesis)
        try wal.append(snapshot: Snapshot(index: 2, term: 1, configuration: Configuration(voters: [1]), data: position.encoded()))
        try wal.sync()
        wal.close()

        #expect(try Self.fs.list(dir.path).filter { $0.hasSuffix(".wal") } == ["0000000000000001.wal"])
        let file = try Self.contents(dir.sub("0000000000000001.wal"))
        #expect(file.count == 1_536)
        // The segment header: 28 bytes, then zeros to 512.
        #expect(file[28..<512].allSatisfy { $0 == 0 })
        // Each batch on a 512-byte boundary: a 32-byte header, its body (length
        // at bytes 4..<8, little-endian), zero padding to the next boundary.
        func batch(at offset: Int) -> ArraySlice<UInt8> {
            let body = (0..<4).reduce(0) { $0 | Int(file[offset + 4 + $1]) << (8 * $1) }
            return file[offset..<(offset + 32 + body)]
        }
        let first = batch(at: 512), second = batch(at: 1_024)
        #expect(file[first.endIndex..<1_024].allSatisfy { $0 == 0 })
        #expect(file[second.endIndex...].allSatisfy { $0 == 0 })
        try Self.check([
            ("wal-segment-header", Array(file[0..<28])),
            ("wal-batch-1", Array(first)),
            ("wal-batch-2", Array(second)),
        ])
        // What reopening reads back is what was written.
        let reopened = try RaftWAL(directory: dir.path, fileSystem: Self.fs)
        #expect(reopened.recovered.hardState == HardState(term: 1, vote: 1, commit: 2))
        #expect(reopened.recovered.snapshot?.data == position.encoded())
        reopened.close()
    }

    /// Blocks 1… of the minimal genesis's chain, each synced on its own, in
    /// 1 KiB segments, until block 4 starts the second segment; then `close()`.
    @Test func blockStoreVectorsMatchTheFiles() throws {
        let dir = try ScratchDirectory("blocks-spec")
        let blocks = Self.chain(4)
        let store = try BlockStore(directory: dir.path, fileSystem: Self.fs,
                                   options: BlockStoreOptions(segmentSize: 1_024, genesisHash: Self.genesis.hash))
        for b in blocks {
            try store.append(b)
            try store.sync()
        }
        try store.close()

        #expect(try Self.fs.list(dir.path).sorted() == ["000000000001.seg", "000000000004.seg", "index"])
        let one = try Self.contents(dir.sub("000000000001.seg"))
        let four = try Self.contents(dir.sub("000000000004.seg"))
        let payloads = blocks.map { $0.encoded() }
        #expect(payloads.allSatisfy { $0.count == 189 })
        // Segment 1: header | record 1 | marker 1 | record 2 | marker 2 | record 3 | seal 3.
        // Segment 4: header | record 4 | marker 4 (written by close()).
        let record = 56 + 189
        #expect(one.count == 24 + record + 56 + record + 56 + record + 56)
        #expect(four.count == 24 + record + 56)
        for (i, at) in [24, 24 + record + 56, 24 + 2 * (record + 56)].enumerated() {
            #expect(Array(one[(at + 56)..<(at + record)]) == payloads[i], "block \(i + 1)'s payload is SealedBlock.encoded()")
        }
        #expect(Array(four[(24 + 56)..<(24 + record)]) == payloads[3])
        let hashes = blocks.map { $0.header.hash.bytes }
        #expect(Array(one[(24 + record + 16)..<(24 + record + 48)]) == hashes[0], "marker 1 names block 1")
        #expect(Array(one[(one.count - 40)..<(one.count - 8)]) == hashes[2], "the seal names block 3")
        #expect(Array(four[(four.count - 40)..<(four.count - 8)]) == hashes[3], "the last marker names block 4")
        try Self.check([
            ("block-segment-header", Array(one[0..<24])),
            ("block-record-header", Array(one[24..<80])),
            ("block-sync-marker", Array(one[(24 + record)..<(24 + record + 56)])),
            ("block-seal", Array(one[(one.count - 56)...])),
            ("block-segment-4-header", Array(four[0..<24])),
            ("block-index", try Self.contents(dir.sub("index"))),
        ])
    }
}

