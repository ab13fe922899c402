import CivitasCodec
import CivitasLedger
import CivitasSimulation
import CivitasStorage
import Foundation
import Testing

/// One chain shared by the suites (signing is the slow part of building it).
let sharedBlockChain: BlockTestChain = {
    var chain = BlockTestChain(seed: 4)
    chain.extend(by: 40)
    return chain
}()

@Suite struct BlockStoreTests {
    let chain = sharedBlockChain
    /// Small segments, so that 40 blocks span many of them.
    let small = BlockStoreOptions(segmentSize: 4 << 10, indexInterval: 1_000)

    func expectHolds(_ store: BlockStore, _ blocks: [SealedBlock], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(store.height == UInt64(blocks.count), sourceLocation: sourceLocation)
        #expect(store.headHash == blocks.last?.header.hash, sourceLocation: sourceLocation)
        for block in blocks {
            #expect(try store.block(at: block.height) == block, sourceLocation: sourceLocation)
            #expect(try store.block(hash: block.header.hash) == block, sourceLocation: sourceLocation)
            #expect(try store.encodedBlock(at: block.height) == block.encoded(), sourceLocation: sourceLocation)
            #expect(store.height(of: block.header.hash) == block.height, sourceLocation: sourceLocation)
        }
        #expect(try store.block(at: 0) == nil)
        #expect(try store.block(at: UInt64(blocks.count + 1)) == nil)
        #expect(try store.block(hash: Hash()) == nil)
    }

    @Test func appendsAndReadsByHeightHashAndRangeAcrossSegmentRolls() throws {
        let dir = try ScratchDirectory("roundtrip")
        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
        #expect(store.height == 0 && store.headHash == nil)
        #expect(store.recovery.index == .empty)
        for (i, block) in chain.blocks.enumerated() {
            try store.append(block)
            if i % 3 == 2 { try store.sync() }
            // Readable at once, synced or not.
            #expect(try store.block(at: block.height) == block)
        }
        try expectHolds(store, chain.blocks)
        let all = try store.blocks(from: 1, through: 40)
        #expect(all == chain.blocks)
        #expect(try store.blocks(from: 7, through: 23) == Array(chain.blocks[6..<23]))
        #expect(try store.blocks(from: 35, through: 1_000) == Array(chain.blocks[34...]))
        #expect(try store.blocks(from: 0, through: 2) == Array(chain.blocks[0..<2]))
        #expect(try store.blocks(from: 41, through: 50).isEmpty)
        #expect(try store.encodedBlocks(from: 1, through: 40, maxBytes: 1).count == 1)
        let budgeted = try store.encodedBlocks(from: 1, through: 40, maxBytes: 3_000)
        #expect(budgeted.count > 1 && budgeted.count < 40)
        #expect(budgeted == chain.blocks.prefix(budgeted.count).map { $0.encoded() })
        try store.close()

        let segments = blockSegmentNames(try snapshotDirectory(dir.path))
        #expect(segments.count > 5, "40 blocks in 4 KiB segments span several files")
        #expect(segments.first == "000000000001.seg")

        let reopened = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
        #expect(reopened.recovery.index == .loaded(coveredHeight: 40))
        #expect(reopened.recovery.isClean && reopened.recovery.scannedBlocks == 0)
        try expectHolds(reopened, chain.blocks)
        #expect(try reopened.blocks(from: 1, through: 40) == chain.blocks)
    }

    @Test func everySegmentStartsWhereItsNameSays() throws {
        let dir = try ScratchDirectory("names")
        try writeBlockStore(chain, in: dir.path, options: small)
        let files = try snapshotDirectory(dir.path)
        var next: UInt64 = 1
        for name in blockSegmentNames(files) {
            #expect(name == String(format: "%012llu.seg", next))
            let blocks = blockSegmentItems(files[name]!).filter { $0.kind == .block }
            #expect(blocks.first?.height == next)
            next += UInt64(blocks.count)
            #expect(files[name]!.count <= small.segmentSize || blocks.count == 1)
            let closing = blockSegmentItems(files[name]!).last?.kind
            #expect(closing == (name == blockSegmentNames(files).last ? .marker : .seal), "sealed segments end with their seal, the last with a marker")
        }
        #expect(next == 41)
    }

