// civitas-sim-bench: issue #17's benchmark. The city planners' district-40
// (40 communities of 5 validators, 19 observers and a gateway: 1,000 of the
// product's own nodes) for one simulated hour at the node's own 100 ms tick,
// with a light workload and no faults; prints wall time, simulated seconds
// per wall second, peak RSS, memory per node and the report's digest.
//
//   civitas-sim-bench [--communities N] [--nodes N] [--seconds S] [--seed N] [--rate R]
//   civitas-sim-bench --scenario simulations/FILE.toml [--seed N]
//
// `--nodes` is nodes per community (validators + observers + the gateway).
// The options are built in `district(...)`, or read from a scenario file
// (`NodeScenario`, as `civitas sim node --scenario`); `bench(_:)` runs any
// `NodeSimulationOptions`. `make bench-sim` runs it at district-40 scale
// (Benchmarks/run-sim.sh).
import CivitasSimulation
import Dispatch
import Foundation

/// district-40 by default: `communities` × `nodes` nodes for `seconds` simulated.
func district(communities: Int = 40, nodes: Int = 25, seconds: UInt64 = 3_600, seed: UInt64 = 1, rate: Int = 2) -> NodeSimulationOptions {
    var o = NodeSimulationOptions(seed: seed)
    o.communities = communities
    o.validators = 5
    // The rest of each community observes; a city adds one gateway each.
    o.observers = nodes - o.validators - (communities > 1 ? 1 : 0)
    o.tickMillis = 100  // the node's own tick (NodeCoreSettings.tick)
    o.blockInterval = 1_000
    o.submissionsPerSecond = rate  // per community
    o.crashEvery = 0
    o.partitionEvery = 0
    o.clockStepEvery = 0
    o.cityCutEvery = 0
    o.referralResendSeconds = 30  // the node's own (NodeCoreSettings.referralResend)
    o.faultSeconds = 0
    o.quietSeconds = seconds
    return o
}

struct BenchResult {
    var nodes: Int
    var simulatedSeconds: Double
    var wallSeconds: Double
    var peakMiB: Double
    var digest: String
    var passed: Bool
    var summary: String
    var events: Int
    var messages: Int
}

/// Peak resident set of this process so far (VmHWM), in MiB.
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / 1_024
}

func bench(_ options: NodeSimulationOptions) -> BenchResult {
    let start = DispatchTime.now()
    var simulation = NodeSimulation(options: options)
    let report = simulation.run()
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return BenchResult(nodes: options.shapes.map(\.nodes).reduce(0, +), simulatedSeconds: report.simulatedTime.sinceStart.inSeconds,
                       wallSeconds: wall, peakMiB: peakRSSMiB(), digest: String(report.digest.hex.prefix(16)), passed: report.passed,
                       summary: report.summary + (options.communities > 1 ? "\n" + report.citySummary : ""),
                       events: report.events, messages: report.messagesSent)
}

var arguments = ArraySlice(CommandLine.arguments.dropFirst())
var values: [String: String] = [:]
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data(("usage: civitas-sim-bench [--communities N] [--nodes N] [--seconds S] [--seed N] [--rate R]\n"
            + "       civitas-sim-bench --scenario FILE.toml [--seed N]\n").utf8))
        exit(2)
    }
    values[String(name.dropFirst(2))] = value
}
let seed = values["seed"].flatMap(UInt64.init) ?? 1
let options: NodeSimulationOptions
if let path = values["scenario"] {
    do {
        options = try NodeScenario(toml: String(contentsOfFile: path, encoding: .utf8)).options(seed: seed)
    } catch {
        FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
        exit(2)
    }
} else {
    options = district(communities: values["communities"].flatMap(Int.init) ?? 40, nodes: values["nodes"].flatMap(Int.init) ?? 25,
                       seconds: values["seconds"].flatMap(UInt64.init) ?? 3_600, seed: seed, rate: values["rate"].flatMap(Int.init) ?? 2)
}
let r = bench(options)
print(r.summary)
let nodeSeconds = Double(r.nodes) * max(r.simulatedSeconds, 1)
print("events: \(r.events) (\(f(Double(r.events) / nodeSeconds)) per node-second), messages: \(r.messages) (\(f(Double(r.messages) / nodeSeconds)) per node-second), "
    + "\(f(r.wallSeconds / nodeSeconds * 1e6)) µs wall per node-second")
func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
print("sim-bench: \(r.nodes) nodes (\(options.communities) communities), \(f(r.simulatedSeconds, 0)) s simulated in "
    + "\(f(r.wallSeconds)) s wall (\(f(r.simulatedSeconds / r.wallSeconds)) simulated s per wall s), peak \(f(r.peakMiB, 0)) MiB "
    + "(\(f(r.peakMiB / Double(r.nodes), 2)) MiB per node), digest \(r.digest), \(r.passed ? "passed" : "FAILED")")
exit(r.passed ? 0 : 1)
