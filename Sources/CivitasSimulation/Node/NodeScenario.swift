import TOMLKit

/// A node-campaign scenario written as a file (`simulations/*.toml`): the
/// community's size, its links, its workload, its faults and how long to run.
/// Every key is optional; what a file leaves out is drawn from the seed as
/// `NodeSimulationOptions.drawn(seed:)` draws it, so a file can pin only what
/// a planner wants to study (say, seven validators on lossy links) and keep
/// the campaign's variety in the rest.
///
/// Parsing is pure (text in, value or problems out); reading the file is the
/// command line's job.
public struct NodeScenario: Sendable, Equatable {
    /// `[run] seed` or `[run] seeds = "A..B"`: what to run when the command line names no seed.
    public var seeds: ClosedRange<UInt64>?
    public var faultSeconds: UInt64?
    public var quietSeconds: UInt64?
    public var validators: Int?
    public var observers: Int?
    public var signers: Int?
    public var submissionsPerSecond: Int?
    public var retryMillis: UInt64?
    public var blockIntervalMillis: UInt64?
    /// Link profile inside the community (milliseconds; the simulator rounds them to its microsecond).
    public var latencyMillis: Double?
    public var jitterMillis: Double?
    public var loss: Double?
    public var duplication: Double?
    public var tailProbability: Double?
    public var tailLatencyMillis: Double?
    public var crashEverySeconds: UInt64?
    public var partitionEverySeconds: UInt64?
    public var downtimeSeconds: ClosedRange<UInt64>?
    public var partitionLengthSeconds: ClosedRange<UInt64>?
    /// `[clocks]`: skew between nodes' wall clocks, and wall-clock steps (NTP corrections, mistakes).
    public var clockSkewMillis: UInt64?
    public var clockStepEverySeconds: UInt64?
    public var clockStepMillis: ClosedRange<Int64>?
    /// `[city]`: several communities, each with the community's nodes and a
    /// gateway; the city's links; a community cut off now and then; referrals.
    public var communities: Int?
    public var cityLatencyMillis: Double?
    public var cityLoss: Double?
    public var cityCutEverySeconds: UInt64?
    public var cityCutSeconds: ClosedRange<UInt64>?
    public var referralEverySeconds: UInt64?
    public var referralResendSeconds: Int?

    public init() {}

    /// The sections and keys a scenario may hold.
    public static let schema: [String: [String]] = [
        "run": ["seed", "seeds", "fault_seconds", "quiet_seconds"],
        "community": ["validators", "observers"],
        "workload": ["signers", "submissions_per_second", "retry_ms", "block_interval_ms"],
        "links": ["latency_ms", "jitter_ms", "loss", "duplication", "tail_probability", "tail_latency_ms"],
        "faults": ["crash_every_s", "partition_every_s", "downtime_s", "partition_length_s"],
        "clocks": ["skew_ms", "step_every_s", "step_ms"],
        "city": ["communities", "latency_ms", "loss", "cut_every_s", "cut_s", "referral_every_s", "referral_resend_s"],
    ]

    /// Every problem of a scenario, each naming its key ("links.loss: 1.5 is not in 0...0.5").
    public typealias Problems = ScenarioProblems

    /// Parses scenario `text`; all problems are reported together.
    public init(toml text: String) throws(Problems) {
        let root = try ScenarioReader.parse(text)
        var r = Reader(root: root, base: ScenarioReader(schema: Self.schema))
        r.base.checkKeys(root)
        if let seed = r.integer("run", "seed", in: 0...Int.max) {
            seeds = UInt64(seed)...UInt64(seed)
        }
        if let text = r.string("run", "seeds") {
            let parts = text.components(separatedBy: "..")
            if parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b {
                if seeds != nil { r.problem("run.seeds", "give run.seed or run.seeds, not both") }
                seeds = a...b
            } else {
                r.problem("run.seeds", "'\(text)' is not a range like \"1..20\"")
            }
        }
        faultSeconds = r.integer("run", "fault_seconds", in: 1...86_400).map(UInt64.init)
        quietSeconds = r.integer("run", "quiet_seconds", in: 5...86_400).map(UInt64.init)
        validators = r.integer("community", "validators", in: 1...31)
        observers = r.integer("community", "observers", in: 0...1_000)
        signers = r.integer("workload", "signers", in: 1...100_000)
        submissionsPerSecond = r.integer("workload", "submissions_per_second", in: 0...100_000)
        retryMillis = r.integer("workload", "retry_ms", in: 100...600_000).map(UInt64.init)
        blockIntervalMillis = r.integer("workload", "block_interval_ms", in: 1...60_000).map(UInt64.init)
        latencyMillis = r.number("links", "latency_ms", in: 0...10_000)
        jitterMillis = r.number("links", "jitter_ms", in: 0...10_000)
        loss = r.number("links", "loss", in: 0...0.5)
        duplication = r.number("links", "duplication", in: 0...0.5)
        tailProbability = r.number("links", "tail_probability", in: 0...1)
        tailLatencyMillis = r.number("links", "tail_latency_ms", in: 0...60_000)
        crashEverySeconds = r.integer("faults", "crash_every_s", in: 1...86_400).map(UInt64.init)
        partitionEverySeconds = r.integer("faults", "partition_every_s", in: 1...86_400).map(UInt64.init)
        downtimeSeconds = r.range("faults", "downtime_s", in: 1...3_600)
        partitionLengthSeconds = r.range("faults", "partition_length_s", in: 1...3_600)
        clockSkewMillis = r.integer("clocks", "skew_ms", in: 0...3_600_000).map(UInt64.init)
        clockStepEverySeconds = r.integer("clocks", "step_every_s", in: 0...86_400).map(UInt64.init)
        clockStepMillis = r.signedRange("clocks", "step_ms", in: -86_400_000...86_400_000)
        communities = r.integer("city", "communities", in: 1...40)
        cityLatencyMillis = r.number("city", "latency_ms", in: 0...10_000)
        cityLoss = r.number("city", "loss", in: 0...0.5)
        cityCutEverySeconds = r.integer("city", "cut_every_s", in: 0...86_400).map(UInt64.init)
        cityCutSeconds = r.range("city", "cut_s", in: 1...86_400)
        referralEverySeconds = r.integer("city", "referral_every_s", in: 0...86_400).map(UInt64.init)
        referralResendSeconds = r.integer("city", "referral_resend_s", in: 1...86_400)
        guard r.problems.isEmpty else { throw Problems(problems: r.problems) }
    }

