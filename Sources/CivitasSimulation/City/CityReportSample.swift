import Foundation

extension CityReport {
    /// A made-up but plausible report — a city of `names` with links, drills
    /// and random faults, and `buckets` ten-second buckets of timeline — for
    /// the page's tests, the browser test and the schema's doc test. Every
    /// optional field is set somewhere; nothing is simulated. Deterministic.
    public static func sample(communities names: [String] = ["lianhua-east", "hehua-north", "pine-row"], buckets: Int = 60) -> CityReport {
        let bucketSeconds = 10.0
        let subjects = ["residents' committee", "property office", "owners' assembly", "community police", "elders' association"]
        var communities: [Community] = []
        var series: [Series] = []
        var faults: [Fault] = []
        for (i, name) in names.enumerated() {
            let validators = Array(subjects.prefix(3 + 2 * (i % 2)))
            let observers = 2 + 3 * i, nodes = validators.count + observers + 1
            // Each community loses its leader's validator for half a minute, at its own time.
            let crash = 8 + 13 * i
            let availability = (0..<buckets).map { b -> Double in
                switch b - crash { case 0: 0.4; case 1: 0; case 2: 0.75; default: 1 }
            }
            let submissions = (0..<buckets).map { b in Int((20 + 4 * Double(i) + 12 * sin(Double(b) / 6 + Double(i))).rounded()) }
            let commits = zip(submissions, availability).map { s, a in Int((Double(s) * a).rounded()) }
            let bytes = commits.map { round(Double(nodes) * (1_800 + 95 * Double($0))) }
            series.append(Series(community: name, commits: commits, availability: availability, bytesPerSecond: bytes, submissions: submissions))
            let figures = sampleFigures(nodes: nodes, index: i, submissions: submissions, commits: commits, availability: availability,
                                        bytesPerSecond: bytes, seconds: Double(buckets) * bucketSeconds)
            // A ring around the first, a little wider each time.
            let angle = 2.3 * Double(i) + 0.6, radius = i == 0 ? 0 : 2.5 + 0.9 * Double(i)
            communities.append(Community(name: name, xKm: round(radius * cos(angle)), yKm: round(radius * sin(angle)),
                                         validators: validators, observers: observers, gateway: true,
                                         linkClass: ["fibre", "broadband", "4g"][i % 3], figures: figures))
            faults.append(Fault(kind: "validator-crash", drill: true, community: name, node: "\(name)/validator-\(i % validators.count + 1)",
                                startSecond: Double(crash) * bucketSeconds, endSecond: Double(crash + 2) * bucketSeconds,
                                recoverySeconds: 24.5 + Double(i), detail: "power loss; restarted from its write-ahead log"))
        }
        if names.count > 1 {
            faults.append(Fault(kind: "lossy-city-links", drill: false, community: nil, node: nil, startSecond: 120, endSecond: 180,
                                recoverySeconds: nil, detail: "5% loss on every city link"))
            faults.append(Fault(kind: "leader-isolated", drill: false, community: names[1], node: "\(names[1])/validator-2",
                                startSecond: 300, endSecond: 330, recoverySeconds: nil, detail: "cut from its peers until the end"))
        }
        var links: [Link] = []
        for (a, from) in communities.enumerated() {
            for to in communities[(a + 1)...] {
                let k = links.count
                let distance = round(hypot(from.xKm - to.xKm, from.yKm - to.yKm))
                let health = ["ok", "degraded", "down", "ok", "ok", "degraded"][k % 6]
                let perSecond = round(3_000 + 410 * Double(k))
                links.append(Link(from: from.name, to: to.name, linkClass: ["fibre", "broadband", "4g"][k % 3], distanceKm: distance,
                                  latencyMillis: round(1.5 + 0.8 * distance), bandwidthMbps: [1_000, 100, 20][k % 3], loss: [0, 0.05, 0.01][k % 3],
                                  bytes: UInt64(perSecond * Double(buckets) * bucketSeconds), bytesPerSecond: perSecond,
                                  downSeconds: health == "ok" ? 0 : 30 + 60 * Double(k % 2), health: health))
            }
        }
        let all = series.indices.isEmpty ? sampleFigures(nodes: 0, index: 0, submissions: [], commits: [], availability: [], bytesPerSecond: [], seconds: 0)
            : sampleFigures(nodes: communities.reduce(0) { $0 + $1.figures.nodes }, index: names.count,
                            submissions: (0..<buckets).map { b in series.reduce(0) { $0 + $1.submissions[b] } },
                            commits: (0..<buckets).map { b in series.reduce(0) { $0 + $1.commits[b] } },
                            availability: (0..<buckets).map { b in series.map { $0.availability[b] }.min() ?? 1 },
                            bytesPerSecond: (0..<buckets).map { b in series.reduce(0) { $0 + $1.bytesPerSecond[b] } },
                            seconds: Double(buckets) * bucketSeconds)
        var report = CityReport(
            scenario: Scenario(name: "city-3", question: "Can three neighbourhoods keep committing, and see each other's notices within a minute, "
                                   + "when a validator in each fails and the city links turn lossy?",
                               seed: 7, durationSeconds: UInt64(buckets) * UInt64(bucketSeconds), mode: "simulated",
                               settings: ["city.communities": String(names.count), "community.validators": "3", "links.loss": "0.05",
                                          "workload.submissions_per_second": "20", "run.seed": "7"]),
            communities: communities, links: links, city: all, faults: faults,
            timeline: Timeline(bucketSeconds: bucketSeconds, series: series),
            safety: Safety(passed: true, checked: ["agreement: no two nodes commit different blocks at one height",
                                                   "durability: every acknowledged transaction is committed",
                                                   "anchors: every anchored checkpoint matches its community's chain"],
                           violation: nil, replay: "civitas sim city simulations/city-3.toml --seed 7 --trace"))
        try? report.seal()
        return report
    }

