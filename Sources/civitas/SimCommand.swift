import ArgumentParser
import CivitasSimulation
import Dispatch
import Foundation
import Synchronization

/// `civitas sim …`: deterministic simulations.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run deterministic simulations (replayable from a seed).",
        subcommands: [RaftSim.self, GossipSim.self, NodeSim.self, CitySim.self]
    )
}

/// `civitas sim raft`: random-fault campaigns against the Raft core, and the failover experiment.
struct RaftSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Hunt for Raft safety bugs under random faults, or measure failover time.",
        discussion: """
        --seed N replays one run (add --trace for its fault log); --seeds A..B runs a campaign and
        prints every failing seed with the command that reproduces it. --failover-trials N crashes the
        leader of a healthy cluster N times and prints the distribution of time without a leader.
        """
    )

    @Option(help: "Replay one seed.") var seed: UInt64?
    @Option(help: "Run a campaign over a range of seeds, e.g. 1..300.") var seeds: String?
    @Option(help: "Founding voters (default: 3 or 5, drawn from each seed).") var voters: Int?
    @Option(help: "Seconds of simulated faults per run.") var faultSeconds: Double = 60
    @Flag(help: "Print the fault log of each run.") var trace = false
    @Option(help: "Parallel runs (campaigns).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Failover experiment: number of trials.") var failoverTrials: Int?
    @Option(help: "Failover: cluster size.") var nodes: Int = 5
    @Option(help: "Failover: election timeout range in ms (the node's: 1000..2000).") var electionTimeout: String = "1000..2000"
    @Option(help: "Failover: heartbeat interval in ms (the node's: 100).") var heartbeat: Int = 100
    @Option(help: "Failover: Raft's tick in ms; timeouts and heartbeats are whole ticks (the node's: 100).") var tick: Int = 100
    @Flag(inversion: .prefixedNo, help: "Failover: campaign with a pre-vote first (the node's: on).") var preVote = true
    @Flag(inversion: .prefixedNo, help: "Failover: a leader not hearing a majority steps down (the node's: on).") var checkQuorum = true
    @Option(help: "Failover: one-way latency in ms.") var latency: Double = 5

    func options(seed: UInt64) -> RaftSimulationOptions {
        // To the simulator's microsecond, truncated (`Duration.seconds(2.3)` holds the binary fraction, 2.2999… s).
        RaftSimulationOptions.drawn(seed: seed, voters: voters, faultPhase: .microseconds(Int64(faultSeconds * 1_000_000)))
    }

    func replayCommand(_ seed: UInt64) -> String {
        "civitas sim raft --seed \(seed)\(voters.map { " --voters \($0)" } ?? "") --fault-seconds \(faultSeconds) --trace"
    }

    func run() throws {
        if let trials = failoverTrials {
            try failover(trials)
        } else if let seed {
            let opts = options(seed: seed)
            var sim = RaftSimulation(seed: seed, options: opts)
            let report = sim.run()
            if trace { report.trace.forEach { print("  " + $0) } }
            func ms(_ d: Duration) -> Int { Int(d.inMilliseconds.rounded(.towardZero)) }
            print("scenario: \(opts.voters) voters, a fault every ~\(ms(opts.faultInterval)) ms, link jitter \(ms(opts.link.jitter)) ms, fsync \(ms(opts.fsyncLatency.lowerBound))-\(ms(opts.fsyncLatency.upperBound)) ms")
            print(report.summary)
            if !report.passed {
                print("replay: \(replayCommand(seed))")
                throw ExitCode(1)
            }
        } else if let seeds {
            let range = try parseRange(seeds)
            try campaign(range)
        } else {
            throw ValidationError("give --seed N, --seeds A..B or --failover-trials N")
        }
    }

    func campaign(_ range: ClosedRange<UInt64>) throws {
        let all = Array(range)
        let failures = Mutex<[RaftSimulationReport]>([])
        let stats = Mutex<(runs: Int, simulated: Duration, events: Int)>((0, .zero, 0))
        let start = DispatchTime.now()
        let workers = max(1, jobs)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < all.count {
                var sim = RaftSimulation(seed: all[i], options: options(seed: all[i]))
                let report = sim.run()
                stats.withLock { $0.runs += 1; $0.simulated += report.simulatedTime.sinceStart; $0.events += report.events }
                if !report.passed {
                    failures.withLock { $0.append(report) }
                    print(report.summary)
                    print("replay: \(replayCommand(report.seed))")
                }
                i += workers
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let s = stats.withLock { $0 }
        let failed = failures.withLock { $0.map(\.seed).sorted() }
        print("raft campaign: \(s.runs) seeds \(range.lowerBound)..\(range.upperBound), \(failed.count) failed, \(String(format: "%.1f", wall)) s wall, \(String(format: "%.0f", s.simulated.inSeconds)) s simulated (\(String(format: "%.0f", s.simulated.inSeconds / wall))x), \(s.events) events")
        if !failed.isEmpty {
            print("failing seeds: \(failed.map(String.init).joined(separator: " "))")
            throw ExitCode(1)
        }
    }

    func failover(_ trials: Int) throws {
        var e = FailoverExperiment()
        e.nodes = nodes
        let r = try parseRange(electionTimeout)
        e.electionTimeoutMs = Int(r.lowerBound)...Int(r.upperBound)
        e.heartbeatMs = heartbeat
        e.tickMs = tick
        e.preVote = preVote
        e.checkQuorum = checkQuorum
        e.latencyMs = latency
        e.trials = trials
        e.seed = seed ?? 1
        let times = e.run().sorted()
        guard !times.isEmpty else { throw ToolError("no trial elected a new leader") }
        func pct(_ p: Double) -> String {
            let v = times[min(times.count - 1, Int(Double(times.count - 1) * p))]
            return String(format: "%.1f ms", v.inMilliseconds)
        }
        print("failover: \(times.count)/\(trials) trials, \(nodes) nodes, election timeout \(electionTimeout) ms, heartbeat \(heartbeat) ms, "
            + "tick \(tick) ms, pre-vote \(preVote ? "on" : "off"), check-quorum \(checkQuorum ? "on" : "off"), one-way latency \(latency) ms")
        print("time without a leader after the leader crashed: median \(pct(0.5)), p90 \(pct(0.9)), p99 \(pct(0.99)), max \(pct(1.0))")
    }

    func parseRange(_ s: String) throws -> ClosedRange<UInt64> {
        let parts = s.components(separatedBy: "..")
        guard parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else {
            throw ValidationError("expected a range like 1..300, got '\(s)'")
        }
        return a...b
    }
}
