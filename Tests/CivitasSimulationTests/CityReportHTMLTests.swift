import CivitasSimulation
import Foundation
import Testing

/// `report.html` as text: every chart and the map drawn, names escaped,
/// nothing loaded from anywhere, no "NaN" whatever the figures, the same
/// bytes for the same report.
@Suite struct CityReportHTMLTests {
    static let hostile = "<b>&\"quoted\" 'lane'"
    static let charts = ["chart-latency", "chart-propagation", "chart-bandwidth", "chart-availability", "chart-workload", "city-map"]

    /// A city of three communities and one whose name is markup.
    static func city() -> CityReport {
        CityReport.sample(communities: ["lianhua-east", "hehua-north", "pine-row", hostile], buckets: 60)
    }

    /// Each chart's `data-series`, by id (nil: the chart is absent).
    static func series(_ html: String) -> [String: Int] {
        var found: [String: Int] = [:]
        for id in charts {
            guard let start = html.range(of: "<svg id=\"\(id)\" data-series=\"") else { continue }
            found[id] = Int(html[start.upperBound...].prefix { $0.isNumber })
        }
        return found
    }

    /// A figure written as a float's special value ("nan", "inf", "-infinity"), anywhere.
    static func nonFinite(_ html: String) -> String? {
        html.range(of: "(?i)\\b-?(nan|inf|infinity)\\b", options: .regularExpression).map { String(html[$0]) }
    }

    @Test func everyChartAndTheMapIsDrawnWithTheCommunitiesByName() {
        let report = Self.city()
        let html = report.html()
        let series = Self.series(html)
        for id in Self.charts { #expect((series[id] ?? 0) > 0, "\(id) drew nothing: \(series)") }
        // Four communities and the city (latency, propagation); four communities (bandwidth, availability); submissions and four (workload).
        #expect(series == ["chart-latency": 5, "chart-propagation": 5, "chart-bandwidth": 4, "chart-availability": 4, "chart-workload": 5,
                           "city-map": 4 + report.links.count])
        for name in ["lianhua-east", "hehua-north", "pine-row", "residents&#39; committee", "validator-crash", "not recovered",
                     "raft.append", "city.communities", report.digest, report.safety.replay] {
            #expect(html.contains(name), "the page lacks \(name)")
        }
        #expect(html.contains("Safety held."))
        #expect(Self.nonFinite(html) == nil)
    }

    @Test func aNameWithMarkupIsEscapedEverywhere() {
        let html = Self.city().html()
        #expect(!html.contains("<b>"))
        #expect(!html.contains("\"quoted\""))
        #expect(html.contains("&lt;b&gt;&amp;&quot;quoted&quot; &#39;lane&#39;"))
        var failed = Self.city()
        failed.scenario.name = "</title><script>alert(1)</script>"
        failed.safety.passed = false
        failed.safety.violation = "agreement: <b>two blocks</b> at height 12 & 13"
        let page = failed.html()
        #expect(!page.contains("<script") && !page.contains("<b>two"))
        #expect(page.contains("Safety FAILED.") && page.contains("&lt;b&gt;two blocks&lt;/b&gt; at height 12 &amp; 13"))
        #expect(page.contains("civitas sim city simulations/city-3.toml --seed 7 --trace"))
    }

    @Test func thePageLoadsNothing() {
        let html = Self.city().html()
        for load in ["http://", "https://", "<script", "<link", "@import", "url(", "src=", "<img", "<iframe", "<object"] {
            #expect(!html.lowercased().contains(load), "the page holds \(load)")
        }
    }

    @Test func anEmptyCityRendersWithoutFiguresThatAreNotNumbers() {
        let empty = CityReport.sample(communities: [], buckets: 0)
        let html = empty.html()
        #expect(Self.series(html) == Dictionary(uniqueKeysWithValues: Self.charts.map { ($0, 0) }))
        #expect(html.contains("no communities") && html.contains("No faults.") && html.contains("No city links."))
        #expect(Self.nonFinite(html) == nil, "\(Self.nonFinite(html) ?? "")")
    }

    @Test func oneCommunityWithNothingButZerosRenders() {
        var report = CityReport.sample(communities: ["solo"], buckets: 1)
        report.timeline.series[0].bytesPerSecond = [0]
        report.timeline.series[0].commits = [0]
        report.timeline.series[0].submissions = [0]
        report.communities[0].figures.commitLatencyHistogram = Array(report.communities[0].figures.commitLatencyHistogram.prefix(1))
        report.communities[0].figures.commitLatencyHistogram[0].count = 0
        report.communities[0].figures.noticeReach.curve = Array(report.communities[0].figures.noticeReach.curve.prefix(1))
        report.communities[0].figures.noticeReach.curve[0].share = 0
        report.communities[0].figures.noticeReach.curve[0].millis = 0
        report.links = []
        let html = report.html()
        #expect(Self.nonFinite(html) == nil)
        #expect(Self.series(html)["city-map"] == 1)
        #expect(Self.series(html)["chart-availability"] == 1)
    }

    @Test func figuresThatAreNotNumbersNeverReachThePage() {
        var report = Self.city()
        report.timeline.bucketSeconds = .nan
        report.timeline.series[0].availability[3] = .nan
        report.timeline.series[1].bytesPerSecond[4] = .infinity
        report.communities[0].xKm = .nan
        report.communities[1].figures.throughput = -.infinity
        report.communities[1].figures.commitLatencyHistogram[2].upToMillis = .infinity
        report.communities[2].figures.noticeReach.curve[1].millis = .nan
        report.city.noticeReach.cityCurve[0].share = .nan
        report.city.noticeReach.cityCurve[1].millis = .infinity
        report.links[0].latencyMillis = .nan
        report.links[1].loss = .infinity
        report.faults[0].recoverySeconds = .nan
        let html = report.html()
        #expect(Self.nonFinite(html) == nil, "\(Self.nonFinite(html) ?? "")")
        #expect((Self.series(html)["city-map"] ?? 0) > 0)
    }

    @Test func theSameReportGivesTheSameBytes() {
        let a = Self.city().html(), b = Self.city().html()
        #expect(a == b)
        #expect(Self.city().digest == Self.city().digest && !Self.city().digest.isEmpty)
    }
}
