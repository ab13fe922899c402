import CivitasLedger

/// The planner's report from what a city run measured.
extension CityRun {
    /// The report of `sim`'s finished run; `replay` is the command that runs it again.
    func report(_ sim: some CityRunWorld, replay: String) -> CityReport {
        let seconds = Double(plan.durationSeconds)
        let runSeconds = max(sim.ended.sinceStart.inSeconds, 1)
        var communities: [CityReport.Community] = []
        for (c, community) in plan.communities.enumerated() {
            let members = Array(sim.members(c))
            communities.append(CityReport.Community(
                name: community.name, xKm: CityReport.round(community.xKm), yKm: CityReport.round(community.yKm),
                validators: community.validators.map(Self.subjectName), observers: community.observers, gateway: community.gateway,
                linkClass: community.link.name,
                figures: figures(of: [c], nodes: members, sim: sim, seconds: seconds, runSeconds: runSeconds)))
        }
        let city = figures(of: Array(plan.communities.indices), nodes: Array(0..<sim.nodeCount), sim: sim, seconds: seconds, runSeconds: runSeconds)
        var report = CityReport(
            scenario: CityReport.Scenario(name: plan.name, question: plan.question, seed: plan.seed, durationSeconds: plan.durationSeconds,
                                          mode: sim.mode, settings: settings),
            communities: communities, links: links(sim, runSeconds: runSeconds), city: city, faults: faultRecords(sim),
            timeline: timeline(sim),
            safety: sim.safety(replay: replay))
        try? report.seal()
        return report
    }

    /// The subject a validator serves, as a planner names it.
    static func subjectName(_ member: String) -> String {
        ["committee": "residents' committee", "party": "party branch", "owners": "owners' committee", "manager": "property manager",
         "street": "street office"][member] ?? member
    }

    var settings: [String: String] {
        let p = plan.protocolSettings
        var s: [String: String] = [
            "run.duration": "\(plan.durationSeconds) s", "run.start": String(format: "%02d:%02d", Int(plan.startHour), Int(plan.startHour * 60) % 60),
            "protocol.tick_ms": "\(p.tickMillis)",
            "protocol.election_timeout_ms": "\(p.electionTimeoutMillis.lowerBound)..\(p.electionTimeoutMillis.upperBound)",
            "protocol.heartbeat_ms": "\(p.heartbeatMillis)", "protocol.pre_vote": "\(p.preVote)", "protocol.check_quorum": "\(p.checkQuorum)",
            "protocol.block_interval_ms": "\(p.blockIntervalMillis)", "protocol.gossip_fanout": "\(p.gossipFanout)",
            "protocol.checkpoint_interval": "\(p.checkpointInterval)", "city.link": plan.cityLink.name,
        ]
        for (kind, every) in plan.randomFaults { s["faults.\(kind.rawValue.replacingOccurrences(of: "-", with: "_"))_every"] = "\(every) s" }
        return s
    }

    // MARK: - Figures

    func figures(of cs: [Int], nodes: [Int], sim: some CityRunWorld, seconds: Double, runSeconds: Double) -> CityReport.Figures {
        let latencies = cs.flatMap { sim.clients[$0].latencies }.map { Double($0.wholeMicroseconds) / 1_000 }.sorted()
        let committed = cs.map { commits[$0].reduce(0, +) }.reduce(0, +)
        let perNode = nodes.map { Double(bytesSent[$0]) / runSeconds }
        let month = 30.0 * 86_400 / 1e9
        var messages: [String: UInt64] = [:]
        for c in cs {
            for (k, count) in self.messages[c].enumerated() where count > 0 { messages[Self.labels[k], default: 0] += count }
        }
        var anchoring: [Double] = []
        var made = 0, anchoredByAll = 0
        for c in cs {
            made += checkpointCommitted[c].count
            let neighbours = plan.communities.indices.filter { $0 != c && plan.communities[$0].gateway && plan.communities[c].gateway }
            for (h, committedAt) in checkpointCommitted[c] {
                let times = neighbours.compactMap { anchoredFirst[Pair(by: $0, of: c)]?[h] }
                anchoring += times.map { Double(($0 - committedAt).wholeMicroseconds) / 1_000 }
                if !neighbours.isEmpty, times.count == neighbours.count { anchoredByAll += 1 }
            }
        }
        let available = cs.map { c in zip(availableSamples[c], samples).map { Double($0) / Double(max($1, 1)) } }
        let availability = available.isEmpty ? 0 : available.map { $0.reduce(0, +) / Double(max($0.count, 1)) }.reduce(0, +) / Double(available.count)
        return CityReport.Figures(
            nodes: nodes.count, submitted: cs.map { sim.clients[$0].submitted }.reduce(0, +), committed: committed,
            throughput: CityReport.round(Double(committed) / max(seconds, 1)),
            commitLatency: Self.percentiles(latencies), commitLatencyHistogram: Self.histogram(latencies),
            noticeReach: reach(cs, sim: sim), anchoringDelay: Self.percentiles(anchoring.sorted()),
            checkpointsMade: made, checkpointsAnchored: anchoredByAll,
            bandwidth: CityReport.Bandwidth(meanBytesPerSecond: CityReport.round(perNode.reduce(0, +) / Double(max(perNode.count, 1))),
                                            maxBytesPerSecond: CityReport.round(perNode.max() ?? 0),
                                            maxGBPerMonth: CityReport.round((perNode.max() ?? 0) * month),
                                            totalGBPerMonth: CityReport.round(perNode.reduce(0, +) * month)),
            messages: messages, elections: cs.map { elections[$0] }.reduce(0, +), leaderChanges: cs.map { leaderChanges[$0] }.reduce(0, +),
            availability: CityReport.round(availability))
    }