    /// A community's (or the city's) figures that agree with its timeline.
    static func sampleFigures(nodes: Int, index i: Int, submissions: [Int], commits: [Int], availability: [Double],
                              bytesPerSecond: [Double], seconds: Double) -> Figures {
        let committed = commits.reduce(0, +), p50 = 320 + 45 * Double(i)
        let bounds: [Double] = [50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000]
        let weights: [Double] = [0.01, 0.04, 0.15, 0.45, 0.22, 0.08, 0.04, 0.01]
        let histogram = zip(bounds, weights).map { HistogramBucket(upToMillis: $0 * (1 + 0.1 * Double(i)), count: Int((Double(committed) * $1).rounded())) }
        let shares = stride(from: 0.1, through: 1.0001, by: 0.1).map { round($0) }
        let reachMillis = { (share: Double) in round((140 + 30 * Double(i)) * (1 + 6 * share * share)) }
        let mean = bytesPerSecond.isEmpty || nodes == 0 ? 0 : round(bytesPerSecond.reduce(0, +) / Double(bytesPerSecond.count) / Double(nodes))
        let month = 30.0 * 86_400 / 1e9
        return Figures(
            nodes: nodes, submitted: submissions.reduce(0, +), committed: committed, throughput: seconds > 0 ? round(Double(committed) / seconds) : 0,
            commitLatency: Percentiles(count: committed, p50Millis: p50, p95Millis: round(2.4 * p50), p99Millis: round(4.1 * p50), maxMillis: round(9 * p50)),
            commitLatencyHistogram: committed > 0 ? histogram : [],
            noticeReach: Reach(notices: committed > 0 ? 12 + i : 0,
                               half: Percentiles(count: 12 + i, p50Millis: reachMillis(0.5), p95Millis: reachMillis(0.6), p99Millis: reachMillis(0.7), maxMillis: reachMillis(0.8)),
                               most: Percentiles(count: 12 + i, p50Millis: reachMillis(0.95), p95Millis: reachMillis(1.1), p99Millis: reachMillis(1.3), maxMillis: reachMillis(1.5)),
                               all: Percentiles(count: 12 + i, p50Millis: reachMillis(1), p95Millis: reachMillis(1.4), p99Millis: reachMillis(1.8), maxMillis: reachMillis(2.2)),
                               curve: committed > 0 ? shares.map { CurvePoint(share: $0, millis: reachMillis($0)) } : [],
                               cityAll: Percentiles(count: 12 + i, p50Millis: 4_200, p95Millis: 9_800, p99Millis: 15_500, maxMillis: 31_000),
                               cityCurve: committed > 0 ? shares.map { CurvePoint(share: $0, millis: round(reachMillis($0) + 4_000 * $0 * $0)) } : []),
            anchoringDelay: Percentiles(count: committed > 0 ? 18 : 0, p50Millis: 3_900 + 150 * Double(i), p95Millis: 8_700, p99Millis: 12_400, maxMillis: 30_500),
            checkpointsMade: Int(seconds / 30), checkpointsAnchored: max(Int(seconds / 30) - 1, 0),
            bandwidth: Bandwidth(meanBytesPerSecond: mean, maxBytesPerSecond: round(1.9 * mean), maxGBPerMonth: round(1.9 * mean * month),
                                 totalGBPerMonth: round(mean * Double(nodes) * month)),
            messages: nodes == 0 ? [:] : ["raft.append": UInt64(40 * committed), "raft.vote": UInt64(6 + i), "gossip.ihave": UInt64(90 * nodes),
                                          "gossip.graft": UInt64(3 * nodes), "swim.ping": UInt64(600 * nodes), "sync.blocks": UInt64(12 * nodes)],
            elections: 2 + i % 3, leaderChanges: 1 + i % 3,
            availability: availability.isEmpty ? 1 : round(availability.reduce(0, +) / Double(availability.count)))
    }
}
