import CivitasCodec
import CivitasLedger
import CivitasStorage
import Foundation
import Testing

@Suite struct BlockStoreVerifierTests {
    let chain = sharedBlockChain
    let small = BlockStoreOptions(segmentSize: 4 << 10, indexInterval: 1_000)

    func verify(_ dir: String, genesis: GenesisDocument? = nil, signatures: Bool = true) -> ChainVerificationReport {
        ChainVerifier(directory: dir, fileSystem: POSIXFileSystem(), genesis: genesis ?? chain.genesis).run(checkSignatures: signatures)
    }

    @Test func aGoodChainVerifies() throws {
        let dir = try ScratchDirectory("verify-good")
        try writeBlockStore(chain, in: dir.path, options: small)
        let report = verify(dir.path)
        #expect(report.isClean && report.firstFault == nil && report.unsyncedTail == nil)
        #expect(report.verifiedBlocks == 40)
        #expect(report.verifiedTransactions == chain.blocks.reduce(0) { $0 + $1.block.transactions.count })
        #expect(report.headHash == chain.head)
        #expect(report.index == .consistent(coveredHeight: 40))
        let total = try snapshotDirectory(dir.path).values.reduce(0) { $0 + $1.count }
        #expect(report.bytesRead >= total, "every byte of every file is read")
        #expect(report.description.contains("blocks: 40 verified"))
    }

    @Test func theWrongGenesisFailsAtHeightOne() throws {
        let dir = try ScratchDirectory("verify-genesis")
        try writeBlockStore(chain, in: dir.path, options: small)
        let report = verify(dir.path, genesis: BlockTestChain(seed: 99).genesis)
        #expect(report.firstFault?.height == 1)
        #expect(report.verifiedBlocks == 0)
    }

    /// Chains whose block 6 is bad in one way each, stored as the store stores
    /// anything that links: the verifier names height 6 and why.
    @Test func reportsTheFirstBadBlockAndWhy() throws {
        var base = BlockTestChain(seed: 21)
        base.extend(by: 5)
        func badChain(_ makeBlock: (inout BlockTestChain) -> SealedBlock) -> BlockTestChain {
            var c = base
            c.extend(by: 1)
            c.replaceLast(with: makeBlock(&c))
            c.extend(by: 2)
            return c
        }
        let previous = base.head
        func block(_ c: inout BlockTestChain, _ txs: [Transaction], community: CommunityID = BlockTestChain.community, proposer: UInt32 = 0) -> Block {
            Block(community: community, height: 6, previous: previous, time: c.genesis.time + 6_000, proposer: proposer, transactions: txs)
        }
        var cases: [(String, BlockTestChain, String)] = []
        cases.append(("minority certificate", badChain { c in c.seal(block(&c, [c.transaction(height: 6, index: 0)]), voters: 1) }, "1 of 3 validators"))
        cases.append(("bad transaction signature", badChain { c in
            var tx = c.transaction(height: 6, index: 0)
            tx.signature = Signature(Array(repeating: 7, count: 64))!
            return c.seal(block(&c, [tx]))
        }, "invalid signature"))
        cases.append(("Merkle root", badChain { c in
            let good = block(&c, [c.transaction(height: 6, index: 0)])
            let other = c.transaction(height: 6, index: 1)
            return c.seal(Block(header: good.header, transactions: [other]))
        }, "Merkle root"))
        cases.append(("proposer", badChain { c in c.seal(block(&c, [], proposer: 9)) }, "proposer"))
        cases.append(("community", badChain { c in c.seal(block(&c, [], community: CommunityID("elsewhere")!)) }, "community"))

        for (name, bad, reason) in cases {
            let dir = try ScratchDirectory("verify-\(name.prefix(8))")
            try writeBlockStore(bad, in: dir.path, options: small)
            let report = verify(dir.path, genesis: bad.genesis)
            #expect(report.firstFault?.height == 6, "\(name)")
            #expect(report.firstFault?.reason.contains(reason) == true, "\(name): \(report.firstFault?.reason ?? "no fault")")
            #expect(report.verifiedBlocks == 5)
            #expect(report.firstFault?.path.hasSuffix(".seg") == true)
        }
        // Without signature checks, the bad signature and the minority certificate go unnoticed, nothing else does.
        let dir = try ScratchDirectory("verify-nosig")
        try writeBlockStore(cases[1].1, in: dir.path, options: small)
        #expect(verify(dir.path, genesis: base.genesis, signatures: false).firstFault == nil)
    }

