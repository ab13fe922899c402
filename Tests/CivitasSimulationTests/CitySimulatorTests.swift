import CivitasSimulation
import Foundation
import Testing

/// The planners' simulator (`civitas sim city`): every shipped scenario
/// parses and a short run of it completes with its drills measured; a
/// scenario and seed give a byte-identical report; bad files are refused key
/// by key; what a drill does shows in the figures.
@Suite struct CitySimulatorTests {
    static let directory = NodeScenarioTests.directory

    /// The planner's scenarios the issue names, shipped in simulations/.
    static let shipped = ["pilot-3", "city-5", "district-40", "validator-crash", "leader-isolated", "community-offline-1h",
                          "lossy-city-links", "street-office-down"]

    static func load(_ name: String) throws -> CityScenario {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).toml"), encoding: .utf8)
        return try CityScenario(toml: text, name: name)
    }

    /// `plan` cut to `seconds`, its drills moved to start at 15 s and last 20 s, so a short run exercises each.
    static func short(_ plan: CityPlan, seconds: UInt64) -> CityPlan {
        var p = plan
        p.durationSeconds = seconds
        for k in p.drills.indices {
            p.drills[k].atSecond = 15
            p.drills[k].lengthSeconds = 20
        }
        p.randomFaults = [:]
        return p
    }

    @Test func everyShippedScenarioParsesAndOpensWithItsQuestion() throws {
        for name in Self.shipped {
            let scenario = try Self.load(name)
            #expect(scenario.plan.name == name)
            #expect(scenario.plan.question.hasSuffix("?"), "\(name) opens with the planner's question: \(scenario.plan.question)")
            #expect(scenario.plan.communities.count >= 3, "\(name)")
        }
        #expect(try Self.load("district-40").plan.nodes == 1_000)
        let city5 = try Self.load("city-5").plan.nodes
        #expect((35...45).contains(city5), "city-5 has about 40 nodes: \(city5)")
    }

    @Test(arguments: ["pilot-3", "city-5", "validator-crash", "leader-isolated", "community-offline-1h", "lossy-city-links", "street-office-down"])
    func aShortRunOfEachShippedScenarioCompletes(name: String) throws {
        let plan = Self.short(try Self.load(name).plan, seconds: 60)
        let (report, run) = NodeSimulation.run(plan, replay: "civitas sim city simulations/\(name).toml")
        #expect(report.safety.passed, "\(run.summary)\n\(report.safety.violation ?? "")")
        #expect(report.city.committed > 0)
        #expect(report.city.commitLatency.count > 0)
        #expect(report.communities.map(\.name) == plan.communities.map(\.name))
        #expect(report.faults.count == plan.drills.count)
        for fault in report.faults {
            #expect(fault.recoverySeconds != nil, "\(name): \(fault.kind) recovered by the end")
        }
        #expect(report.city.bandwidth.meanBytesPerSecond > 0)
        #expect(report.city.messages["raft.heartbeat"] ?? 0 > 0, "\(report.city.messages)")
        #expect(report.digest.count == 64)
    }

    /// district-40's thousand nodes, for a few simulated seconds and a short
    /// settle (a debug build runs about 4 simulated s a minute; the hour is `make bench-sim`'s).
    @Test func theDistrictStarts() throws {
        let plan = Self.short(try Self.load("district-40").plan, seconds: 4)
        let (report, run) = NodeSimulation.run(plan, replay: "civitas sim city simulations/district-40.toml", settleSeconds: 8)
        #expect(report.safety.passed, "\(run.summary)\n\(report.safety.violation ?? "")")
        #expect(report.city.nodes == 1_000)
        #expect(report.city.elections >= 40, "every community elected a leader")
    }

    @Test func theSameScenarioAndSeedGiveAByteIdenticalReport() throws {
        let plan = Self.short(try Self.load("validator-crash").plan, seconds: 45)
        let first = try NodeSimulation.run(plan, replay: "r").city.json()
        let second = try NodeSimulation.run(plan, replay: "r").city.json()
        #expect(first == second)
        var other = plan
        other.seed = 2
        let third = NodeSimulation.run(other, replay: "r").city
        let decoded = try JSONDecoder().decode(CityReport.self, from: first)
        #expect(third.digest != decoded.digest)
        // The digest is the hash of the report with an empty digest.
        var resealed = decoded
        try resealed.seal()
        #expect(resealed.digest == decoded.digest)
    }

    /// Nodes tick only where their drivers have something to do (and after
    /// each input): the run is the one where every node ticks at every grid
    /// point, byte for byte, through crashes, elections and the settle.
    @Test func skippingIdleTicksChangesNothing() throws {
        let plan = Self.short(try Self.load("validator-crash").plan, seconds: 40)
        let skipping = NodeSimulation.run(plan, replay: "r", settleSeconds: 20)
        let everyTick = NodeSimulation.run(plan, replay: "r", settleSeconds: 20, everyTick: true)
        #expect(skipping.city.safety.passed && everyTick.city.safety.passed)
        #expect(skipping.city.digest == everyTick.city.digest, "\(skipping.run.summary)\n\(everyTick.run.summary)")
        #expect(skipping.run.events < everyTick.run.events / 2, "\(skipping.run.events) events, \(everyTick.run.events) stepping every node")
    }

    @Test func aLeaderCutOffIsReplacedAndTheFiguresShowIt() throws {
        let plan = Self.short(try Self.load("leader-isolated").plan, seconds: 60)
        let (report, _) = NodeSimulation.run(plan, replay: "r")
        let hehua = try #require(report.communities.first { $0.name == "hehua-north" })
        let others = report.communities.filter { $0.name != "hehua-north" }
        #expect(hehua.figures.leaderChanges >= 1)
        #expect(others.allSatisfy { $0.figures.leaderChanges == 0 })
        #expect(hehua.figures.elections > others.map(\.figures.elections).max()!)
        #expect(report.faults.first?.node?.hasPrefix("hehua-north/validator-") == true)
    }

    @Test func aCommunityCutOffFromTheCityCatchesUpItsAnchors() throws {
        var plan = Self.short(try Self.load("community-offline-1h").plan, seconds: 150)
        plan.protocolSettings.checkpointInterval = 5
        plan.communities = plan.communities.map { var c = $0; c.workload.recordsPerDay = 40_000; return c }
        let (report, run) = NodeSimulation.run(plan, replay: "r")
        #expect(report.safety.passed, "\(run.summary)")
        let pine = try #require(report.communities.first { $0.name == "pine-row" })
        #expect(pine.figures.checkpointsMade > 0)
        #expect(pine.figures.checkpointsAnchored == pine.figures.checkpointsMade, "every checkpoint of pine-row anchored by both neighbours")
        #expect(pine.figures.anchoringDelay.maxMillis >= 5_000, "a checkpoint made while cut off waited: \(pine.figures.anchoringDelay)")
        let link = try #require(report.links.first { $0.from == "lianhua-east" && $0.to == "pine-row" })
        #expect(link.downSeconds == 20)
        #expect(link.health == "degraded")
    }

    @Test func badScenariosAreRefusedKeyByKey() {
        let text = """
            [run]
            duration = "forever"
            [protocol]
            heartbeat_ms = 5000
            [weather]
            rain = true
            [[community]]
            name = "Lianhua East"
            x_km = "far"
            [[community]]
            name = "pine-row"
            validators = ["committee", "mayor"]
            colour = "green"
            [[drill]]
            kind = "earthquake"
            [[drill]]
            kind = "validator-crash"
            community = "nowhere"
            [sweep]
            validators = [3, 5]
            observers = [1, 2]
            """
        do {
            _ = try CityScenario(toml: text, name: "bad")
            Issue.record("a bad scenario was accepted")
        } catch {
            let all = error.problems.joined(separator: "\n")
            for key in ["run.duration", "protocol.heartbeat_ms", "weather", "community[0].name", "community[0].x_km", "community[1].validators",
                        "community[1].colour", "drill[0].kind", "drill[1].community", "sweep"] {
                #expect(all.contains("\(key):"), "no problem named \(key) in:\n\(all)")
            }
        }
    }

    @Test func aSweepVariesOneKey() throws {
        let scenario = try CityScenario(toml: """
            [sweep]
            validators = [3, 5, 7]
            [[community]]
            name = "lianhua-east"
            """, name: "s")
        let sweep = try #require(scenario.sweep)
        #expect(sweep.key == "validators" && sweep.values == [3, 5, 7])
        let five = CityScenario.applying("validators", 5, to: scenario.plan)
        #expect(five.communities[0].validators == ["committee", "party", "owners", "manager", "street"])
        #expect(five.communities[0].nodes == 5 + 2 + 1, "five validators, two observers and the gateway")
    }

    @Test func theDailyRhythmPeaksMorningAndEvening() {
        let r = CityPlan.Rhythm.daily
        let day = stride(from: 0.0, to: 24, by: 0.25).map { r.factor(atHour: $0) }.reduce(0, +) / 96
        #expect(abs(day - 1) < 0.05, "the day's mean is the daily rate: \(day)")
        #expect(r.factor(atHour: 8) > r.factor(atHour: 15) && r.factor(atHour: 19) > r.factor(atHour: 15))
        #expect(r.factor(atHour: 3) < 0.5)
    }
}