    /// The options for one seed: drawn from the seed, then what the scenario pins.
    public func options(seed: UInt64) -> NodeSimulationOptions {
        var o = NodeSimulationOptions.drawn(seed: seed)
        if let v = faultSeconds { o.faultSeconds = v }
        if let v = quietSeconds { o.quietSeconds = v }
        if let v = validators { o.validators = v }
        if let v = observers { o.observers = v }
        if let v = signers { o.signers = v }
        if let v = submissionsPerSecond { o.submissionsPerSecond = v }
        if let v = retryMillis { o.retryMillis = v }
        if let v = blockIntervalMillis { o.blockInterval = v }
        // Rounded to the kernel's microsecond (`Duration.milliseconds(2.3)` holds the binary fraction, 2.2999… ms).
        func duration(_ millis: Double) -> Duration { .microseconds(Int64((millis * 1_000).rounded())) }
        if let v = latencyMillis { o.link.baseLatency = duration(v) }
        if let v = jitterMillis { o.link.jitter = duration(v) }
        if let v = loss { o.link.loss = v }
        if let v = duplication { o.link.duplication = v }
        if let v = tailProbability { o.link.tailProbability = v }
        if let v = tailLatencyMillis { o.link.tailLatency = duration(v) }
        if let v = crashEverySeconds { o.crashEvery = v }
        if let v = partitionEverySeconds { o.partitionEvery = v }
        if let v = downtimeSeconds { o.downtime = v }
        if let v = partitionLengthSeconds { o.partitionLength = v }
        if let v = clockSkewMillis { o.clockSkewMillis = v }
        if let v = clockStepEverySeconds { o.clockStepEvery = v }
        if let v = clockStepMillis { o.clockStepMillis = v }
        if let v = communities { o.communities = v }
        if let v = cityLatencyMillis { o.cityLink.baseLatency = duration(v) }
        if let v = cityLoss { o.cityLink.loss = v }
        if let v = cityCutEverySeconds { o.cityCutEvery = v }
        if let v = cityCutSeconds { o.cityCutLength = v }
        if let v = referralEverySeconds { o.referralEvery = v }
        if let v = referralResendSeconds { o.referralResendSeconds = Int64(v) }
        return o
    }

    /// `ScenarioReader` addressed by (section, key), as this file's flat sections are.
    private struct Reader {
        let root: TOMLTable
        var base: ScenarioReader
        var problems: [String] { base.problems }

        mutating func problem(_ key: String, _ text: String) { base.problem(key, text) }
        mutating func integer(_ section: String, _ key: String, in range: ClosedRange<Int>) -> Int? {
            base.integer(root[section]?.table, "\(section).\(key)", in: range)
        }
        mutating func number(_ section: String, _ key: String, in range: ClosedRange<Double>) -> Double? {
            base.number(root[section]?.table, "\(section).\(key)", in: range)
        }
        mutating func string(_ section: String, _ key: String) -> String? { base.string(root[section]?.table, "\(section).\(key)") }
        mutating func signedRange(_ section: String, _ key: String, in bounds: ClosedRange<Int>) -> ClosedRange<Int64>? {
            base.signedRange(root[section]?.table, "\(section).\(key)", in: bounds)
        }
        /// `[low, high]` seconds, both within `bounds`.
        mutating func range(_ section: String, _ key: String, in bounds: ClosedRange<Int>) -> ClosedRange<UInt64>? {
            base.signedRange(root[section]?.table, "\(section).\(key)", in: bounds).map { UInt64($0.lowerBound)...UInt64($0.upperBound) }
        }
    }
}
