import CivitasLedger
import TOMLKit

/// A planner's scenario file (`simulations/*.toml`, run by `civitas sim city`)
/// parsed into a `CityPlan`. Every key is checked; every problem is reported
/// at once, each naming its key ("community[2].x_km: expected a number, found
/// string"). docs/simulation.md documents each key, its range and default.
/// Pure: text in, a plan or problems out.
public struct CityScenario: Sendable {
    public var plan: CityPlan
    /// `[sweep]`: a key and the values to run it at, in the file's order.
    public var sweep: Sweep?

    public struct Sweep: Sendable, Hashable {
        public var key: String
        public var values: [Double]
        public init(key: String, values: [Double]) {
            self.key = key
            self.values = values
        }
    }

    public typealias Problems = ScenarioProblems

    /// The sections and their keys; `community`, `city_link` and `drill` are arrays of tables.
    public static let schema: [String: [String]] = [
        "run": ["name", "seed", "duration", "start"],
        "protocol": ["tick_ms", "election_timeout_ms", "heartbeat_ms", "pre_vote", "check_quorum", "block_interval_ms", "gossip_fanout",
                     "checkpoint_interval"],
        "defaults": communityKeys,
        "workload": workloadKeys,
        "community": ["name", "x_km", "y_km"] + communityKeys + workloadKeys,
        "city": ["link", "loss"],
        "city_link": ["between", "link", "loss"],
        "drill": ["at", "kind", "community", "validator", "for", "loss", "step_ms"],
        "faults": CityPlan.FaultKind.allCases.map { $0.rawValue.replacingOccurrences(of: "-", with: "_") + "_every" } + ["length"],
        "sweep": Array(sweepable.keys).sorted(),
    ]
    static let communityKeys = ["validators", "observers", "gateway", "residents", "link"]
    static let workloadKeys = ["records_per_day", "rhythm", "ballot_turnout", "mix"]
    /// The subjects a validator may serve (the sample community's designated members).
    public static let validatorSubjects = ["committee", "party", "owners", "manager", "street"]

    /// Keys a sweep may vary, and how each value changes a plan.
    public static let sweepable: [String: @Sendable (inout CityPlan, Double) -> Void] = [
        "validators": { plan, v in
            for c in plan.communities.indices {
                plan.communities[c].validators = (0..<Int(v)).map { validatorSubjects[$0 % validatorSubjects.count] }
            }
        },
        "observers": { plan, v in for c in plan.communities.indices { plan.communities[c].observers = Int(v) } },
        "records_per_day": { plan, v in for c in plan.communities.indices { plan.communities[c].workload.recordsPerDay = v } },
        "block_interval_ms": { plan, v in plan.protocolSettings.blockIntervalMillis = UInt64(v) },
        "heartbeat_ms": { plan, v in plan.protocolSettings.heartbeatMillis = UInt64(v) },
        "tick_ms": { plan, v in plan.protocolSettings.tickMillis = UInt64(v) },
        "gossip_fanout": { plan, v in plan.protocolSettings.gossipFanout = Int(v) },
        "checkpoint_interval": { plan, v in plan.protocolSettings.checkpointInterval = UInt64(v) },
    ]

