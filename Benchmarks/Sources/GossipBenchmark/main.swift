// Gossip benchmark: simulated Plumtree dissemination at N = 100, 1,000 and 5,000.
//
// Each row runs `GossipSimulation` (the same run as `civitas sim gossip`):
// payloads published every 200 ms from random live nodes over an overlay of
// about six links per node with 10-20 ms links. Two profiles per N:
//   clean  — no loss, no churn: the figures of the tree itself;
//   faulty — 10% loss on every link and 10% of the nodes crashing and restarting.
// Reported: time and hops to 99% and 100% coverage, payload copies received
// per node per message (target at most 1.2), control bytes (IHAVE, GRAFT,
// PRUNE) per node, and the wall time of the simulation on one core.
// Arguments: --quick (N = 100 and 1,000 only), --messages M (default 100),
// --nodes N (one size only), --threshold T (Plumtree's optimizationThreshold;
// 0, the default, is off), --missing-timeout MS (Plumtree's missingTimeout),
// --loss L --churn C (the faulty profile's, default 0.1 and 0.1).
import CivitasGossip
import CivitasSimulation
import Dispatch

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    var s = "\(v)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}

func ms(_ d: Duration) -> String { fixed(d.inMilliseconds, 1) }

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }

let args = CommandLine.arguments
let quick = args.contains("--quick")
var messages = 100
if let i = args.firstIndex(of: "--messages"), i + 1 < args.count, let m = Int(args[i + 1]) { messages = m }
var sizes = quick ? [100, 1_000] : [100, 1_000, 5_000]
if let i = args.firstIndex(of: "--nodes"), i + 1 < args.count, let n = Int(args[i + 1]) { sizes = [n] }
var faultyLoss = 0.10, faultyChurn = 0.10
if let i = args.firstIndex(of: "--loss"), i + 1 < args.count, let x = Double(args[i + 1]) { faultyLoss = x }
if let i = args.firstIndex(of: "--churn"), i + 1 < args.count, let x = Double(args[i + 1]) { faultyChurn = x }
var plumtree = PlumtreeSettings()
if let i = args.firstIndex(of: "--threshold"), i + 1 < args.count, let t = UInt32(args[i + 1]) { plumtree.optimizationThreshold = t }
if let i = args.firstIndex(of: "--missing-timeout"), i + 1 < args.count, let ms = UInt64(args[i + 1]) {
    plumtree.missingTimeout = .milliseconds(ms)
}

print("gossip dissemination (simulated): \(messages) messages per run, one every 200 ms, seed 1, tree optimisation threshold \(plumtree.optimizationThreshold), missing timeout \(Int(plumtree.missingTimeout / .milliseconds(1))) ms")
print("  N      profile  t99 mean/max ms   t100 mean/max ms  hops99 hops100  copies/node  control B/node  complete  wall s")
var copiesAt1000 = 0.0
var allComplete = true
for n in sizes {
    for (name, loss, churn) in [("clean", 0.0, 0.0), ("faulty", faultyLoss, faultyChurn)] {
        let start = DispatchTime.now().uptimeNanoseconds
        var options = GossipSimulationOptions(nodes: n, seed: 1, loss: loss, churn: churn, messages: messages)
        options.plumtree = plumtree
        var sim = GossipSimulation(options: options)
        let r = sim.run()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if n == 1_000 && name == "clean" { copiesAt1000 = r.payloadCopiesPerDelivery }
        allComplete = allComplete && r.complete
        print(
            pad("\(n)", 6) + "  " + name.padding(toLength: 7, withPad: " ", startingAt: 0)
            + pad("\(ms(r.meanTimeTo99))/\(ms(r.maxTimeTo99))", 17)
            + pad("\(ms(r.meanTimeTo100))/\(ms(r.maxTimeTo100))", 19)
            + pad("\(r.maxHopsTo99)", 8) + pad("\(r.maxHopsTo100)", 8)
            + pad(fixed(r.payloadCopiesPerDelivery, 3), 13)
            + pad("\(Int(r.controlBytesPerNode.rounded()))", 16)
            + pad(r.complete ? "yes" : "NO (\(r.missedDeliveries) missed)", 10)
            + pad(fixed(wall, 1), 8)
        )
    }
}
print("gossip: copies/node \(fixed(copiesAt1000, 3)) at N=1000 (clean), every message reached every live node: \(allComplete ? "yes" : "no")")
