import ArgumentParser
import CivitasSimulation
import Dispatch
import Foundation
import Synchronization

/// `civitas sim node`: the whole node pipeline (mempool, Raft, blocks,
/// certificates, apply) for a community of validators and observers under
/// crashes, partitions and loss, on the real `NodeCore`.
struct NodeSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Simulate a community's nodes through the whole pipeline under faults.",
        discussion: """
        --seed N replays one run (add --trace for its fault log); --seeds A..B runs a campaign and \
        prints each failing seed's replay command. Each run: 5 validators and 10 observers, residents \
        submitting through observers, crashes, partitions, loss and duplication drawn from the seed, \
        then a quiet phase in which everything must converge. --scenario FILE (simulations/*.toml) \
        pins any of these; options given here override the file.
        """)

    @Option(help: "Replay one seed.") var seed: UInt64?
    @Option(help: "Run a campaign over a range of seeds, e.g. 1..20.") var seeds: String?
    @Option(help: "A scenario file (simulations/*.toml): community, links, workload, faults, seeds.") var scenario: String?
    @Option(help: "Communities: 1 (default), or a city of 2-40, each with its validators, observers and a gateway, federated; adds city faults (a community cut off from the city, lossy city links) and referrals between them.")
    var communities: Int?
    @Option(help: "Validators (default 5).") var validators: Int?
    @Option(help: "Observers (default 10).") var observers: Int?
    @Option(help: "New submissions per simulated second (default: drawn from the seed).") var rate: Int?
    @Option(help: "Seconds of simulated faults per run (default 30).") var faultSeconds: UInt64?
    @Option(help: "Seconds without faults at the end, in which everything must converge (default 30).") var quietSeconds: UInt64?
    @Flag(help: "Print the fault log of each run.") var trace = false
    @Option(help: "Parallel runs (campaigns).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func options(seed: UInt64, scenario: NodeScenario) -> NodeSimulationOptions {
        var o = scenario.options(seed: seed)
        if let communities { o.communities = communities }
        if let validators { o.validators = validators }
        if let observers { o.observers = observers }
        if let faultSeconds { o.faultSeconds = faultSeconds }
        if let quietSeconds { o.quietSeconds = quietSeconds }
        if let rate { o.submissionsPerSecond = rate }
        return o
    }

    func replay(_ seed: UInt64) -> String {
        "civitas sim node" + (scenario.map { " --scenario \($0)" } ?? "") + (communities.map { " --communities \($0)" } ?? "")
            + " --seed \(seed) --trace"
    }

    func loadScenario() throws -> NodeScenario {
        guard let scenario else { return NodeScenario() }
        guard let text = try? String(contentsOfFile: scenario, encoding: .utf8) else {
            throw ValidationError("--scenario \(scenario): cannot read the file")
        }
        do {
            return try NodeScenario(toml: text)
        } catch {
            throw ValidationError("--scenario \(scenario):\n" + error.problems.map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    func run() throws {
        let file = try loadScenario()
        let sample = options(seed: 0, scenario: file)
        guard sample.validators >= 1, sample.validators <= 31, sample.observers >= 0, sample.observers <= 1_000 else {
            throw ValidationError("validators must be 1...31 and observers 0...1000")
        }
        guard (1...40).contains(sample.communities) else { throw ValidationError("communities must be 1...40") }
        var seed = self.seed
        var seeds = self.seeds
        if seed == nil, seeds == nil, let pinned = file.seeds {
            if pinned.count == 1 { seed = pinned.lowerBound } else { seeds = "\(pinned.lowerBound)..\(pinned.upperBound)" }
        }
        if let seed {
            let opts = options(seed: seed, scenario: file)
            var sim = NodeSimulation(options: opts)
            let report = sim.run()
            if trace { report.trace.forEach { print("  " + $0) } }
            print("scenario: " + (opts.communities > 1 ? "\(opts.communities) communities of " : "")
                + "\(opts.validators) validators, \(opts.observers) observers" + (opts.communities > 1 ? " and a gateway" : "") + ", loss \(opts.link.loss * 100)%, "
                + "duplication \(opts.link.duplication * 100)%, a crash every ~\(opts.crashEvery) s, a partition every ~\(opts.partitionEvery) s, "
                + "\(opts.submissionsPerSecond) submissions/s")
            print(report.summary)
            if opts.communities > 1 { print(report.citySummary) }
            report.refusalSamples.forEach { print("  refused: " + $0) }
            if !report.passed {
                print("replay: \(replay(seed))")
                throw ExitCode(1)
            }
        } else if let seeds {
            let parts = seeds.components(separatedBy: "..")
            guard parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else {
                throw ValidationError("expected a range like 1..20, got '\(seeds)'")
            }
            try campaign(a...b, scenario: file)
        } else {
            throw ValidationError("give --seed N or --seeds A..B (or a --scenario file with [run] seed or seeds)")
        }
    }

    func campaign(_ range: ClosedRange<UInt64>, scenario: NodeScenario) throws {
        let all = Array(range)
        let failures = Mutex<[UInt64]>([])
        let stats = Mutex<(runs: Int, simulated: Duration, committed: Int, height: UInt64)>((0, .zero, 0, 0))
        let start = DispatchTime.now()
        let workers = max(1, jobs)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < all.count {
                var sim = NodeSimulation(options: options(seed: all[i], scenario: scenario))
                let report = sim.run()
                stats.withLock {
                    $0.runs += 1; $0.simulated += report.simulatedTime.sinceStart; $0.committed += report.acknowledged
                    $0.height += report.height
                }
                if !report.passed {
                    failures.withLock { $0.append(report.seed) }
                    print(report.summary)
                    print("replay: \(replay(report.seed))")
                }
                i += workers
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let s = stats.withLock { $0 }
        let failed = failures.withLock { $0.sorted() }
        print("node campaign: \(s.runs) seeds \(range.lowerBound)..\(range.upperBound), \(failed.count) failed, "
            + "\(s.committed) transactions committed in \(s.height) blocks, \(String(format: "%.1f", wall)) s wall, "
            + "\(String(format: "%.0f", s.simulated.inSeconds)) s simulated")
        if !failed.isEmpty {
            print("failing seeds: \(failed.map(String.init).joined(separator: " "))")
            throw ExitCode(1)
        }
    }
}