    /// Notices' spread: in their community (nodes applying the block), and
    /// city-wide (other communities' nodes applying an anchor that covers it).
    func reach(_ cs: [Int], sim: some CityRunWorld) -> CityReport.Reach {
        var half: [Double] = [], most: [Double] = [], all: [Double] = [], cityAll: [Double] = []
        let shares = stride(from: 0.0, through: 1.0, by: 0.05).map { $0 }
        var curves: [[Double]] = Array(repeating: [], count: shares.count)
        var cityCurves: [[Double]] = Array(repeating: [], count: shares.count)
        var count = 0
        for c in cs {
            let size = sim.members(c).count
            for (h, track) in notices[c].sorted(by: { $0.key < $1.key }) {
                count += track.count
                let offsets = track.applies.map { Double(($0 - track.committed).wholeMicroseconds) / 1_000 }.sorted()
                func at(_ share: Double, of total: Int, _ offsets: [Double]) -> Double? {
                    let needed = max(1, Int((share * Double(total)).rounded(.up)))
                    return needed <= offsets.count ? offsets[needed - 1] : nil
                }
                if let x = at(0.5, of: size, offsets) { half.append(x) }
                if let x = at(0.95, of: size, offsets) { most.append(x) }
                if let x = at(1, of: size, offsets) { all.append(x) }
                for (k, share) in shares.enumerated() { if let x = at(share, of: size, offsets) { curves[k].append(x) } }
                // City-wide: this community's applies, and each other node's first anchor at or above h.
                var city = offsets
                for j in 0..<sim.nodeCount where communityOf[j] != c {
                    if let t = nodeAnchors[j][c]?.first(where: { $0.height >= h })?.time {
                        city.append(Double((t - track.committed).wholeMicroseconds) / 1_000)
                    }
                }
                city.sort()
                if let x = at(1, of: sim.nodeCount, city) { cityAll.append(x) }
                for (k, share) in shares.enumerated() { if let x = at(share, of: sim.nodeCount, city) { cityCurves[k].append(x) } }
            }
        }
        func curve(_ values: [[Double]]) -> [CityReport.CurvePoint] {
            zip(shares, values).compactMap { share, xs in
                xs.isEmpty ? nil : CityReport.CurvePoint(share: CityReport.round(share), millis: CityReport.round(xs.sorted()[xs.count / 2]))
            }
        }
        return CityReport.Reach(notices: count, half: Self.percentiles(half.sorted()), most: Self.percentiles(most.sorted()),
                                all: Self.percentiles(all.sorted()), curve: curve(curves), cityAll: Self.percentiles(cityAll.sorted()),
                                cityCurve: curve(cityCurves))
    }

    static func percentiles(_ sorted: [Double]) -> CityReport.Percentiles {
        guard !sorted.isEmpty else { return CityReport.Percentiles() }
        func p(_ q: Double) -> Double { CityReport.round(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) }
        return CityReport.Percentiles(count: sorted.count, p50Millis: p(0.5), p95Millis: p(0.95), p99Millis: p(0.99),
                                      maxMillis: CityReport.round(sorted.last!))
    }

    /// Bounds a planner reads (ms), the last bucket holding everything slower.
    static let histogramBounds: [Double] = [100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 30_000, 60_000]

