/// `report.html`: the report as one self-contained page for a planner —
/// inline CSS and SVG, no script, nothing loaded from anywhere — with every
/// figure by name. A pure function of the report: the same report gives
/// the same bytes (numbers are written by `HTMLText`, never by a locale).
extension CityReport {
    public func html() -> String {
        [
            "<!doctype html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>\(HTMLText.escape(scenario.name)) — Civitas city report</title>",
            "<style>\(Self.css)</style>",
            "</head>",
            "<body>",
            "<main>",
            header(),
            summarySection(),
            chartsSection(),
            faultsSection(),
            linksSection(),
            messagesSection(),
            settingsSection(),
            "<footer>Schema <code>\(HTMLText.escape(schema))</code> · digest <code>\(HTMLText.escape(digest))</code> · "
                + "replay with <code>\(HTMLText.escape(safety.replay))</code></footer>",
            "</main>",
            "</body>",
            "</html>",
            "",
        ].joined(separator: "\n")
    }

    /// The scenario, its question, the run's facts and whether safety held.
    func header() -> String {
        let facts = [
            ("Seed", HTMLText.escape(String(scenario.seed))),
            ("Simulated", HTMLText.escape(HTMLText.duration(seconds: scenario.durationSeconds))),
            ("Mode", HTMLText.escape(scenario.mode)),
            ("Communities", HTMLText.number(Double(communities.count))),
            ("Nodes", HTMLText.number(Double(city.nodes))),
        ].map { "<div><dt>\($0.0)</dt><dd>\($0.1)</dd></div>" }.joined()
        let checked = safety.checked.map { "<li>\(HTMLText.escape($0))</li>" }.joined()
        let banner: String
        if safety.passed {
            banner = """
                <div class="safety pass" id="safety" data-passed="yes"><strong>Safety held.</strong> \
                \(safety.checked.count) invariants were checked all along and at the end; none was violated.\
                \(checked.isEmpty ? "" : "<details><summary>What was checked</summary><ul>\(checked)</ul></details>")</div>
                """
        } else {
            banner = """
                <div class="safety fail" id="safety" data-passed="no"><strong>Safety FAILED.</strong> \
                \(HTMLText.escape(safety.violation ?? "An invariant was violated."))\
                <p>Replay the run with its trace: <code>\(HTMLText.escape(safety.replay))</code></p>\
                \(checked.isEmpty ? "" : "<details><summary>What was checked</summary><ul>\(checked)</ul></details>")</div>
                """
        }
        return """
            <header>
            <p class="kicker">Civitas city simulation</p>
            <h1>\(HTMLText.escape(scenario.name))</h1>
            \(scenario.question.isEmpty ? "" : "<p class=\"question\">\(HTMLText.escape(scenario.question))</p>")
            <dl class="facts">\(facts)<div class="wide"><dt>Digest</dt><dd class="digest">\(HTMLText.escape(digest.isEmpty ? "–" : digest))</dd></div></dl>
            \(banner)
            </header>
            """
    }

    /// The map and two tables of figures, a row per community and then the city's.
    func summarySection() -> String {
        // A community by its name, the city as nil.
        let rows: [(String?, Figures, String)] = communities.map { ($0.name, $0.figures, $0.validators.map(HTMLText.escape).joined(separator: ", ")) }
            + [(nil, city, "\(communities.reduce(0) { $0 + $1.validators.count }) in all")]
        func row(_ name: String?, _ cells: [String]) -> String {
            guard let name else { return "<tr class=\"city\"><th scope=\"row\">City</th>\(cells.joined())</tr>" }
            return "<tr><th scope=\"row\">\(Self.named(name, colour: colour(of: name)))</th>\(cells.joined())</tr>"
        }
        let commitsHead = """
            <tr><th rowspan="2">Community</th><th rowspan="2" class="n">Nodes</th><th rowspan="2" class="n">Committed</th>\
            <th rowspan="2" class="n">tx/s</th><th colspan="3" class="group">Commit latency (ms)</th>\
            <th colspan="3" class="group">Notice reach (ms)</th><th colspan="2" class="group">Anchoring</th></tr>
            <tr><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">50%</th><th class="n">95%</th>\
            <th class="n">100%</th><th class="n">p50 (ms)</th><th class="n">anchored</th></tr>
            """
        let costHead = """
            <tr><th rowspan="2">Community</th><th rowspan="2">Validators</th><th rowspan="2" class="n">Available</th>\
            <th rowspan="2" class="n">Elections</th><th rowspan="2" class="n">Leader changes</th>\
            <th colspan="2" class="group">Bytes/s per node</th><th colspan="2" class="group">GB/month</th></tr>
            <tr><th class="n">mean</th><th class="n">max</th><th class="n">busiest node</th><th class="n">all nodes</th></tr>
            """
        return """
            <section id="summary">
            <h2>The city</h2>
            <p class="note">Where the communities are and how the city links fared (hover a link or a community for its figures).</p>
            <figure>\(cityMap())</figure>
            <h2>What residents felt</h2>
            <p class="note">Latencies are as a resident's app saw them, from submission to commit; notice reach is the median time, \
            from a notice's commit, until that share of the community's nodes applied it; anchoring is from a checkpoint's commit \
            until a neighbour recorded it.</p>
            \(Self.table(head: commitsHead, rows: rows.map { row($0.0, Self.commitCells($0.1)) }, empty: "No communities."))
            <h2>What it took</h2>
            <p class="note">Availability is the share of the run a community could commit (a leader with a quorum of its validators \
            reachable). Monthly traffic is at the run's rate over 30 days.</p>
            \(Self.table(head: costHead, rows: rows.map { row($0.0, ["<td class=\"names\">\($0.2)</td>"] + Self.costCells($0.1)) }, empty: "No communities."))
            </section>
            """
    }

