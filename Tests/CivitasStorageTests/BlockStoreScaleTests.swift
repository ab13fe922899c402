import CivitasLedger
import CivitasStorage
import Foundation
import Testing

/// Opening and rebuilding larger stores. The 100,000-block measurement runs
/// only when asked (`CIVITAS_BLOCKSTORE_SCALE=100000 swift test -c release
/// --filter BlockStoreScale`); it prints its timings.
@Suite struct BlockStoreScaleTests {
    struct Timings: CustomStringConvertible {
        var blocks = 0, bytes = 0
        var tailBlocks: UInt64 = 0
        var write: Duration = .zero, open: Duration = .zero, rebuild: Duration = .zero, tail: Duration = .zero, readAll: Duration = .zero
        var description: String {
            "\(blocks) blocks, \(bytes / 1_000_000) MB: write+sync \(write), open with index \(open), rebuild without index \(rebuild), open after a crash (\(tailBlocks) blocks past the index) \(tail), read all in batches \(readAll)"
        }
    }

    static func measure(blocks: [SealedBlock], options: BlockStoreOptions, in dir: ScratchDirectory) throws -> Timings {
        let clock = ContinuousClock()
        var t = Timings()
        t.blocks = blocks.count
        t.write = try clock.measure {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
            for (i, block) in blocks.enumerated() {
                try store.append(block)
                if i % 100 == 99 { try store.sync() }
            }
            try store.close()
        }
        t.bytes = try snapshotDirectory(dir.path).values.reduce(0) { $0 + $1.count }
        let index = dir.sub("index")
        let original = try readBytes(index)

        t.open = try clock.measure {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
            #expect(store.recovery.index == .loaded(coveredHeight: UInt64(blocks.count)))
            #expect(store.height == UInt64(blocks.count))
        }
        try FileManager.default.removeItem(atPath: index)
        t.rebuild = try clock.measure {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
            #expect(store.recovery.scannedBlocks == UInt64(blocks.count))
            #expect(store.headHash == blocks.last?.header.hash)
        }
        #expect(try readBytes(index) == original, "the rebuilt index is the same, byte for byte")

        // A crash (no close): the open scans everything synced since the last index rewrite.
        let tailDir = try ScratchDirectory("scale-tail")
        do {
            let store = try BlockStore(directory: tailDir.path, fileSystem: POSIXFileSystem(), options: options)
            for (i, block) in blocks.enumerated() {
                try store.append(block)
                if i % 100 == 99 || i + 1 == blocks.count { try store.sync() }
            }
        }
        var tailBlocks: UInt64 = 0
        t.tail = try clock.measure {
            let store = try BlockStore(directory: tailDir.path, fileSystem: POSIXFileSystem(), options: options)
            #expect(store.height == UInt64(blocks.count))
            tailBlocks = store.recovery.scannedBlocks
        }
        t.tailBlocks = tailBlocks

        let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        t.readAll = try clock.measure {
            var h: UInt64 = 1
            while h <= store.height {
                let batch = try store.encodedBlocks(from: h, through: store.height)
                for (i, bytes) in batch.enumerated() where (h + UInt64(i)) % 97 == 0 {
                    #expect(bytes == blocks[Int(h) + i - 1].encoded())
                }
                h += UInt64(batch.count)
            }
        }
        return t
    }

    @Test func aStoreOfTwoThousandBlocksRebuildsIdentically() throws {
        let dir = try ScratchDirectory("scale-2k")
        let t = try Self.measure(blocks: UnsignedBlockChain.blocks(2_000),
                                 options: BlockStoreOptions(segmentSize: 256 << 10, indexInterval: 512), in: dir)
        print("block store: \(t)")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CIVITAS_BLOCKSTORE_SCALE"] != nil, "set CIVITAS_BLOCKSTORE_SCALE=N to measure N blocks"))
    func openAndRebuildOfALargeStore() throws {
        let count = Int(ProcessInfo.processInfo.environment["CIVITAS_BLOCKSTORE_SCALE"] ?? "") ?? 100_000
        let clock = ContinuousClock()
        var blocks: [SealedBlock] = []
        let made = clock.measure { blocks = UnsignedBlockChain.blocks(count) }
        print("block store: made \(count) blocks in \(made)")
        let dir = try ScratchDirectory("scale-large")
        let t = try Self.measure(blocks: blocks, options: BlockStoreOptions(), in: dir)
        print("block store: \(t)")
        #expect(t.rebuild < .seconds(2), "rebuild of \(count) blocks took \(t.rebuild)")
        #expect(t.open < .seconds(2))
        #expect(t.tail < .seconds(2))
    }
}
