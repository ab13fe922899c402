import CivitasCodec
import CivitasLedger
import CivitasStorage
import Foundation
import Testing

/// Apply and rebuild rates. Opt-in, as it takes a while in debug builds:
///
///     CIVITAS_STATE_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter StateDatabasePerformance
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CIVITAS_STATE_BENCH"] != nil))
struct StateDatabasePerformanceTests {
    @Test func applyAndRebuildRates() throws {
        let blockCount = Int(ProcessInfo.processInfo.environment["CIVITAS_STATE_BENCH_BLOCKS"] ?? "") ?? 200
        let perBlock = Int(ProcessInfo.processInfo.environment["CIVITAS_STATE_BENCH_TXS"] ?? "") ?? 200
        let c = StateTestCommunity(extraResidents: 200)
        // Wall-clock and process CPU time: on a shared machine the CPU time is the steadier figure.
        var clock = ContinuousClock.now
        var cpu = processCPUSeconds()
        var cpuLap = 0.0
        func lap() -> Double {
            let now = ContinuousClock.now
            let nowCPU = processCPUSeconds()
            defer { clock = now; cpu = nowCPU }
            cpuLap = nowCPU - cpu
            let d = now - clock
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        let blocks = randomChain(c, blocks: blockCount, transactionsPerBlock: perBlock, seed: 99)
        let built = lap()
        let transactions = Double(blockCount * perBlock)
        try withScratch("bench") { dir in
            let db = try StateDatabase.open(path: dir + "/one.sqlite", genesis: c.genesis)
            _ = lap()
            var rejected = 0
            for block in blocks { rejected += try db.applyExpectingNew(block).rejections.count }
            let oneByOne = lap()
            let oneByOneCPU = cpuLap
            let digest = try db.stateDigest()
            let digestTime = lap()
            let rebuilt = try StateDatabase.rebuild(path: dir + "/batched.sqlite", genesis: c.genesis, blocks: blocks)
            let batched = lap()
            let batchedCPU = cpuLap
            #expect(try rebuilt.stateDigest() == digest)
            _ = lap()
            try db.close()
            let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/one.sqlite")[.size] as? Int) ?? 0
            let line = String(repeating: "-", count: 60)
            print("""
                \(line)
                state database: \(blockCount) blocks x \(perBlock) transactions (\(rejected) rejected), built and signed in \(fmt(built)) s
                apply, one block per SQLite transaction (fsync each): \(fmt(oneByOne)) s = \(Int(Double(blockCount) / oneByOne)) blocks/s, \(Int(transactions / oneByOne)) tx/s; CPU \(fmt(oneByOneCPU)) s = \(Int(transactions / oneByOneCPU)) tx per CPU-second
                rebuild, batched: \(fmt(batched)) s = \(Int(Double(blockCount) / batched)) blocks/s, \(Int(transactions / batched)) tx/s; CPU \(fmt(batchedCPU)) s = \(Int(transactions / batchedCPU)) tx per CPU-second
                state digest: \(fmt(digestTime)) s; database file \(size / 1024) KiB
                \(line)
                """)
        }
    }

    func fmt(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}

/// User + system CPU time of this process, in seconds.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