    /// Commits, latency, reach and anchoring: what residents felt.
    static func commitCells(_ f: Figures) -> [String] {
        let reach = f.noticeReach
        return [
            count(f.nodes),
            "<td class=\"n\">\(HTMLText.number(Double(f.committed)))<small> of \(HTMLText.number(Double(f.submitted)))</small></td>",
            cell(HTMLText.readable(f.throughput)),
            cell(millis(f.commitLatency.p50Millis, f.commitLatency.count)),
            cell(millis(f.commitLatency.p95Millis, f.commitLatency.count)),
            cell(millis(f.commitLatency.p99Millis, f.commitLatency.count)),
            cell(millis(reach.half.p50Millis, reach.notices)),
            cell(millis(reach.most.p50Millis, reach.notices)),
            cell(millis(reach.all.p50Millis, reach.notices)),
            cell(millis(f.anchoringDelay.p50Millis, f.anchoringDelay.count)),
            cell("\(HTMLText.number(Double(f.checkpointsAnchored))) of \(HTMLText.number(Double(f.checkpointsMade)))"),
        ]
    }

    /// Availability, elections and traffic: what it took.
    static func costCells(_ f: Figures) -> [String] {
        [
            cell(HTMLText.percent(f.availability, decimals: 2)),
            count(f.elections),
            count(f.leaderChanges),
            cell(HTMLText.readable(f.bandwidth.meanBytesPerSecond)),
            cell(HTMLText.readable(f.bandwidth.maxBytesPerSecond)),
            cell(HTMLText.readable(f.bandwidth.maxGBPerMonth)),
            cell(HTMLText.readable(f.bandwidth.totalGBPerMonth)),
        ]
    }

    /// The five charts, each with what it shows.
    func chartsSection() -> String {
        let figures = [
            ("Commit latency", "Share of each community's commits made within a time of their submission (from its histogram; the time axis is logarithmic when it spans decades).", latencyChart()),
            ("Notice propagation", "Share of nodes that applied a notice's block, against the time since its commit (the median over notices); the dashed line is the whole city, counting a notice held on a node's own chain or anchored there.", propagationChart()),
            ("Bandwidth", "Bytes each community's nodes sent per second, over the run.", bandwidthChart()),
            ("Availability", "Each band is a community; each stretch is coloured by the share of that time it could commit (green: always; amber: half; red: never). The figure at the right is over the whole run.", availabilityChart()),
            ("Workload", "The city's submissions per second (grey) and the transactions each community committed per second: the rhythm of the day and where faults held commits back.", workloadChart()),
        ]
        return "<section id=\"charts\">\n<h2>Over the run</h2>\n" + figures.map { title, note, svg in
            "<figure>\n<figcaption>\(title)</figcaption>\n\(svg)\n<p>\(note)</p>\n</figure>"
        }.joined(separator: "\n") + "\n</section>"
    }

    /// A table, or `empty` if it has no rows.
    static func table(head: String, rows: [String], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>" }
        return "<div class=\"scroll\"><table>\n<thead>\(head)</thead>\n<tbody>\n\(rows.joined(separator: "\n"))\n</tbody>\n</table></div>"
    }

    /// A numeric cell (its text already safe).
    static func cell(_ text: String) -> String { "<td class=\"n\">\(text)</td>" }

    static func count(_ n: Int) -> String { cell(HTMLText.number(Double(n))) }

    /// A duration in ms, or "–" when nothing was measured.
    static func millis(_ ms: Double, _ samples: Int) -> String { samples > 0 ? HTMLText.readable(ms) : "–" }

    /// A community's name with its colour.
    static func named(_ name: String, colour: String) -> String {
        "<span class=\"who\"><span class=\"dot\" style=\"background:\(colour)\"></span>\(HTMLText.escape(name))</span>"
    }
}
