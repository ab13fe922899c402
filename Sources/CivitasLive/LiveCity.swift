import CivitasLedger
import CivitasNode
public import CivitasSimulation
import Foundation
import Logging
import ServiceLifecycle

/// `civitas sim city SCENARIO --live`: a planner's city as real nodes in this
/// one process — each a `NodeRuntime` built by `makeNodeRuntime` from a
/// `node.toml` written for it, with its own CA-issued certificate, write-ahead
/// log, block store and SQLite state in a temporary directory, talking TLS
/// 1.3 over 127.0.0.1 — driven in real time by the simulator's own workload
/// and measured into the simulator's report (mode "live"). The communities,
/// keys, geneses and residents are those the simulator draws from the seed
/// (`LiveCityRun`).
///
/// What live mode does not do: drills and random faults (refused), link
/// classes (loopback has no latency or loss to give), protocol settings a
/// node's configuration cannot set (refused unless they are the node's own).
public enum LiveCity {
    /// More nodes than this in one process starve each other on a small machine: simulate those.
    public static let maxNodes = 60

    /// How a live run is kept, reported and shown.
    public struct Options: Sendable {
        /// Where the run's directory is made (default: the system's temporary directory).
        public var parent: String?
        /// Keep the run's directory (configurations, keys, certificates, chains) after the run.
        public var keep = false
        /// After the plan's duration, how long the last records have to commit.
        public var settleSeconds: UInt64 = 60
        /// The command that runs it again, for the report.
        public var replay: String
        /// Called about once a second with the share of the run done.
        public var progress: (@Sendable (Double) -> Void)?

        public init(replay: String) { self.replay = replay }
    }

    /// What a live run gives: the report, and the directory it kept (nil: removed).
    public struct Result: Sendable {
        public var report: CityReport
        public var directory: String?
        /// Refusals the nodes gave the clients, a few of each reason (retried until committed or the run ended).
        public var refusals: [String]
    }

    /// Why `plan` cannot run live (nil: it can).
    public static func refusal(_ plan: CityPlan) -> String? {
        if plan.nodes > maxNodes {
            return "\(plan.name) has \(plan.nodes) nodes; live mode runs at most \(maxNodes) in one process: simulate it (without --live)"
        }
        if !plan.drills.isEmpty || !plan.randomFaults.isEmpty {
            let kinds = Set(plan.drills.map(\.kind.rawValue) + plan.randomFaults.keys.map(\.rawValue)).sorted()
            return "live mode does not run drills or random faults (\(plan.name) has \(kinds.joined(separator: ", "))): "
                + "simulate it (without --live), or remove its [[drill]] and [faults] sections"
        }
        let p = plan.protocolSettings, node = CityPlan.ProtocolSettings()
        var changed: [String] = []
        if p.tickMillis != node.tickMillis { changed.append("tick_ms") }
        if p.electionTimeoutMillis != node.electionTimeoutMillis { changed.append("election_timeout_ms") }
        if p.heartbeatMillis != node.heartbeatMillis { changed.append("heartbeat_ms") }
        if p.preVote != node.preVote { changed.append("pre_vote") }
        if p.checkQuorum != node.checkQuorum { changed.append("check_quorum") }
        if p.gossipFanout != node.gossipFanout { changed.append("gossip_fanout") }
        if !changed.isEmpty {
            return "a real node runs its own \(changed.map { "protocol.\($0)" }.joined(separator: ", ")) (no configuration key sets "
                + "\(changed.count == 1 ? "it" : "them")): simulate this scenario, or leave \(changed.count == 1 ? "it" : "them") at the default"
        }
        return nil
    }

    /// Runs `plan` live: sets the city up on disk, starts every node, waits
    /// for each community's first leader, drives the workload for the plan's
    /// duration, lets the last records commit, stops every node gracefully
    /// and reports.
    public static func run(_ plan: CityPlan, options: Options) async throws -> Result {
        if let why = refusal(plan) { throw LiveCityError(why) }
        let live = LiveCityRun(plan: plan)
        let parent = options.parent ?? FileManager.default.temporaryDirectory.path
        var template = Array((parent + "/civitas-live-\(plan.name)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw LiveCityError("cannot make a directory in \(parent) (errno \(errno))") }
        let root = String(cString: made)
        do {
            let result = try await run(live, root: root, options: options)
            if !options.keep { try? FileManager.default.removeItem(atPath: root) }
            return Result(report: result.report, directory: options.keep ? root : nil, refusals: result.refusals)
        } catch {
            if !options.keep { try? FileManager.default.removeItem(atPath: root) }
            throw error
        }
    }

    static func run(_ live: LiveCityRun, root: String, options: Options) async throws -> (report: CityReport, refusals: [String]) {
        let ports = try LoopbackPorts.free(live.nodes.count)
        let files = try LiveCityFiles.write(live, root: root, ports: ports)
        // One quiet logger and a metrics registry per node: logging and metrics bootstraps are process-wide.
        let logger = Logger(label: "civitas.live", factory: { _ in SwiftLogNoOpLogHandler() })
        var parts: [NodeRuntimeParts] = []
        do {
            for path in files.configurations {
                let configuration: NodeConfiguration
                do {
                    configuration = try NodeConfiguration.load(path: path)
                } catch {
                    throw LiveCityError("\(path): \(error)")
                }
                parts.append(try await makeNodeRuntime(configuration: configuration, logger: logger, metrics: NodeMetrics()))
            }
        } catch {
            // The nodes built so far listen and hold their storage open: run them cancelled, so each closes what it opened.
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: parts.map { .init(service: $0.runtime) }, logger: logger))
            let stopping = Task { try await group.run() }
            stopping.cancel()
            _ = try? await stopping.value
            throw error
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: parts.map { .init(service: $0.runtime) }, logger: logger))
        let running = Task { try await group.run() }
        let services = parts.map(\.service)
        do {
            try await waitForLeaders(live.communities, services: services)
            let driver = LiveCityDriver(live: live, services: services, federation: files.federation, progress: options.progress)
            let report = await driver.run(settleSeconds: options.settleSeconds, replay: options.replay)
            let refusals = await driver.refusalSamples
            await group.triggerGracefulShutdown()
            try await running.value
            return (report, refusals)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
    }

    /// Waits until every community has a leader (its validators' status says so), at most a minute.
    static func waitForLeaders(_ communities: [LiveCityRun.Community], services: [any NodeService]) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        for community in communities {
            let validators = community.nodes.filter { $0.role == .validator }.map(\.index)
            while true {
                var led = false
                for i in validators where await services[i].status().raft?.role == "leader" { led = true }
                if led { break }
                guard ContinuousClock.now < deadline else {
                    throw LiveCityError("\(community.id) elected no leader within 60 s of its nodes starting")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// Why a live run could not run, in words that say what to do.
public struct LiveCityError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
