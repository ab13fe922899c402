import ArgumentParser
import CivitasSimulation
import Dispatch

/// `civitas sim gossip`: dissemination over N simulated nodes with loss and churn.
struct GossipSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip",
        abstract: "Simulate Plumtree dissemination over N nodes with message loss and churn.",
        discussion: """
        Publishes --messages payloads from random live nodes and reports time and hops to 99% and
        100% coverage, payload copies per node and control bytes per node. The same options and
        seed give the same report. Exits 1 if some message missed a node that was up throughout.
        """
    )

    @Option(help: "Nodes in the overlay.") var nodes: Int = 1_000
    @Option(help: "The run's seed.") var seed: UInt64 = 1
    @Option(help: "Probability that a message on a link is lost (0.1 = 10%).") var loss: Double = 0.1
    @Option(help: "Fraction of nodes that crash and restart while messages are published.") var churn: Double = 0.05
    @Option(help: "Payloads to publish (one every 200 ms).") var messages: Int = 50

    func validate() throws {
        guard nodes >= 2 else { throw ValidationError("--nodes must be at least 2") }
        guard (0..<1).contains(loss) else { throw ValidationError("--loss must be in [0, 1)") }
        guard (0...1).contains(churn) else { throw ValidationError("--churn must be in [0, 1]") }
        guard messages >= 1 else { throw ValidationError("--messages must be at least 1") }
    }

    func run() throws {
        let start = DispatchTime.now()
        var sim = GossipSimulation(options: GossipSimulationOptions(nodes: nodes, seed: seed, loss: loss, churn: churn, messages: messages))
        let report = sim.run()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        print(report.summary)
        print("  wall time: \((seconds * 100).rounded() / 100) s")
        if !report.complete {
            print("replay: civitas sim gossip --nodes \(nodes) --seed \(seed) --loss \(loss) --churn \(churn) --messages \(messages)")
            throw ExitCode(1)
        }
    }
}
