import ArgumentParser
import CivitasLive
import CivitasSimulation
import Dispatch
import Foundation

/// `civitas sim city SCENARIO.toml`: a planner's city of the product's nodes,
/// simulated (or, with --live, as real nodes over TLS on loopback), with a
/// report a planner reads (terminal table, report.json, report.html).
struct CitySim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city",
        abstract: "Simulate a planner's city of communities and write its report.",
        discussion: """
        Runs the scenario (simulations/*.toml; docs/simulation.md lists every key) with the product's own \
        nodes in one process, prints a summary per community, and writes report.json and report.html to \
        --out (default: sim-reports/<scenario>). The same scenario and seed give the same report.json; its \
        digest is printed. --sweep key=v1,v2,… runs it once per value and prints one table. \
        --live runs the same city (at most \(LiveCity.maxNodes) nodes, no drills) as real nodes in this process over \
        TLS on 127.0.0.1, with real storage in a temporary directory (--keep keeps it), in real time, and \
        writes the same report with mode "live".
        """)

    @Argument(help: "The scenario file.") var scenario: String
    @Option(help: "Seed (default: the scenario's [run] seed).") var seed: UInt64?
    @Option(help: "Simulated duration, e.g. 10m or 2h (default: the scenario's [run] duration).") var duration: String?
    @Option(help: "Directory for report.json and report.html.") var out: String?
    @Option(help: "Vary one key, e.g. validators=3,5,7 (or a [sweep] table in the scenario).") var sweep: String?
    @Flag(help: "Print the run's fault log.") var trace = false
    @Flag(help: "Run the city as real nodes in this process over TLS on loopback, in real time.") var live = false
    @Flag(help: "With --live: keep the run's directory (configurations, keys, certificates, chains).") var keep = false

    func validate() throws {
        if live, sweep != nil { throw ValidationError("--live runs one city in real time; a sweep runs it once per value: drop --sweep or --live") }
        if keep, !live { throw ValidationError("--keep keeps a live run's directory: it needs --live") }
    }

    func run() async throws {
        var (plan, fileSweep) = try Self.load(scenario)
        if let seed { plan.seed = seed }
        if let duration {
            guard let seconds = CityScenario.durationSeconds(duration), seconds >= 10 else {
                throw ValidationError("--duration \(duration): expected a duration such as 90s, 10m or 2h (at least 10 s)")
            }
            plan.durationSeconds = seconds
            plan.drills.removeAll { $0.atSecond >= seconds }
        }
        let directory = out ?? "sim-reports/\(plan.name)"
        if live {
            if let fileSweep {
                FileHandle.standardError.write(Data("note: --live runs the city once; its [sweep] of \(fileSweep.key) is not run\n".utf8))
            }
            try await runLive(plan, directory: directory)
            return
        }
        if let sweep = try sweep.map(Self.parseSweep) ?? fileSweep {
            try runSweep(plan, sweep, directory: directory)
            return
        }
        let (report, run) = simulate(plan)
        if trace {
            run.trace.forEach { print("  " + $0) }
            print(run.summary)
            run.refusalSamples.forEach { print("  refused: " + $0) }
        }
        try write(report, to: directory)
        print(report.summary())
        print("wrote \(directory)/report.json and report.html")
        if !report.safety.passed { throw ExitCode(1) }
    }

    func replay(_ plan: CityPlan) -> String {
        "civitas sim city \(scenario) --seed \(plan.seed)" + (duration.map { " --duration \($0)" } ?? "") + (live ? " --live" : " --trace")
    }

    /// The city as real nodes (`LiveCity`); the same report, with mode "live".
    func runLive(_ plan: CityPlan, directory: String) async throws {
        if let why = LiveCity.refusal(plan) { throw ValidationError("--live: " + why) }
        let bar = ProgressBar(label: plan.name + " (live)")
        var options = LiveCity.Options(replay: replay(plan))
        options.keep = keep
        options.progress = { bar.update($0) }
        let result: LiveCity.Result
        do {
            result = try await LiveCity.run(plan, options: options)
        } catch let error as LiveCityError {
            bar.finish()
            throw ValidationError("--live: \(error)")
        }
        bar.finish()
        if trace { result.refusals.forEach { print("  refused: " + $0) } }
        try write(result.report, to: directory)
        print(result.report.summary())
        if let kept = result.directory { print("kept the nodes' directory: \(kept)") }
        print("wrote \(directory)/report.json and report.html")
        if !result.report.safety.passed { throw ExitCode(1) }
    }

    func simulate(_ plan: CityPlan) -> (CityReport, NodeSimulationReport) {
        let bar = ProgressBar(label: plan.name)
        let result = NodeSimulation.run(plan, replay: replay(plan), progress: bar.update)
        bar.finish()
        return result
    }

    func write(_ report: CityReport, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        try report.json().write(to: base.appendingPathComponent("report.json"))
        try Data(report.html().utf8).write(to: base.appendingPathComponent("report.html"))
    }

    func runSweep(_ plan: CityPlan, _ sweep: CityScenario.Sweep, directory: String) throws {
        guard CityScenario.sweepable[sweep.key] != nil else {
            throw ValidationError("--sweep: \(sweep.key) cannot be swept (known: \(CityScenario.sweepable.keys.sorted().joined(separator: ", ")))")
        }
        var rows: [[String]] = []
        var failed = false
        for value in sweep.values {
            let variant = CityScenario.applying(sweep.key, value, to: plan)
            let (report, _) = simulate(variant)
            let label = value == value.rounded() ? String(Int(value)) : String(value)
            try write(report, to: "\(directory)/\(sweep.key)=\(label)")
            let f = report.city
            rows.append([label, "\(f.nodes)", "\(f.committed)", String(format: "%.0f", f.commitLatency.p50Millis),
                         String(format: "%.0f", f.commitLatency.p99Millis), String(format: "%.1f%%", f.availability * 100), "\(f.elections)",
                         String(format: "%.0f", f.bandwidth.maxBytesPerSecond), String(format: "%.2f", f.bandwidth.totalGBPerMonth),
                         report.safety.passed ? "ok" : "FAILED"])
            failed = failed || !report.safety.passed
        }
        print("\(plan.name), sweeping \(sweep.key):")
        let header = [sweep.key, "nodes", "committed", "p50 ms", "p99 ms", "available", "elections", "max B/s/node", "city GB/month", "safety"]
        CityReport.table(header, rows).forEach { print($0) }
        print("wrote \(directory)/\(sweep.key)=*/report.json and report.html")
        if failed { throw ExitCode(1) }
    }

    /// Reads and parses a scenario file; its stem names it unless `[run] name` does.
    static func load(_ path: String) throws -> (CityPlan, CityScenario.Sweep?) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("\(path): cannot read the file")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        do {
            let parsed = try CityScenario(toml: text, name: stem)
            return (parsed.plan, parsed.sweep)
        } catch {
            throw ValidationError("\(path):\n" + error.problems.map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    static func parseSweep(_ text: String) throws -> CityScenario.Sweep {
        let parts = text.split(separator: "=", maxSplits: 1)
        let values = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } : []
        guard parts.count == 2, !values.isEmpty, values.count == parts[1].split(separator: ",").count else {
            throw ValidationError("--sweep \(text): expected key=v1,v2,… e.g. validators=3,5,7")
        }
        return CityScenario.Sweep(key: String(parts[0]), values: values)
    }
}

/// A progress bar with an ETA on stderr, only on a terminal and only once a
/// run has taken a couple of seconds.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let start = DispatchTime.now()
    let enabled = isatty(2) == 1
    var drawn = false

    init(label: String) { self.label = label }

    func update(_ done: Double) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        guard elapsed > 2, done > 0 else { return }
        let width = 30
        let filled = min(width, Int(done * Double(width)))
        let eta = elapsed / done * (1 - done)
        let line = "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + String(format: "%3.0f%% ETA %.0f s  ", done * 100, eta)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\(String(repeating: " ", count: label.count + 50))\r".utf8)) }
    }
}
