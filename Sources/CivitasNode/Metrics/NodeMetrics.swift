import Metrics
public import Prometheus

/// The node's metrics, named in one place. The runtime records counters and
/// timings as things happen; gauges are refreshed from `NodeStatusReport`
/// whenever `/metrics` is scraped, so they never go stale.
public struct NodeMetrics: Sendable {
    /// Every metric name the node exports.
    public enum Name {
        public static let chainHeight = "civitas_chain_height"
        public static let headAgeSeconds = "civitas_chain_head_age_seconds"
        public static let bestPeerHeight = "civitas_chain_best_peer_height"
        public static let raftTerm = "civitas_raft_term"
        public static let raftCommitIndex = "civitas_raft_commit_index"
        public static let raftIsLeader = "civitas_raft_is_leader"
        public static let peers = "civitas_peers"
        public static let mempoolTransactions = "civitas_mempool_transactions"
        public static let mempoolBytes = "civitas_mempool_bytes"
        public static let diskFreeBytes = "civitas_disk_free_bytes"
        public static let certificateSecondsLeft = "civitas_certificate_seconds_left"
        public static let healthy = "civitas_healthy"
        public static let transactionsSubmitted = "civitas_transactions_submitted_total"
        public static let httpRequests = "civitas_http_requests_total"
        public static let blockApplySeconds = "civitas_block_apply_seconds"
        public static let blocksApplied = "civitas_blocks_applied_total"
        public static let reloads = "civitas_certificate_reloads_total"
        public static let httpConnectionsShed = "civitas_http_connections_shed_total"
        /// Tamper evidence recorded in this chain (any value above 0 is the city's tamper alarm).
        public static let tamperEvidence = "civitas_federation_tamper_evidence"
        /// Seconds since the oldest of the neighbours' last anchored checkpoints was recorded here.
        public static let oldestAnchorAgeSeconds = "civitas_federation_oldest_anchor_age_seconds"

        public static let all = [chainHeight, headAgeSeconds, bestPeerHeight, raftTerm, raftCommitIndex, raftIsLeader, peers,
                                 mempoolTransactions, mempoolBytes, diskFreeBytes, certificateSecondsLeft, healthy,
                                 transactionsSubmitted, httpRequests, blockApplySeconds, blocksApplied, reloads, httpConnectionsShed,
                                 tamperEvidence, oldestAnchorAgeSeconds]
    }

    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let factory: any MetricsFactory

    /// Metrics recorded into `registry` only (tests; several nodes in one process).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        ]
        self.factory = factory
    }

    /// Makes the node's registry the process-wide swift-metrics backend (once per
    /// process), so libraries' metrics appear in `/metrics` too.
    public static func bootstrap() -> NodeMetrics {
        let metrics = NodeMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String { registry.emitToString() }

    // MARK: Recorded by the runtime and the APIs

    /// One submission and how it ended: accepted, already_known, pending, committed, rejected, replay, unavailable, malformed.
    public func transactionSubmitted(outcome: String) {
        Counter(label: Name.transactionsSubmitted, dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// One HTTP request, by route pattern (not the raw path, so IDs do not make new series) and status code.
    public func httpRequest(route: String, status: Int) {
        Counter(label: Name.httpRequests, dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
    }

    /// A connection the server closed itself: over its address's limit, or past a read, idle or write timeout.
    public func httpConnectionShed(server: String, reason: String) {
        Counter(label: Name.httpConnectionsShed, dimensions: [("server", server), ("reason", reason)], factory: factory).increment()
    }

    /// How long applying one block to storage and state took.
    public func blockApplied(duration: Duration) {
        Timer(label: Name.blockApplySeconds, factory: factory).recordNanoseconds(duration.nanoseconds)
        Counter(label: Name.blocksApplied, factory: factory).increment()
    }

    /// A certificate reload (SIGHUP), successful or not.
    public func certificatesReloaded(success: Bool) {
        Counter(label: Name.reloads, dimensions: [("result", success ? "ok" : "failed")], factory: factory).increment()
    }

    // MARK: Gauges from the status report

    public func update(from report: NodeStatusReport) {
        gauge(Name.chainHeight, Double(report.chain.height))
        gauge(Name.headAgeSeconds, report.chain.headAgeMillis.map { Double($0) / 1_000 } ?? 0)
        gauge(Name.bestPeerHeight, Double(report.chain.bestPeerHeight))
        gauge(Name.raftTerm, Double(report.raft?.term ?? 0))
        gauge(Name.raftCommitIndex, Double(report.raft?.commitIndex ?? 0))
        gauge(Name.raftIsLeader, report.raft?.role == "leader" ? 1 : 0)
        gauge(Name.peers, Double(report.peers.count))
        gauge(Name.mempoolTransactions, Double(report.mempool.transactions))
        gauge(Name.mempoolBytes, Double(report.mempool.bytes))
        gauge(Name.diskFreeBytes, Double(report.disk.freeBytes))
        gauge(Name.certificateSecondsLeft, Double(report.certificate.secondsLeft))
        gauge(Name.healthy, report.health.level == .healthy ? 1 : 0)
        gauge(Name.tamperEvidence, Double(report.tamperEvidence.count))
        gauge(Name.oldestAnchorAgeSeconds, Double(report.checkpoints.compactMap(\.ageMillis).max() ?? 0) / 1_000)
    }

    private func gauge(_ name: String, _ value: Double) {
        Gauge(label: name, factory: factory).record(value)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}
