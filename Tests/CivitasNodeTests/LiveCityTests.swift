import CivitasLive
import CivitasSimulation
import Foundation
import Testing

/// `civitas sim city --live`: a planner's city as real nodes over TLS on
/// loopback (real sockets: the Makefile runs this suite in its first phase, alone).
@Suite(.serialized) struct LiveCityTests {
    /// One community of three validators and an observer, busy enough to
    /// commit a few dozen records in 20 s, with a notice or two.
    static let scenario = """
        # Does a community of real nodes commit what its residents submit?
        [run]
        seed = 3
        duration = "20s"
        start = "10:00"

        [defaults]
        validators = ["committee", "party", "owners"]
        observers = 1
        gateway = false
        residents = 40

        [workload]
        records_per_day = 172800
        rhythm = "flat"
        mix = { service_request = 0.5, notice = 0.2, volunteer = 0.3 }

        [[community]]
        name = "lianhua-east"
        """

    static func plan(_ toml: String = scenario) throws -> CityPlan {
        try CityScenario(toml: toml, name: "live-one").plan
    }

    @Test func aLiveRunCommitsTheWorkloadOnRealNodesAndReportsItAsLive() async throws {
        var options = LiveCity.Options(replay: "civitas sim city live-one.toml --live")
        options.settleSeconds = 30
        let result = try await LiveCity.run(try Self.plan(), options: options)
        let report = result.report
        #expect(report.scenario.mode == "live")
        #expect(report.safety.passed, "\(report.safety.violation ?? "")")
        let city = report.city
        #expect(city.nodes == 4)
        #expect(city.submitted > 10, "records per day 172,800 over 20 s: about 40 submitted, got \(city.submitted)")
        #expect(city.committed > 10, "committed within the 20 s (those of the settle phase are not counted)")
        #expect(city.commitLatency.count == city.submitted, "every record was committed and measured")
        // One block interval (1 s) plus the pipeline, on loopback: far from 0 and from the 30 s wait.
        #expect(city.commitLatency.p50Millis > 50 && city.commitLatency.p50Millis < 5_000, "p50 \(city.commitLatency.p50Millis) ms")
        #expect(city.elections >= 1)
        #expect(city.bandwidth.maxBytesPerSecond > 0)
        #expect(city.noticeReach.notices > 0 && city.noticeReach.all.count > 0, "notices reached every node")
        #expect(result.directory == nil, "the nodes' directory is removed without --keep")
        // The same report format: it encodes, and its HTML draws.
        _ = try report.json()
        #expect(report.html().contains("live"))
    }

    @Test func liveModeRefusesWhatItCannotRunNamingIt() throws {
        let drill = Self.scenario + "\n[[drill]]\nat = \"5s\"\nkind = \"validator-crash\"\n"
        #expect(LiveCity.refusal(try Self.plan(drill))?.contains("validator-crash") == true)
        let tick = Self.scenario.replacingOccurrences(of: "[run]", with: "[protocol]\ntick_ms = 50\n\n[run]")
        #expect(LiveCity.refusal(try Self.plan(tick))?.contains("protocol.tick_ms") == true)
        let big = Self.scenario.replacingOccurrences(of: "observers = 1", with: "observers = 70")
        #expect(LiveCity.refusal(try Self.plan(big))?.contains("at most 60") == true)
        #expect(LiveCity.refusal(try Self.plan()) == nil)
    }
}
