import CivitasLedger
import CivitasSimulation
import CivitasStorage
import Testing

/// The block store on the simulator's hostile disk: power loss between or
/// inside operations (between a `pwrite` and its `fsync`), torn writes,
/// forgotten directory entries, read errors.
/// Every height whose `sync` returned must come back, verified; nothing
/// else may come back except whole blocks appended after it.
@Suite struct SimulatedBlockStoreTests {
    static let directory = "/data/blocks"

    static func reopen(_ fs: SimFileSystem, readErrors: inout Int) throws(StorageError) -> BlockStore {
        fs.readErrorRate = 0.1
        defer { fs.readErrorRate = 0 }
        while true {
            do {
                return try BlockStore(directory: directory, fileSystem: fs,
                                      options: BlockStoreOptions(segmentSize: 16 << 10, indexInterval: 8))
            } catch {
                guard case .io(_, _, 5) = error else { throw error }
                readErrors += 1
                fs.readErrorRate /= 2
            }
        }
    }

    @Test func syncedBlocksSurvivePowerLoss() throws {
        var chain = BlockTestChain(seed: 5)
        chain.extend(by: 120, largeEvery: 4)
        var totals = (crashes: 0, readErrors: 0, torn: 0)
        for seed in UInt64(1)...20 {
            let fs = SimFileSystem(seed: seed)
            var random = SimRandom(seed: seed &* 31)
            try fs.createDirectory("/data")
            var store = try Self.reopen(fs, readErrors: &totals.readErrors)
            var synced: UInt64 = 0
            while store.height < UInt64(chain.blocks.count) {
                // Sometimes the power fails in the middle of the next few operations.
                if fs.powerFailsAfter == nil, random.chance(0.1) { fs.powerFailsAfter = 1 + Int(random.below(4)) }
                var crashNow = random.below(10) >= 8
                do {
                    switch random.below(10) {
                    case 0..<6:
                        try store.append(chain.blocks[Int(store.height)])
                    case 6..<8:
                        try store.sync()
                        synced = store.height
                    default:
                        break
                    }
                } catch {
                    guard fs.poweredOff else { throw error }
                    crashNow = true
                }
                if crashNow {
                    fs.crash()
                    totals.crashes += 1
                    store = try Self.reopen(fs, readErrors: &totals.readErrors)
                    #expect(store.height >= synced, "seed \(seed): synced \(synced), recovered \(store.height)")
                    for h in stride(from: UInt64(1), through: store.height, by: 1) {
                        let block = try store.block(at: h)
                        #expect(block == chain.blocks[Int(h - 1)], "seed \(seed): height \(h) differs after recovery")
                    }
                    synced = store.height
                    if store.recovery.truncated != nil { totals.torn += 1 }
                }
            }
        }
        #expect(totals.crashes > 50, "crashes: \(totals.crashes)")
        #expect(totals.readErrors > 10, "read errors: \(totals.readErrors)")
        #expect(totals.torn > 3, "torn tails: \(totals.torn)")
    }
}