    @Test func aDamagedOrLyingIndexIsReported() throws {
        let dir = try ScratchDirectory("verify-index")
        try writeBlockStore(chain, in: dir.path, options: small)
        let index = dir.sub("index")
        let original = try readBytes(index)
        var bad = original
        bad[bad.count / 3] ^= 1
        try writeBytes(index, bad)
        var report = verify(dir.path)
        #expect(report.firstFault == nil && !report.isClean)
        #expect(report.index == .damaged("the index fails its checksum"))

        // Checks out on its own, but disagrees with the segments.
        var lying = original
        let segments = Int(lying[8]) | Int(lying[9]) << 8
        lying[24 + 24 * segments + 48 * 4] &+= 1
        let crc = CRC32C.checksum(Array(lying.dropLast(4)))
        for i in 0..<4 { lying[lying.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try writeBytes(index, lying)
        report = verify(dir.path)
        #expect(report.firstFault == nil && !report.isClean)
        guard case let .mismatch(why) = report.index else {
            Issue.record("expected a mismatch, got \(report.index)")
            return
        }
        #expect(why.contains("height 5"))

        try FileManager.default.removeItem(atPath: index)
        report = verify(dir.path)
        #expect(report.isClean && report.index == .missing)
    }

    // MARK: Every byte

    /// A store small enough to damage one byte at a time: 5 blocks (one with a
    /// zstd body) in 1.5 KiB segments, each block synced, then closed — sealed
    /// segments, sync markers, a final marker and an index.
    static let sweepOptions = BlockStoreOptions(segmentSize: 1_536, indexInterval: 1_000)

    static func smallStore(_ dir: ScratchDirectory) throws -> (files: BlockDirectorySnapshot, blocks: [SealedBlock]) {
        var chain = BlockTestChain(seed: 4)
        chain.extend(by: 5)
        try writeBlockStore(chain, in: dir.path, options: sweepOptions)
        return (try snapshotDirectory(dir.path), chain.blocks)
    }

    /// Where a byte of a segment file is: which height a verifier must name if it is damaged,
    /// and which block record (if any) it belongs to.
    static func locate(_ offset: Int, in bytes: [UInt8]) -> (faultHeight: UInt64, record: UInt64?) {
        let items = blockSegmentItems(bytes)
        let first = items.first { $0.kind == .block }?.height ?? 1
        if offset < 24 { return (first, nil) }
        let item = items.first { offset >= $0.offset && offset < $0.end }!
        return item.kind == .block ? (item.height, item.height) : (item.height + 1, nil)
    }

    struct OpenOutcome {
        var error: StorageError?
        var recovery: BlockStoreRecovery?
        var height: UInt64 = 0
        var unreadable: [UInt64] = []
        var wrong: [UInt64] = []
    }

    /// Opens the store and reads every block's bytes (decoding only `decode`):
    /// which reads failed, and whether any returned something other than the original.
    static func openAndRead(_ dir: String, _ blocks: [SealedBlock], encoded: [[UInt8]], decode: UInt64? = nil) -> OpenOutcome {
        var outcome = OpenOutcome()
        do {
            let store = try BlockStore(directory: dir, fileSystem: FsyncFreeFileSystem(), options: sweepOptions)
            outcome.recovery = store.recovery
            outcome.height = store.height
            guard store.height <= UInt64(blocks.count) else {
                outcome.wrong.append(store.height)
                return outcome
            }
            for h in UInt64(1)..<(store.height + 1) {
                do {
                    if try store.encodedBlock(at: h) != encoded[Int(h) - 1] { outcome.wrong.append(h) }
                    if h == decode, try store.block(at: h) != blocks[Int(h) - 1] { outcome.wrong.append(h) }
                } catch {
                    #expect(error.isCorrupt, "a damaged read is reported as corruption: \(error)")
                    outcome.unreadable.append(h)
                }
            }
            if outcome.unreadable.isEmpty, let range = try? store.encodedBlocks(from: 1, through: store.height), range != Array(encoded.prefix(range.count)) {
                outcome.wrong.append(0)
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    /// Which files of the small store a sweep damages (one test case each, so they run side by side).
    enum SweepTarget: String, CaseIterable, Sendable, CustomStringConvertible {
        case firstSegment, middleSegments, lastSegment, index
        var description: String { rawValue }

        func names(_ files: BlockDirectorySnapshot) -> [String] {
            let segments = blockSegmentNames(files)
            switch self {
            case .firstSegment: return [segments.first!]
            case .middleSegments: return Array(segments.dropFirst().dropLast())
            case .lastSegment: return [segments.last!]
            case .index: return ["index"]
            }
        }
    }

    @Test(arguments: SweepTarget.allCases)
    func everyFlippedByteIsFoundAndNoDamagedBlockIsEverReturned(_ target: SweepTarget) throws {
        let dir = try ScratchDirectory("flip-\(target)")
        let (files, blocks) = try Self.smallStore(dir)
        let encoded = blocks.map { $0.encoded() }
        let segments = blockSegmentNames(files)
        #expect(segments.count >= 3)
        let lastSegment = segments.last!
        var positions = 0
        for name in target.names(files) {
            let original = files[name]!
            let path = dir.sub(name)
            for offset in 0..<original.count {
                positions += 1
                let mask: UInt8 = [0x01, 0x80, 0xFF, 0x24][offset % 4]
                var damaged = original
                damaged[offset] ^= mask
                try overwriteBytes(path, damaged)
                let isIndex = name == "index"
                let place = isIndex ? nil : Self.locate(offset, in: original)
                let at = "\(name) offset \(offset)"

                // The verifier finds every flip, and names the right height and file.
                let report = ChainVerifier(directory: dir.path, fileSystem: POSIXFileSystem(), genesis: sharedBlockChain.genesis)
                    .run(checkSignatures: false)
                #expect(!report.isClean, "verify missed \(at)")
                if let place {
                    #expect(report.firstFault?.height == place.faultHeight, "\(at): \(report.firstFault?.description ?? "no fault")")
                    #expect(report.firstFault?.path == path, "\(at)")
                    #expect(report.verifiedBlocks == place.faultHeight - 1, "\(at)")
                } else {
                    #expect(report.firstFault == nil && report.verifiedBlocks == UInt64(blocks.count), "\(at)")
                }

                // Opening with the index: no damaged block is ever returned; damage
                // to a block record or a segment header is caught by open or read.
                var outcome = Self.openAndRead(dir.path, blocks, encoded: encoded, decode: place?.record)
                #expect(outcome.wrong.isEmpty, "\(at): a damaged block was returned as valid")
                if let error = outcome.error {
                    #expect(error.isCorrupt && error.corruptPath == path, "\(at): \(error)")
                } else if isIndex {
                    #expect(outcome.recovery?.index == .rebuilt(reason: "the index fails its checksum"), "\(at)")
                    #expect(outcome.unreadable.isEmpty)
                } else {
                    #expect(outcome.recovery?.truncated == nil, "\(at): synced data must never be cut off")
                    if let record = place?.record { #expect(outcome.unreadable == [record], "\(at)") }
                }
                try restoreDirectory(files, in: dir.path)

                // Opening without the index (a rebuild) catches it as well, or cuts off
                // nothing but the final sync marker.
                guard !isIndex else { continue }
                try overwriteBytes(path, damaged)
                try FileManager.default.removeItem(atPath: dir.sub("index"))
                outcome = Self.openAndRead(dir.path, blocks, encoded: encoded, decode: place?.record)
                #expect(outcome.wrong.isEmpty, "\(at) (rebuild): a damaged block was returned as valid")
                if let error = outcome.error {
                    #expect(error.isCorrupt && error.corruptPath == path, "\(at) (rebuild): \(error)")
                } else if let truncated = outcome.recovery?.truncated {
                    #expect(name == lastSegment && place?.record == nil && truncated.droppedBytes == 56, "\(at): only the final marker may look torn")
                    #expect(outcome.unreadable.isEmpty)
                } else {
                    #expect(place?.record != nil && outcome.unreadable == [place!.record!], "\(at) (rebuild): \(outcome.recovery.map(\.description) ?? "")")
                }
                try restoreDirectory(files, in: dir.path)
            }
        }
        #expect(positions == target.names(files).reduce(0) { $0 + files[$1]!.count })
    }

    @Test(arguments: SweepTarget.allCases)
    func truncationAtEveryOffsetIsFoundOrCutsOnlyUnvouchedBytes(_ target: SweepTarget) throws {
        let dir = try ScratchDirectory("truncate-\(target)")
        let (files, blocks) = try Self.smallStore(dir)
        let encoded = blocks.map { $0.encoded() }
        let segments = blockSegmentNames(files)
        for name in target.names(files) {
            let original = files[name]!
            let path = dir.sub(name)
            for size in 0..<original.count {
                let at = "\(name) cut to \(size)"
                try overwriteBytes(path, Array(original.prefix(size)))
                let report = ChainVerifier(directory: dir.path, fileSystem: POSIXFileSystem(), genesis: sharedBlockChain.genesis)
                    .run(checkSignatures: false)
                var outcome = Self.openAndRead(dir.path, blocks, encoded: encoded)
                #expect(outcome.wrong.isEmpty, "\(at)")
                if name == "index" {
                    #expect(report.firstFault == nil && !report.isClean, "\(at)")
                    #expect(outcome.error == nil && outcome.unreadable.isEmpty, "\(at)")
                } else {
                    // The index records every byte as synced: losing any is corruption.
                    #expect(report.firstFault?.path == path, "\(at): \(report.firstFault?.description ?? "no fault")")
                    #expect(outcome.error?.isCorrupt == true, "\(at)")
                }
                try restoreDirectory(files, in: dir.path)

                // Without the index, only the last segment can lose a tail unnoticed:
                // the blocks before the cut remain, whole.
                guard name != "index" else { continue }
                try overwriteBytes(path, Array(original.prefix(size)))
                try FileManager.default.removeItem(atPath: dir.sub("index"))
                outcome = Self.openAndRead(dir.path, blocks, encoded: encoded)
                #expect(outcome.wrong.isEmpty && outcome.unreadable.isEmpty, "\(at)")
                if name == segments.last! {
                    let earlier = segments.dropLast().reduce(0) { $0 + blockSegmentItems(files[$1]!).filter { $0.kind == .block }.count }
                    let whole = size < 24 ? 0 : blockSegmentItems(Array(original.prefix(size))).filter { $0.kind == .block && $0.end <= size }.count
                    #expect(outcome.error == nil, "\(at)")
                    #expect(outcome.height == UInt64(earlier + whole), "\(at)")
                    if size < 24 { #expect(outcome.recovery?.removedSegment == path, "\(at)") }
                } else {
                    #expect(outcome.error?.isCorrupt == true && outcome.error?.corruptPath == path, "\(at): \(outcome.error.map(\.description) ?? "opened")")
                }
                try restoreDirectory(files, in: dir.path)
            }
        }
    }
}