    @Test func refusesBlocksThatDoNotExtendTheHead() throws {
        let dir = try ScratchDirectory("refuse")
        var options = small
        options.genesisHash = chain.genesis.hash
        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        #expect(storageFailure { try store.append(chain.blocks[1]) }?.isInvalidArgument == true, "height 2 before 1")
        var other = BlockTestChain(seed: 99)
        other.extend(by: 2)
        #expect(storageFailure { try store.append(other.blocks[0]) }?.isInvalidArgument == true, "block 1 of another genesis")
        try store.append(chain.blocks[0])
        #expect(storageFailure { try store.append(chain.blocks[0]) }?.isInvalidArgument == true, "the same height twice")
        #expect(storageFailure { try store.append(other.blocks[1]) }?.isInvalidArgument == true, "height 2 not linked to block 1")
        #expect(storageFailure { try store.append(chain.blocks[2]) }?.isInvalidArgument == true, "a gap")
        // A refusal does not poison the store.
        try store.append(chain.blocks[1])
        try store.close()
        #expect(storageFailure { try store.append(chain.blocks[2]) }?.isFailed == true, "closed")
        let reopened = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        try expectHolds(reopened, Array(chain.blocks.prefix(2)))
    }

    @Test func reopenWithoutCloseRebuildsOrExtendsTheIndex() throws {
        let dir = try ScratchDirectory("crashreopen")
        var options = small
        options.indexInterval = 8
        do {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
            for block in chain.blocks.prefix(21) {
                try store.append(block)
                try store.sync()
            }
            // No close: as after a crash of the process.
        }
        let reopened = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        #expect(reopened.recovery.index == .loaded(coveredHeight: 16), "the index was rewritten every 8 synced blocks")
        #expect(reopened.recovery.scannedBlocks == 5)
        #expect(reopened.recovery.truncated == nil)
        try expectHolds(reopened, Array(chain.blocks.prefix(21)))
        // It keeps going where it stopped.
        for block in chain.blocks[21...] { try reopened.append(block) }
        try reopened.close()
        try expectHolds(try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options), chain.blocks)
    }

    @Test func deletedIndexIsRebuiltIdentical() throws {
        let dir = try ScratchDirectory("rebuild")
        try writeBlockStore(chain, in: dir.path, options: small, syncEvery: 4)
        let index = dir.sub("index")
        let original = try readBytes(index)
        try FileManager.default.removeItem(atPath: index)
        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
        guard case let .rebuilt(reason) = store.recovery.index else {
            Issue.record("expected a rebuild, got \(store.recovery)")
            return
        }
        #expect(reason.contains("no index"))
        #expect(store.recovery.scannedBlocks == 40)
        #expect(try readBytes(index) == original, "the rebuilt index is written at once, byte for byte the same")
        try expectHolds(store, chain.blocks)
        try store.close()
        #expect(try readBytes(index) == original)
    }

    @Test func corruptedIndexIsDetectedAndRebuilt() throws {
        let dir = try ScratchDirectory("badindex")
        try writeBlockStore(chain, in: dir.path, options: small)
        let index = dir.sub("index")
        let original = try readBytes(index)
        for offset in [0, 9, 30, original.count / 2, original.count - 1] {
            var bad = original
            bad[offset] ^= 0x40
            try writeBytes(index, bad)
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
            #expect(store.recovery.index == .rebuilt(reason: "the index fails its checksum"), "offset \(offset)")
            try expectHolds(store, chain.blocks)
            try store.close()
            #expect(try readBytes(index) == original)
        }
        // Cut short, and empty.
        for size in [0, 10, original.count - 1] {
            try writeBytes(index, Array(original.prefix(size)))
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
            #expect(!store.recovery.isClean)
            try expectHolds(store, chain.blocks)
        }
    }

    @Test func anIndexThatChecksOutButLiesIsCaughtByReads() throws {
        let dir = try ScratchDirectory("lyingindex")
        try writeBlockStore(chain, in: dir.path, options: small)
        let index = dir.sub("index")
        var bytes = try readBytes(index)
        let segments = Int(bytes[8]) | Int(bytes[9]) << 8
        // Move height 2's recorded offset by one byte and fix the checksum.
        let entry = 24 + 24 * segments + 48
        bytes[entry] &+= 1
        let crc = CRC32C.checksum(Array(bytes.dropLast(4)))
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try writeBytes(index, bytes)
        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
        #expect(try store.block(at: 1) == chain.blocks[0])
        let error = storageFailure { _ = try store.block(at: 2) }
        #expect(error?.isCorrupt == true)
        #expect(error?.description.contains("move the blocks directory aside") == true, "the error says the way out")
    }

    @Test func tornFinalRecordIsCutOffAndEarlierBlocksSurvive() throws {
        for zeroFill in [false, true] {
            let dir = try ScratchDirectory("torn-\(zeroFill)")
            var options = BlockStoreOptions(segmentSize: 1 << 20, indexInterval: 4)
            options.genesisHash = chain.genesis.hash
            do {
                let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
                for block in chain.blocks.prefix(9) {
                    try store.append(block)
                    try store.sync()
                }
            }
            let segment = dir.sub("000000000001.seg")
            let files = try snapshotDirectory(dir.path)
            let bytes = try readBytes(segment)
            let last = try #require(blockSegmentItems(bytes).last)
            #expect(last.kind == .block && last.height == 9 && last.end == bytes.count)
            for cut in [last.offset + 1, last.offset + 55, last.offset + 56, last.offset + 57, last.offset + last.length / 2, bytes.count - 1] {
                var torn = Array(bytes.prefix(cut))
                if zeroFill { torn += [UInt8](repeating: 0, count: bytes.count - cut) }
                try writeBytes(segment, torn)
                let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
                let truncated = try #require(store.recovery.truncated, "cut at \(cut)")
                #expect(truncated.offset == last.offset && truncated.path == segment)
                #expect(store.recovery.index == .loaded(coveredHeight: 8))
                try expectHolds(store, Array(chain.blocks.prefix(8)))
                #expect(try readBytes(segment).count == last.offset, "the torn bytes are gone from the file")
                // The store carries on from height 8.
                try store.append(chain.blocks[8])
                try store.close()
                try expectHolds(try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options), Array(chain.blocks.prefix(9)))
                try restoreDirectory(files, in: dir.path)
            }
        }
    }

    /// Tools that read a node's store (`civitas verify`) open it read-only:
    /// whatever opening finds, it changes no byte and no file.
    @Test func aReadOnlyOpenNeverWrites() throws {
        let dir = try ScratchDirectory("readonly")
        do {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
            for block in chain.blocks.prefix(30) {
                try store.append(block)
                try store.sync()
            }
        }
        let pristine = try snapshotDirectory(dir.path)
        let names = blockSegmentNames(pristine)
        let last = dir.sub(names.last!)
        let earlier = UInt64(names.last!.prefix(12))! - 1
        // A torn tail with no index; a half-created last segment.
        let damages: [(String, UInt64, () throws -> Void)] = [
            ("torn tail", 29, {
                try writeBytes(last, Array(pristine[names.last!]!.dropLast(10)))
                try? FileManager.default.removeItem(atPath: dir.sub("index"))
            }),
            ("half-created segment", earlier, { try writeBytes(last, [UInt8](repeating: 0, count: 10)) }),
        ]
        for (name, height, damage) in damages {
            try restoreDirectory(pristine, in: dir.path)
            try damage()
            let before = try snapshotDirectory(dir.path)
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(),
                                       options: BlockStoreOptions(segmentSize: small.segmentSize, readOnly: true))
            #expect(!store.recovery.isClean, "\(name): \(store.recovery)")
            try expectHolds(store, Array(chain.blocks.prefix(Int(height))))
            #expect(storageFailure { try store.append(chain.blocks[Int(height)]) }?.isFailed == true)
            #expect(storageFailure { try store.sync() }?.isFailed == true)
            try store.close()
            #expect(try snapshotDirectory(dir.path) == before, "\(name): a read-only open changed the files")
        }
        #expect(storageFailure { _ = try BlockStore(directory: dir.sub("absent"), fileSystem: POSIXFileSystem(), options: BlockStoreOptions(readOnly: true)) } != nil)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("absent")))
    }

    @Test func aMissingSegmentStopsTheOpen() throws {
        let dir = try ScratchDirectory("missing")
        try writeBlockStore(chain, in: dir.path, options: small)
        let files = try snapshotDirectory(dir.path)
        let names = blockSegmentNames(files)
        for (victim, withIndex) in [(names[2], true), (names[2], false), (names.last!, true)] {
            try restoreDirectory(files, in: dir.path)
            try FileManager.default.removeItem(atPath: dir.sub(victim))
            if !withIndex { try FileManager.default.removeItem(atPath: dir.sub("index")) }
            let error = storageFailure { _ = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small) }
            #expect(error?.isCorrupt == true, "\(victim) removed, index \(withIndex)")
            #expect(error?.description.contains("missing") == true || error?.description.contains("lost") == true)
        }
    }

    /// A crash after a full segment's seal but before its successor was created
    /// leaves a sealed last segment; nothing may ever be written after the seal,
    /// however often the store is reopened and closed (found by the kill -9 stress tool).
    @Test func aSealedLastSegmentIsNeverWrittenAfterItsSeal() throws {
        let dir = try ScratchDirectory("sealed-last")
        try writeBlockStore(chain, in: dir.path, options: small)
        let names = blockSegmentNames(try snapshotDirectory(dir.path))
        let lastOfSealed = UInt64(names.last!.prefix(12))! - 1
        try FileManager.default.removeItem(atPath: dir.sub(names.last!))
        try FileManager.default.removeItem(atPath: dir.sub("index"))
        for round in 0..<3 {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
            #expect(store.height == lastOfSealed, "round \(round): \(store.recovery)")
            try store.close()
            let report = ChainVerifier(directory: dir.path, fileSystem: POSIXFileSystem(), genesis: chain.genesis).run(checkSignatures: false)
            #expect(report.isClean, "round \(round): \(report)")
            #expect(blockSegmentItems(try readBytes(dir.sub(names[names.count - 2]))).last?.kind == .seal)
        }
        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
        for block in chain.blocks[Int(lastOfSealed)...] { try store.append(block) }
        try store.close()
        try expectHolds(try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small), chain.blocks)
    }

    @Test func writesAfterDiskFullAreRefusedAndNothingHalfWrittenSurvives() throws {
        for truncateFails in [false, true] {
            for budget in [100, 3_000, 9_000, 20_000] {
                let dir = try ScratchDirectory("diskfull-\(budget)-\(truncateFails)")
                let faulty = DiskFullFileSystem(POSIXFileSystem(), budget: budget)
                faulty.truncateFails = truncateFails
                var synced = 0
                var failure: StorageError?
                do {
                    let store = try BlockStore(directory: dir.path, fileSystem: faulty, options: small)
                    for block in chain.blocks {
                        try store.append(block)
                        try store.sync()
                        synced += 1
                    }
                } catch {
                    failure = error
                }
                #expect(failure?.isDiskFull == true, "budget \(budget): \(failure.map { "\($0)" } ?? "no failure")")
                // The failed store refuses to write again.
                let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: small)
                #expect(store.height == UInt64(synced), "every synced block survives, nothing else (budget \(budget))")
                try expectHolds(store, Array(chain.blocks.prefix(synced)))
                for block in chain.blocks[synced...] { try store.append(block) }
                try store.close()
            }
        }
        // And a store that hit the failure refuses writes until reopened.
        let dir = try ScratchDirectory("diskfull-refuse")
        let faulty = DiskFullFileSystem(POSIXFileSystem(), budget: 5_000)
        let store = try BlockStore(directory: dir.path, fileSystem: faulty, options: small)
        var failed = false
        for block in chain.blocks where !failed {
            failed = storageFailure { try store.append(block); try store.sync() } != nil
        }
        #expect(failed)
        faulty.budget = .max
        #expect(storageFailure { try store.sync() }?.isFailed == true)
        #expect(storageFailure { try store.append(chain.blocks[39]) } != nil)
    }

    /// Power fails in the middle of an operation (a write lands in the cache
    /// but its sync never happens, a segment's creation is cut short …), then
    /// the disk keeps a random part of what was not synced, tearing writes at
    /// sector granularity. Every reopen must succeed, keep every synced block
    /// and return nothing but the original blocks.
    @Test func powerLossAtRandomPointsNeverLosesSyncedBlocksNorReportsDamage() throws {
        var torn = 0, removed = 0, rebuilt = 0, failedWrites = 0
        for seed in UInt64(1)...80 {
            let fs = SimFileSystem(seed: seed)
            var rng = SplitMix64(seed: seed)
            var options = BlockStoreOptions(segmentSize: 2 << 10, indexInterval: 3, maxPendingBytes: 6_000)
            options.genesisHash = chain.genesis.hash
            var synced = 0
            var appended = 0
            for round in 0..<8 {
                let store: BlockStore
                do {
                    store = try BlockStore(directory: "/node/blocks", fileSystem: fs, options: options)
                } catch {
                    Issue.record("seed \(seed) round \(round): reopening after power loss failed: \(error)")
                    return
                }
                if store.recovery.truncated != nil { torn += 1 }
                if store.recovery.removedSegment != nil { removed += 1 }
                if case .rebuilt = store.recovery.index { rebuilt += 1 }
                #expect(store.height >= UInt64(synced), "seed \(seed) round \(round): synced blocks lost")
                #expect(store.height <= UInt64(appended))
                try expectHolds(store, Array(chain.blocks.prefix(Int(store.height))))
                appended = Int(store.height)
                synced = appended
                fs.powerFailsAfter = Int.random(in: 1...30, using: &rng)
                do {
                    while appended < chain.blocks.count {
                        try store.append(chain.blocks[appended])
                        appended += 1
                        if Int.random(in: 0...2, using: &rng) == 0 {
                            try store.sync()
                            synced = appended
                        }
                        if Int.random(in: 0...19, using: &rng) == 0 {
                            try store.close()
                            synced = appended
                            break
                        }
                    }
                } catch {
                    failedWrites += 1
                    #expect(storageFailure { try store.append(chain.blocks[min(appended, chain.blocks.count - 1)]) } != nil,
                            "seed \(seed): a store that failed refuses further writes")
                }
                fs.crash()
                if appended == chain.blocks.count && synced == appended { break }
            }
        }
        #expect(torn > 10 && failedWrites > 100, "power loss tore \(torn) tails in \(failedWrites) interrupted runs")
        #expect(rebuilt > 10, "\(rebuilt) index rebuilds")
        print("block store power loss: \(failedWrites) interrupted runs, \(torn) torn tails cut off, \(removed) half-created segments removed, \(rebuilt) index rebuilds")
    }
}
