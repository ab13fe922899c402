// Raft benchmark: in-process clusters with no I/O, and the simulator's speed.
//
// 1. Throughput: 3- and 5-validator clusters of real `RaftCore`s in one
//    thread. The leader keeps proposals in flight in batches; every message is
//    delivered at once; each Ready is "persisted" (dropped) and applied
//    (counted). Measures committed entries per second on one core and entries
//    per append message.
// 2. Simulator speed: the random-fault campaign on 5 validators; simulated
//    seconds per wall-clock second, on one core.
import CivitasRaft
import CivitasSimulation
import Dispatch
import Foundation

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

struct Cluster {
    var nodes: [RaftCore]
    var inbox: [Message] = []
    var applied: [UInt64]
    var appendMessages = 0
    var appendEntries = 0

    init(size: Int, settings: RaftSettings) {
        let ids = (1...size).map { ReplicaID($0) }
        nodes = ids.map { RaftCore.bootstrap(id: $0, voters: ids, settings: settings, seed: 7) }
        applied = Array(repeating: 0, count: size)
    }

    /// Processes every pending Ready and delivers every message until quiet.
    mutating func settle() {
        var progress = true
        while progress {
            progress = false
            for i in nodes.indices where nodes[i].hasReady {
                progress = true
                let rd = nodes[i].ready()
                applied[i] += UInt64(rd.committedEntries.count)
                for m in rd.messages where m.type == .append {
                    appendMessages += 1
                    appendEntries += m.entries.count
                }
                inbox.append(contentsOf: rd.messages)
                nodes[i].advance()
            }
            if !inbox.isEmpty {
                progress = true
                let batch = inbox
                inbox.removeAll(keepingCapacity: true)
                for m in batch { nodes[Int(m.to) - 1].step(m) }
            }
        }
    }

    mutating func electLeader() -> Int {
        for _ in 0..<1000 {
            for i in nodes.indices { nodes[i].tick() }
            settle()
            if let l = nodes.firstIndex(where: { $0.role == .leader }) { return l }
        }
        fatalError("no leader elected")
    }
}

/// Committed entries per second and entries per append message.
func throughput(size: Int, batch: Int, seconds: Double) -> (rate: Double, perMessage: Double, committed: UInt64) {
    var settings = RaftSettings()
    settings.maxEntriesPerMessage = 4096
    var c = Cluster(size: size, settings: settings)
    let leader = c.electLeader()
    let payload = [UInt8](repeating: 0xAB, count: 64)
    let proposals = [[UInt8]](repeating: payload, count: batch)
    // Warm up.
    for _ in 0..<200 {
        _ = try? c.nodes[leader].propose(proposals)
        c.settle()
    }
    let startApplied = c.applied[leader]
    c.appendMessages = 0
    c.appendEntries = 0
    let start = now()
    let deadline = start + UInt64(seconds * 1e9)
    var rounds = 0
    while now() < deadline {
        for _ in 0..<50 {
            // Four batches in flight before the cluster settles: pipelining and batching.
            for _ in 0..<4 { _ = try? c.nodes[leader].propose(proposals) }
            c.settle()
            rounds += 1
        }
        // Keep memory flat, as block storage would: compact applied entries.
        for i in c.nodes.indices {
            let a = c.nodes[i].appliedIndex
            if a > 10_000 { c.nodes[i].compact(to: a - 5_000, data: []) }
        }
    }
    let elapsed = Double(now() - start) / 1e9
    let committed = c.applied[leader] - startApplied
    precondition(c.nodes.allSatisfy { $0.commitIndex == c.nodes[leader].commitIndex }, "followers did not keep up")
    return (Double(committed) / elapsed, Double(c.appendEntries) / Double(max(1, c.appendMessages)), committed)
}

func simulatorSpeed(seeds: ClosedRange<UInt64>) -> (ratio: Double, simulated: Double, wall: Double, events: Int, failed: Int) {
    var simulated = Duration.zero
    var events = 0
    var failed = 0
    let start = now()
    for seed in seeds {
        var o = RaftSimulationOptions()
        o.voters = 5
        var sim = RaftSimulation(seed: seed, options: o)
        let r = sim.run()
        simulated += r.simulatedTime.sinceStart
        events += r.events
        if !r.passed { failed += 1 }
    }
    let wall = Double(now() - start) / 1e9
    return (simulated.inSeconds / wall, simulated.inSeconds, wall, events, failed)
}

let quick = CommandLine.arguments.contains("--quick")
let seconds = quick ? 0.5 : 3.0
print("## Raft ordering core (in-process, no I/O, one core)\n")
print("| cluster | batch | committed entries/s | entries per append message | entries measured |")
print("|---|---:|---:|---:|---:|")
var three = 0.0
for size in [3, 5] {
    for batch in [64, 256] {
        let r = throughput(size: size, batch: batch, seconds: seconds)
        if size == 3 && batch == 256 { three = r.rate }
        print("| \(size) validators | \(batch) | \(String(format: "%.0f", r.rate)) | \(String(format: "%.1f", r.perMessage)) | \(r.committed) |")
    }
}
let seeds: ClosedRange<UInt64> = quick ? 1...5 : 1...40
let sim = simulatorSpeed(seeds: seeds)
print("\n## Simulator speed (5 validators, every fault kind, one core)\n")
print("\(seeds.count) runs of 60 s of faults plus recovery: \(String(format: "%.0f", sim.simulated)) s simulated in \(String(format: "%.2f", sim.wall)) s wall, \(sim.events) events (\(String(format: "%.0f", Double(sim.events) / sim.wall)) events/s), \(sim.failed) failed")
print("\nraft: \(String(format: "%.0f", three)) entries/s (3 validators), sim \(String(format: "%.0f", sim.ratio))x real time")
