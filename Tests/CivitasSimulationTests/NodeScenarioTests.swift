import CivitasSimulation
import Foundation
import Testing

/// Scenario files (simulations/*.toml): every file in the repository loads,
/// what a file pins overrides the seed's draw and nothing else does, bad
/// files are refused key by key, and the pilot community's file runs to a
/// passing verdict.
@Suite struct NodeScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("simulations")

    static func load(_ name: String) throws -> NodeScenario {
        try NodeScenario(toml: String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
    }

    /// The node campaign's files (a planner's city files, with `[[community]]`, are `CitySimulatorTests`').
    @Test func everyScenarioInTheRepositoryLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".toml") }
            .filter { !((try? String(contentsOf: Self.directory.appendingPathComponent($0), encoding: .utf8))?.contains("[[community]]") ?? false) }
        #expect(files.count >= 3)
        for file in files {
            do {
                _ = try Self.load(file)
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
    }

    @Test func pinnedKeysOverrideTheSeedsDrawAndTheRestIsDrawn() throws {
        let s = try NodeScenario(toml: """
            [community]
            validators = 7
            [links]
            loss = 0.03
            latency_ms = 2.5
            [faults]
            downtime_s = [2, 9]
            """)
        for seed: UInt64 in [1, 2, 3] {
            let o = s.options(seed: seed), drawn = NodeSimulationOptions.drawn(seed: seed)
            #expect(o.validators == 7 && o.link.loss == 0.03 && o.link.baseLatency == .microseconds(2_500) && o.downtime == 2...9)
            #expect(o.crashEvery == drawn.crashEvery && o.submissionsPerSecond == drawn.submissionsPerSecond
                && o.link.duplication == drawn.link.duplication && o.observers == drawn.observers)
        }
        #expect(NodeScenario().options(seed: 5) == NodeSimulationOptions.drawn(seed: 5))
        #expect(try NodeScenario(toml: "[run]\nseeds = \"3..9\"").seeds == 3...9)
    }

    @Test func badScenariosAreRefusedKeyByKey() {
        func problems(_ text: String) -> [String] {
            do {
                _ = try NodeScenario(toml: text)
                return []
            } catch {
                return error.problems
            }
        }
        #expect(problems("[community]\nvalidators = 0\nobservers = \"many\"\n[links]\nloss = 0.9\nlos = 0.1") == [
            "links.los: unknown key (known in [links]: latency_ms, jitter_ms, loss, duplication, tail_probability, tail_latency_ms)",
            "community.validators: 0 is not in 1...31",
            "community.observers: expected an integer, found string",
            "links.loss: 0.9 is not in 0.0...0.5",
        ])
        #expect(problems("[weather]\nrain = 1") == ["weather: unknown section (known: city, clocks, community, faults, links, run, workload)"])
        #expect(problems("[faults]\ndowntime_s = [5, 1]") == ["faults.downtime_s: [5, 1] is not a range within 1...3600"])
        #expect(problems("[run]\nseeds = \"9..3\"") == ["run.seeds: '9..3' is not a range like \"1..20\""])
        #expect(problems("[run\nseed = 1").first?.hasPrefix("line 1") == true)
        #expect(problems("[clocks]\nstep_ms = [60000, -60000]\nskew_ms = -5") == [
            "clocks.skew_ms: -5 is not in 0...3600000",
            "clocks.step_ms: [60000, -60000] is not a range within -86400000...86400000",
        ])
        let clocks = try? NodeScenario(toml: "[clocks]\nskew_ms = 5000\nstep_every_s = 4\nstep_ms = [-60000, 60000]").options(seed: 3)
        #expect(clocks?.clockSkewMillis == 5_000 && clocks?.clockStepEvery == 4 && clocks?.clockStepMillis == -60_000...60_000)
        #expect(problems("[city]\ncommunities = 41\nloss = 0.7\ncut_s = [9, 2]\nregion = 1") == [
            "city.region: unknown key (known in [city]: communities, latency_ms, loss, cut_every_s, cut_s, referral_every_s, referral_resend_s)",
            "city.communities: 41 is not in 1...40",
            "city.loss: 0.7 is not in 0.0...0.5",
            "city.cut_s: [9, 2] is not a range within 1...86400",
        ])
        let city = try? NodeScenario(toml: "[city]\ncommunities = 4\nlatency_ms = 8\nloss = 0.05\ncut_every_s = 10\ncut_s = [5, 20]\nreferral_every_s = 2\nreferral_resend_s = 5").options(seed: 3)
        #expect(city?.communities == 4 && city?.cityLink.baseLatency == .milliseconds(8) && city?.cityLink.loss == 0.05)
        #expect(city?.cityCutEvery == 10 && city?.cityCutLength == 5...20 && city?.referralEvery == 2 && city?.referralResendSeconds == 5)
    }

    @Test func thePilotCommunityScenarioPasses() throws {
        let scenario = try Self.load("pilot-community.toml")
        let seed = try #require(scenario.seeds?.lowerBound)
        var sim = NodeSimulation(options: scenario.options(seed: seed))
        let report = sim.run()
        #expect(report.passed, "\(report.summary)\nreplay: civitas sim node --scenario simulations/pilot-community.toml --trace")
        #expect(report.acknowledged > 100)
    }
}