    static func histogram(_ sorted: [Double]) -> [CityReport.HistogramBucket] {
        var buckets = histogramBounds.map { CityReport.HistogramBucket(upToMillis: $0, count: 0) }
        buckets.append(CityReport.HistogramBucket(upToMillis: CityReport.round(max(sorted.last ?? 0, 60_000)), count: 0))
        for x in sorted {
            let k = histogramBounds.firstIndex { x <= $0 } ?? histogramBounds.count
            buckets[k].count += 1
        }
        return buckets
    }

    // MARK: - Links, faults, timeline

    func links(_ sim: some CityRunWorld, runSeconds: Double) -> [CityReport.Link] {
        var out: [CityReport.Link] = []
        let gateways = plan.communities.indices.filter { plan.communities[$0].gateway }
        for a in gateways {
            for b in gateways where a < b {
                let link = plan.cityLink(a, b)
                let down = faults.filter { $0.kind == .communityOffline || $0.kind == .gatewayDown }
                    .filter { $0.community == a || $0.community == b }
                    .compactMap { f in f.start.map { s in ((f.end ?? sim.ended) - s).inSeconds } }.reduce(0, +)
                let lossy = faults.contains { $0.kind == .lossyCityLinks && $0.start != nil }
                let cut = sim.isCut(a) || sim.isCut(b)
                let bytes = linkBytes[SimNetwork.GroupPair(a, b)] ?? 0
                out.append(CityReport.Link(
                    from: plan.communities[a].name, to: plan.communities[b].name, linkClass: link.link.name,
                    distanceKm: CityReport.round(link.km), latencyMillis: CityReport.round(link.link.latencyMillis(km: link.km)),
                    bandwidthMbps: link.link.bandwidthMbps, loss: link.loss, bytes: bytes,
                    bytesPerSecond: CityReport.round(Double(bytes) / runSeconds), downSeconds: CityReport.round(down),
                    health: cut ? "down" : (down > 0 || lossy || link.loss >= 0.01) ? "degraded" : "ok"))
            }
        }
        return out
    }

    func faultRecords(_ sim: some CityRunWorld) -> [CityReport.Fault] {
        faults.compactMap { f in
            guard let start = f.start else { return nil }
            let names = f.nodes.map { nodeName($0, sim) }
            let what: String = switch f.kind {
            case .validatorCrash: "\(names.joined(separator: ", ")) crashed for \(f.length) s"
            case .gatewayDown: "the gateway was down for \(f.length) s"
            case .leaderIsolated: "the leader \(names.joined(separator: ", ")) was cut off for \(f.length) s"
            case .communityOffline: "the community's city link was cut for \(f.length) s"
            case .lossyCityLinks: "every city link lost \(Int(f.loss * 100))% more for \(f.length) s"
            case .clockStep: "\(names.joined(separator: ", "))'s wall clock stepped \(f.stepMillis > 0 ? "+" : "")\(f.stepMillis / 1_000) s"
            }
            return CityReport.Fault(kind: f.kind.rawValue, drill: f.drill, community: f.community.map { plan.communities[$0].name },
                                    node: names.first, startSecond: CityReport.round(start.sinceStart.inSeconds),
                                    endSecond: CityReport.round((f.end ?? sim.ended).sinceStart.inSeconds),
                                    recoverySeconds: f.recovered.map { CityReport.round(($0 - start).inSeconds) }, detail: what)
        }
    }

    /// "lianhua-east/validator-2 (party branch)".
    func nodeName(_ i: Int, _ sim: some CityRunWorld) -> String {
        let c = communityOf[i]
        let local = i - sim.members(c).lowerBound
        let community = plan.communities[c]
        switch sim.role(ofNode: i) {
        case .validator: return "\(community.name)/validator-\(local + 1) (\(Self.subjectName(community.validators[local])))"
        case .gateway: return "\(community.name)/gateway"
        default: return "\(community.name)/observer-\(local - community.validators.count + 1)"
        }
    }

    func timeline(_ sim: some CityRunWorld) -> CityReport.Timeline {
        let bucketSeconds = bucket.inSeconds
        return CityReport.Timeline(bucketSeconds: bucketSeconds, series: plan.communities.indices.map { c in
            CityReport.Series(community: plan.communities[c].name, commits: commits[c],
                              availability: zip(availableSamples[c], samples).map { CityReport.round(Double($0) / Double(max($1, 1))) },
                              bytesPerSecond: bytes[c].map { CityReport.round(Double($0) / bucketSeconds) }, submissions: submissions[c])
        })
    }
}
