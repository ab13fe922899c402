import ArgumentParser
import CivitasNode
import Foundation

/// `civitas status`: a node's state at a glance, and a probe (exit 0 healthy, 1 degraded, 2 unreachable).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a node's identity, Raft, chain, peers, mempool, disk, certificate and health.",
        discussion: "Exit status: 0 healthy, 1 degraded (the reasons are printed), 2 unreachable or not a Civitas node.")

    @Option(help: "The node's admin API.")
    var node = "http://127.0.0.1:9090"

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Repeat every --interval seconds until interrupted.")
    var watch = false

    @Option(help: "Seconds between reports with --watch.")
    var interval: Double = 2

    @Option(help: "Wait up to this many seconds for the node to be healthy (a script's way to wait for a node it started); print the report then.")
    var wait: Double?

    func run() async throws {
        guard interval >= 0.1 else { throw ToolError("--interval must be at least 0.1 seconds") }
        if let wait {
            guard wait > 0, !watch else { throw ToolError("--wait takes a positive number of seconds, without --watch") }
            let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1_000))
            var outcome = await StatusProbe.probe(node: node)
            while outcome.verdict != .healthy, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                outcome = await StatusProbe.probe(node: node)
            }
            print(Self.text(outcome, json: json))
            if outcome.verdict != .healthy { throw ExitCode(outcome.verdict.rawValue) }
            return
        }
        var verdict = StatusProbe.Verdict.healthy
        repeat {
            let outcome = await StatusProbe.probe(node: node)
            verdict = outcome.verdict
            if watch { print("\u{1B}[2J\u{1B}[H" + Date().description) }
            print(Self.text(outcome, json: json))
            if watch { try await Task.sleep(for: .milliseconds(Int(interval * 1_000))) }
        } while watch
        if verdict != .healthy { throw ExitCode(verdict.rawValue) }
    }

    static func text(_ outcome: StatusProbe.Outcome, json: Bool) -> String {
        guard let report = outcome.report else { return outcome.problem ?? "unreachable: no answer" }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
        return StatusProbe.render(report)
    }
}