    /// Parses scenario `text`; `name` is used when `[run] name` is absent (the file's stem).
    public init(toml text: String, name: String) throws(Problems) {
        let root = try ScenarioReader.parse(text)
        var r = ScenarioReader(schema: Self.schema, arrays: ["community", "city_link", "drill"])
        r.checkKeys(root)
        let run = r.table(root, "run")
        let proto = r.table(root, "protocol")
        let defaults = r.table(root, "defaults")
        let workload = r.table(root, "workload")
        let city = r.table(root, "city")

        var settings = CityPlan.ProtocolSettings()
        if let p = proto {
            settings.tickMillis = r.integer(p, "protocol.tick_ms", in: 1...10_000).map(UInt64.init) ?? settings.tickMillis
            if let range = r.pair(p, "protocol.election_timeout_ms", in: 10...600_000) { settings.electionTimeoutMillis = range }
            settings.heartbeatMillis = r.integer(p, "protocol.heartbeat_ms", in: 1...60_000).map(UInt64.init) ?? settings.heartbeatMillis
            settings.preVote = r.bool(p, "protocol.pre_vote") ?? settings.preVote
            settings.checkQuorum = r.bool(p, "protocol.check_quorum") ?? settings.checkQuorum
            settings.blockIntervalMillis = r.integer(p, "protocol.block_interval_ms", in: 10...600_000).map(UInt64.init) ?? settings.blockIntervalMillis
            settings.gossipFanout = r.integer(p, "protocol.gossip_fanout", in: 1...32) ?? settings.gossipFanout
            settings.checkpointInterval = r.integer(p, "protocol.checkpoint_interval", in: 2...100_000).map(UInt64.init) ?? settings.checkpointInterval
        }
        if settings.electionTimeoutMillis.lowerBound < settings.tickMillis * 2 {
            r.problem("protocol.election_timeout_ms", "the election timeout must be at least two ticks (\(settings.tickMillis * 2) ms)")
        }
        if settings.heartbeatMillis < settings.tickMillis || settings.heartbeatMillis * 2 > settings.electionTimeoutMillis.lowerBound {
            r.problem("protocol.heartbeat_ms", "a heartbeat must be at least a tick (\(settings.tickMillis) ms) and at most half the election timeout")
        }

        let baseWorkload = r.workload(workload, "workload", base: .standard)
        let baseShape = r.shape(defaults, "defaults", base: Shape())
        var communities: [CityPlan.Community] = []
        let entries = r.tables(root, "community")
        if entries.isEmpty { r.problem("community", "a scenario needs at least one [[community]]") }
        for (i, entry) in entries.enumerated() {
            let key = "community[\(i)]"
            let name = r.string(entry, "\(key).name")
            if name == nil { r.problem("\(key).name", "every community needs a name") }
            if let name, CommunityID(name) == nil {
                r.problem("\(key).name", "'\(name)' is not a community name (a-z, 0-9 and '-', at most 64, not starting or ending with '-')")
            }
            if let name, communities.contains(where: { $0.name == name }) { r.problem("\(key).name", "'\(name)' is named twice") }
            let shape = r.shape(entry, key, base: baseShape)
            communities.append(CityPlan.Community(
                name: name ?? "community-\(i + 1)", xKm: r.number(entry, "\(key).x_km", in: -1_000...1_000) ?? 0,
                yKm: r.number(entry, "\(key).y_km", in: -1_000...1_000) ?? 0, validators: shape.validators, observers: shape.observers,
                gateway: shape.gateway, residents: shape.residents, link: shape.link, workload: r.workload(entry, key, base: baseWorkload)))
        }
        if communities.count > 1, let lonely = communities.firstIndex(where: { !$0.gateway }) {
            r.problem("community[\(lonely)].gateway", "in a city of several communities each needs a gateway")
        }
        func community(_ name: String?, _ key: String) -> Int? {
            guard let name else { return nil }
            guard let c = communities.firstIndex(where: { $0.name == name }) else {
                r.problem(key, "no community is named '\(name)' (known: \(communities.map(\.name).joined(separator: ", ")))")
                return nil
            }
            return c
        }

        var cityLinks: [CityPlan.CityLink] = []
        for (i, entry) in r.tables(root, "city_link").enumerated() {
            let key = "city_link[\(i)]"
            guard let between = r.strings(entry, "\(key).between"), between.count == 2 else {
                r.problem("\(key).between", "expected two community names, e.g. between = [\"lianhua-east\", \"pine-row\"]")
                continue
            }
            guard let a = community(between[0], "\(key).between"), let b = community(between[1], "\(key).between") else { continue }
            if a == b { r.problem("\(key).between", "a city link joins two different communities") }
            cityLinks.append(CityPlan.CityLink(a: a, b: b, link: r.linkClass(entry, "\(key).link") ?? (r.linkClass(city, "city.link") ?? .fibre),
                                               loss: r.number(entry, "\(key).loss", in: 0...0.5)))
        }

        var drills: [CityPlan.Drill] = []
        let duration = run.flatMap { r.seconds($0, "run.duration", in: 10...7 * 86_400) } ?? 3_600
        for (i, entry) in r.tables(root, "drill").enumerated() {
            let key = "drill[\(i)]"
            guard let kindText = r.string(entry, "\(key).kind") else {
                r.problem("\(key).kind", "every drill needs a kind (\(CityPlan.FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            guard let kind = CityPlan.FaultKind(rawValue: kindText) else {
                r.problem("\(key).kind", "'\(kindText)' is not a fault (known: \(CityPlan.FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            let at = r.seconds(entry, "\(key).at", in: 0...7 * 86_400) ?? 0
            if at >= duration { r.problem("\(key).at", "the drill starts at \(at) s, after the run ends (\(duration) s)") }
            let c = community(r.string(entry, "\(key).community"), "\(key).community")
            let validator = r.integer(entry, "\(key).validator", in: 0...30)
            if let validator, let c, validator >= communities[c].validators.count {
                r.problem("\(key).validator", "\(communities[c].name) has \(communities[c].validators.count) validators (from 0)")
            }
            if kind == .gatewayDown, let c, !communities[c].gateway { r.problem("\(key).community", "\(communities[c].name) has no gateway") }
            drills.append(CityPlan.Drill(atSecond: at, kind: kind, community: c, validator: validator,
                                         lengthSeconds: r.seconds(entry, "\(key).for", in: 1...7 * 86_400) ?? (kind == .clockStep ? 1 : 300),
                                         loss: r.number(entry, "\(key).loss", in: 0...0.9) ?? 0.2,
                                         stepMillis: Int64(r.integer(entry, "\(key).step_ms", in: -86_400_000...86_400_000) ?? -30_000)))
        }

        var randomFaults: [CityPlan.FaultKind: UInt64] = [:]
        var faultLength: ClosedRange<UInt64> = 60...600
        if let f = r.table(root, "faults") {
            for kind in CityPlan.FaultKind.allCases {
                let key = kind.rawValue.replacingOccurrences(of: "-", with: "_") + "_every"
                if let every = r.seconds(f, "faults.\(key)", in: 10...30 * 86_400) { randomFaults[kind] = every }
            }
            if let pair = r.durationPair(f, "faults.length") { faultLength = pair }
        }

        var sweep: Sweep?
        if let s = r.table(root, "sweep") {
            let keys = Array(s.keys)
            if keys.count > 1 { r.problem("sweep", "a sweep varies one key; found \(keys.sorted().joined(separator: ", "))") }
            if let key = keys.first, let values = r.numbers(s, "sweep.\(key)") {
                if values.isEmpty || values.count > 12 { r.problem("sweep.\(key)", "give 1 to 12 values") }
                sweep = Sweep(key: key, values: values)
            }
        }

        let seed = run.flatMap { r.integer($0, "run.seed", in: 0...Int.max) }.map(UInt64.init) ?? 1
        let startHour = run.flatMap { r.clock($0, "run.start") } ?? 7
        let question = Self.question(text)
        guard r.problems.isEmpty else { throw Problems(problems: r.problems) }
        plan = CityPlan(name: run.flatMap { r.string($0, "run.name") } ?? name, question: question, seed: seed, durationSeconds: duration,
                        startHour: startHour, communities: communities, cityLink: r.linkClass(city, "city.link") ?? .fibre,
                        cityLinks: cityLinks, drills: drills, randomFaults: randomFaults, randomFaultLength: faultLength,
                        protocolSettings: settings)
        if let loss = city.flatMap({ r.number($0, "city.loss", in: 0...0.5) }) { plan.cityLink.loss = loss }
        self.sweep = sweep
        guard r.problems.isEmpty else { throw Problems(problems: r.problems) }
    }

    /// The file's opening comment, without the `#`s: the planner's question.
    static func question(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("#") else { break }
            let body = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
            // A command line in the comment is how to run it, not the question.
            if body.hasPrefix("civitas ") { continue }
            lines.append(body)
        }
        return lines.joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// "90s", "10m", "1h", "2d" or a bare number of seconds.
    public static func durationSeconds(_ text: String) -> UInt64? { ScenarioReader.duration(text) }

    /// A plan with the sweep's `key` set to `value`.
    public static func applying(_ key: String, _ value: Double, to plan: CityPlan) -> CityPlan {
        var p = plan
        sweepable[key]?(&p, value)
        return p
    }

    /// A community's shape before its name and place.
    struct Shape {
        var validators = ["committee", "party", "owners"]
        var observers = 2
        var gateway = true
        var residents = 200
        var link = CityPlan.LinkClass.broadband
    }
}
