public import CivitasLedger
public import CivitasCodec
public import CivitasGovernance
import CivitasNodeCore

/// What a node campaign run did, and the first invariant it broke, if any.
public struct NodeSimulationReport: Sendable {
    public enum Property: String, Sendable, CaseIterable {
        case safety = "one block per height"
        case certificate = "certified blocks only"
        case order = "blocks applied in order"
        case stateAgreement = "same state on every node"
        case acknowledgedLost = "no acknowledged transaction lost"
        case liveness = "liveness"
        case malformed = "well-formed messages"
        case storage = "storage recovers what was synced"
        case blockTime = "block time never goes back"
        case city = "every community anchors its neighbours and answers their referrals, once"
    }

    public struct Violation: Sendable, CustomStringConvertible {
        public let property: Property
        public let time: SimTime
        public let node: Int?
        public let detail: String
        public var description: String {
            "\(property.rawValue) violated at t=\(formatTime(time))\(node.map { " node \($0)" } ?? ""): \(detail)"
        }
    }

    public let seed: UInt64
    public var violation: Violation?
    public var simulatedTime: SimTime = .start
    public var events = 0
    public var crashes = 0
    public var partitions = 0
    public var messagesSent = 0
    public var proposals = 0
    public var retries = 0
    public var evictions = 0
    public var refusals = 0
    public var refusalSamples: [String] = []
    public var snapshotsInstalled = 0
    /// Storage errors on a node's simulated disk (each made that node crash).
    public var storageFailures = 0
    /// Wall-clock steps injected.
    public var clockSteps = 0
    /// When each height was first applied anywhere, by height.
    public var firstApplied: [SimTime] = []
    /// The highest Raft term any validator reached (each election raises it).
    public var raftTerm: UInt64 = 0
    /// Links opened (dials that succeeded, and links reopened after a partition), and dials that failed.
    public var linksOpened = 0
    public var dialFailures = 0
    public var admitted = 0
    public var alreadyKnown = 0
    public var admissionRejected = 0
    /// Resubmissions a node answered at once as already committed.
    public var alreadyCommitted = 0
    /// Final chain.
    public var height: UInt64 = 0
    public var transactionsCommitted = 0
    public var transactionsSubmitted = 0
    public var acknowledged = 0
    /// Simulated ms, submission to first commit.
    public var latencyP50Millis: UInt64 = 0
    public var latencyP99Millis: UInt64 = 0
    /// The providers' supervision figures at the final head, as every live
    /// node computed them from its own state (the final checks require them equal).
    public var supervision: [ProviderSupervision] = []
    /// A city: times a community was cut off, referrals made and answered, neighbour checkpoints anchored.
    public var cityCuts = 0
    public var referralsMade = 0
    public var referralsAnswered = 0
    public var anchors = 0
    /// A hash over the final chain and every node's state: equal runs have equal digests.
    public var digest = Hash()
    public var trace: [String] = []

    init(seed: UInt64) { self.seed = seed }

    public var passed: Bool { violation == nil }

    /// How a node answered a client at once (a waiting client counts as admitted).
    mutating func count(_ outcome: SubmitOutcome) {
        switch outcome {
        case .accepted, .pending: admitted += 1
        case .alreadyKnown: alreadyKnown += 1
        case .committed: alreadyCommitted += 1
        case .rejected, .unavailable: admissionRejected += 1
        }
    }

    mutating func finish(nodes: [SimNode], canonical: [[UInt64: Hash]], clients: [ClientLedger]) {
        height = canonical.compactMap { $0.keys.max() }.max() ?? 0
        raftTerm = nodes.compactMap { $0.process?.driver.core.raft?.term }.max() ?? 0
        transactionsSubmitted = clients.map(\.submitted).reduce(0, +)
        acknowledged = clients.map(\.acknowledged.count).reduce(0, +)
        transactionsCommitted = nodes.compactMap { $0.ledger?.appliedTransactions }.max() ?? 0
        let sorted = clients.flatMap(\.latencies).sorted()
        if !sorted.isEmpty {
            latencyP50Millis = Self.wholeMilliseconds(sorted[sorted.count / 2])
            latencyP99Millis = Self.wholeMilliseconds(sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
        }
        var bytes: [UInt8] = []
        for chain in canonical { for h in chain.keys.sorted() { bytes += chain[h]!.bytes } }
        for node in nodes { bytes += (node.ledger?.digest ?? Hash()).bytes }
        // What the nodes did, not how many events the simulator took to run it.
        for n in [messagesSent, proposals, retries, crashes, partitions, linksOpened, dialFailures, clockSteps] { bytes += withUnsafeBytes(of: UInt64(n).littleEndian, Array.init) }
        digest = Hashing.sha256(bytes)
    }

    /// A latency as the report counts it: whole milliseconds, truncated.
    private static func wholeMilliseconds(_ d: Duration) -> UInt64 { UInt64(clamping: d.wholeMicroseconds / 1_000) }

    /// One line for the campaign log.
    public var summary: String {
        let status = violation.map { "FAIL: \($0)" } ?? "ok"
        return "seed \(seed): \(status) — height \(height), \(acknowledged)/\(transactionsSubmitted) transactions committed, "
            + "p50 \(latencyP50Millis) ms p99 \(latencyP99Millis) ms, \(crashes) crashes, \(partitions) partitions, "
            + "\(retries) retries, \(snapshotsInstalled) snapshots installed, \(refusals) refusals, "
            + "\(linksOpened) links opened, \(dialFailures) dials failed, \(clockSteps) clock steps, "
            + "\(supervision.map(\.assignments).reduce(0, +)) assignments (\(supervision.map(\.breaches).reduce(0, +)) past deadline), "
            + "digest \(digest.hex.prefix(16))"
    }

    /// A city's figures: cuts, anchors, referrals.
    public var citySummary: String {
        "city: \(cityCuts) communities cut off, \(anchors) neighbour checkpoints anchored, \(referralsAnswered)/\(referralsMade) referrals answered"
    }
}
