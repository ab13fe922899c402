import CivitasLedger
public import Foundation

/// What a planner reads after `civitas sim city`: the city as planned, what
/// residents felt, what the links carried and cost, how each fault went. It
/// is written as `report.json` (this value, JSON-encoded with sorted keys,
/// schema `civitas.city-report/1`, documented in docs/simulation.md) and
/// drawn as `report.html`. Deterministic: the same scenario and seed give the
/// same bytes, so its `digest` names a run.
///
/// Times are simulated milliseconds or seconds since the run started; rates
/// are per simulated second. Figures are rounded (`CityReport.round`) so the
/// bytes do not depend on the last bit of a floating-point sum.
public struct CityReport: Codable, Sendable, Equatable {
    public static let schemaName = "civitas.city-report/1"

    public var schema = CityReport.schemaName
    public var scenario: Scenario
    public var communities: [Community]
    /// City links: one per pair of communities whose gateways talk.
    public var links: [Link]
    /// City-wide figures (every community's together).
    public var city: Figures
    public var faults: [Fault]
    /// Everything counted per time bucket, for the charts.
    public var timeline: Timeline
    public var safety: Safety
    /// SHA-256 of this report's JSON with `digest` empty, hex.
    public var digest: String = ""

    public struct Scenario: Codable, Sendable, Equatable {
        public var name: String
        /// The planner's question the scenario answers (its opening comment).
        public var question: String
        public var seed: UInt64
        public var durationSeconds: UInt64
        /// "simulated" or "live" (real nodes over TLS on loopback).
        public var mode: String
        /// The scenario's settings as the run used them, "section.key" → value as text.
        public var settings: [String: String]
    }

    public struct Community: Codable, Sendable, Equatable {
        public var name: String
        public var xKm: Double
        public var yKm: Double
        /// Validators by the subject each stands for ("residents' committee").
        public var validators: [String]
        public var observers: Int
        public var gateway: Bool
        /// The link class inside the community ("fibre", "broadband", "4g").
        public var linkClass: String
        public var figures: Figures
    }

    public struct Link: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var linkClass: String
        public var distanceKm: Double
        public var latencyMillis: Double
        public var bandwidthMbps: Double
        public var loss: Double
        /// Bytes carried both ways over the run, and per simulated second.
        public var bytes: UInt64
        public var bytesPerSecond: Double
        /// Seconds the link was cut (a drill or a random fault).
        public var downSeconds: Double
        /// "ok", "degraded" (lossy or cut for a while) or "down" (cut at the end).
        public var health: String
    }

    /// One community's figures, or the city's.
    public struct Figures: Codable, Sendable, Equatable {
        public var nodes: Int
        public var submitted: Int
        public var committed: Int
        /// Transactions committed per simulated second.
        public var throughput: Double
        /// Submission to commit, as the resident's app saw it.
        public var commitLatency: Percentiles
        /// The same, as a histogram for the chart.
        public var commitLatencyHistogram: [HistogramBucket]
        /// A notice's block applied by 50/95/100% of the nodes, from its commit.
        public var noticeReach: Reach
        /// A checkpoint of this community anchored on a neighbour's chain, from the checkpoint's commit.
        public var anchoringDelay: Percentiles
        public var checkpointsMade: Int
        public var checkpointsAnchored: Int
        public var bandwidth: Bandwidth
        /// Messages sent by type ("raft.append", "gossip.ihave", …).
        public var messages: [String: UInt64]
        public var elections: Int
        public var leaderChanges: Int
        /// Share of time the community could commit (a leader with a quorum of its validators reachable).
        public var availability: Double
    }

    public struct Percentiles: Codable, Sendable, Equatable {
        public var count: Int
        public var p50Millis: Double
        public var p95Millis: Double
        public var p99Millis: Double
        public var maxMillis: Double

        public init(count: Int = 0, p50Millis: Double = 0, p95Millis: Double = 0, p99Millis: Double = 0, maxMillis: Double = 0) {
            self.count = count
            self.p50Millis = p50Millis
            self.p95Millis = p95Millis
            self.p99Millis = p99Millis
            self.maxMillis = maxMillis
        }
    }

    public struct HistogramBucket: Codable, Sendable, Equatable {
        /// Samples at most this many ms (and above the previous bucket's bound).
        public var upToMillis: Double
        public var count: Int
    }

    /// How far notices spread: per notice, the time until the given share of
    /// nodes applied its block; each figure is the median over notices.
    public struct Reach: Codable, Sendable, Equatable {
        public var notices: Int
        public var half: Percentiles
        public var most: Percentiles
        public var all: Percentiles
        /// The propagation curve: share of nodes (0...1) against median ms.
        public var curve: [CurvePoint]
        /// City-wide: until that share of all the city's nodes holds the
        /// notice on its own chain or anchored (a neighbour's checkpoint that covers it).
        public var cityAll: Percentiles
        public var cityCurve: [CurvePoint]
    }

    public struct CurvePoint: Codable, Sendable, Equatable {
        public var share: Double
        public var millis: Double
    }

    public struct Bandwidth: Codable, Sendable, Equatable {
        /// Bytes sent per node per simulated second: mean and busiest node.
        public var meanBytesPerSecond: Double
        public var maxBytesPerSecond: Double
        /// The busiest node's monthly traffic at this rate (GB, 30 days).
        public var maxGBPerMonth: Double
        /// The whole community's (or city's) traffic per month (GB, 30 days).
        public var totalGBPerMonth: Double
    }

    public struct Fault: Codable, Sendable, Equatable {
        /// "validator-crash", "leader-isolated", "community-offline", "gateway-down", "lossy-city-links", "clock-step".
        public var kind: String
        /// A drill from the scenario's schedule, or drawn from the seed.
        public var drill: Bool
        public var community: String?
        /// The node's name ("lianhua-east/validator-2").
        public var node: String?
        public var startSecond: Double
        public var endSecond: Double
        /// From the fault's start until the community commits again and every
        /// node it touched is back at the head (nil: it had not by the end).
        public var recoverySeconds: Double?
        public var detail: String
    }

    public struct Timeline: Codable, Sendable, Equatable {
        public var bucketSeconds: Double
        /// Per community, one value per bucket.
        public var series: [Series]
    }

    public struct Series: Codable, Sendable, Equatable {
        public var community: String
        /// Transactions committed per bucket.
        public var commits: [Int]
        /// Share of the bucket the community could commit (0...1).
        public var availability: [Double]
        /// Bytes its nodes sent per second in the bucket.
        public var bytesPerSecond: [Double]
        /// Submissions per bucket (the workload's rhythm).
        public var submissions: [Int]
    }

    public struct Safety: Codable, Sendable, Equatable {
        public var passed: Bool
        /// The invariants checked all along and at the end.
        public var checked: [String]
        public var violation: String?
        /// The command that replays the run (with `--trace`).
        public var replay: String
    }

    /// Rounds to three decimals (a micro-unit is far below what a planner reads).
    public static func round(_ x: Double) -> Double { (x * 1_000).rounded() / 1_000 }

    /// The report's bytes, with sorted keys (what `report.json` holds).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Sets `digest` to the hash of the report with an empty digest.
    public mutating func seal() throws {
        digest = ""
        digest = Hashing.sha256(Array(try json())).hex
    }
}
