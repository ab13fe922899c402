/// The report's charts, each an `<svg>` drawn from the report's figures:
/// commit latency, notice propagation, bandwidth, availability and the
/// workload over time.
extension CityReport {
    /// One line of a chart, in data units.
    struct PlotLine {
        var name: String
        var colour: String
        var dashed = false
        var points: [(x: Double, y: Double)]
    }

    /// How one axis of a line chart reads.
    struct PlotAxis {
        var title: String
        var logarithmic = false
        var maximum: Double? = nil
        /// Values the axis must show besides the lines' (a filled area's).
        var extra: [Double] = []
        var label: (Double) -> String
    }

    static let plotLeft = 72.0, plotRight = SVGChart.width - 20, plotHeight = 220.0

    /// The colour of a community by its place in the report (names not in it come after).
    func colour(of community: String) -> String {
        if let i = communities.firstIndex(where: { $0.name == community }) { return PlotColour.community(i) }
        let others = timeline.series.map(\.community).filter { name in !communities.contains { $0.name == name } }
        return PlotColour.community(communities.count + (others.firstIndex(of: community) ?? 0))
    }

    /// A line chart: a legend on top, then the axes and the lines (`underlay` draws below the lines).
    static func lineChart(id: String, title: String, lines: [PlotLine], x: PlotAxis, y: PlotAxis,
                          legendExtra: [(name: String, colour: String, dashed: Bool)] = [], underlay: Int = 0,
                          background: (inout SVGChart, PlotScale, PlotScale) -> Void = { _, _, _ in }) -> String {
        var chart = SVGChart(id: id, title: title, height: 0)
        let drawn = lines.filter { !$0.points.isEmpty }
        guard !drawn.isEmpty || underlay > 0 else { return SVGChart.empty(id: id, title: title) }
        let legendHeight = chart.legend(legendExtra + drawn.map { ($0.name, $0.colour, $0.dashed) }, x: plotLeft, y: 18)
        let top = 18 + legendHeight + 6, bottom = top + plotHeight
        chart.height = bottom + 46
        let xs = drawn.flatMap { $0.points.map(\.x) } + x.extra, ys = drawn.flatMap { $0.points.map(\.y) } + y.extra
        let xScale = PlotScale(covering: xs, pixels: plotLeft...plotRight, allowLog: x.logarithmic, maximum: x.maximum)
        let yScale = PlotScale(covering: ys, pixels: top...bottom, reversed: true, allowLog: y.logarithmic, maximum: y.maximum)
        chart.axes(x: xScale, y: yScale, xTitle: x.title, yTitle: y.title, xLabel: x.label, yLabel: y.label)
        background(&chart, xScale, yScale)
        for line in drawn {
            chart.add(SVGChart.series(line.points.map { (xScale($0.x), yScale($0.y)) }, colour: line.colour, dashed: line.dashed, title: line.name))
        }
        chart.series = drawn.count + underlay
        return chart.render()
    }

    static func shareAxis(_ title: String) -> PlotAxis { PlotAxis(title: title, maximum: 1) { HTMLText.percent($0, decimals: 0) } }

    static func millisAxis(_ title: String) -> PlotAxis {
        PlotAxis(title: title, logarithmic: true) { $0 >= 1_000 ? HTMLText.short($0 / 1_000) + " s" : HTMLText.short($0) + " ms" }
    }

    /// (a) Share of commits within x ms, per community and for the city (the histogram accumulated).
    func latencyChart() -> String {
        func cumulative(_ buckets: [HistogramBucket]) -> [(x: Double, y: Double)] {
            let total = buckets.reduce(0) { $0 + max($1.count, 0) }
            guard total > 0 else { return [] }
            var sum = 0
            return [(0, 0)] + buckets.sorted { $0.upToMillis < $1.upToMillis }.map { bucket in
                sum += max(bucket.count, 0)
                return (bucket.upToMillis, Double(sum) / Double(total))
            }
        }
        let lines = communities.map { PlotLine(name: $0.name, colour: colour(of: $0.name), points: cumulative($0.figures.commitLatencyHistogram)) }
            + [PlotLine(name: "city", colour: PlotColour.city, dashed: true, points: cumulative(city.commitLatencyHistogram))]
        return Self.lineChart(id: "chart-latency", title: "Commit latency: share of commits within a time, per community",
                              lines: lines, x: Self.millisAxis("time from submission to commit"), y: Self.shareAxis("share of commits"))
    }

    /// (b) Share of nodes holding a notice against ms from its commit: each community's own nodes, and the whole city.
    func propagationChart() -> String {
        func curve(_ points: [CurvePoint]) -> [(x: Double, y: Double)] {
            points.sorted { ($0.millis, $0.share) < ($1.millis, $1.share) }.map { ($0.millis, $0.share) }
        }
        let lines = communities.map { PlotLine(name: $0.name, colour: colour(of: $0.name), points: curve($0.figures.noticeReach.curve)) }
            + [PlotLine(name: "city (own chain or anchored)", colour: PlotColour.city, dashed: true, points: curve(city.noticeReach.cityCurve))]
        return Self.lineChart(id: "chart-propagation", title: "Notice propagation: share of nodes holding a notice, from its commit",
                              lines: lines, x: Self.millisAxis("time from the notice's commit"), y: Self.shareAxis("share of nodes"))
    }

    /// The time axis of the timeline charts (in s, min or h), a bucket's length in its unit, and the longest series.
    var timeAxis: (axis: PlotAxis, step: Double, buckets: Int, unit: String) {
        let step = timeline.bucketSeconds.isFinite && timeline.bucketSeconds > 0 ? timeline.bucketSeconds : 1
        let buckets = timeline.series.map { max($0.commits.count, $0.availability.count, $0.bytesPerSecond.count, $0.submissions.count) }.max() ?? 0
        let total = Double(buckets) * step
        let (divisor, unit) = total > 3 * 3_600 ? (3_600.0, "h") : total > 20 * 60 ? (60.0, "min") : (1.0, "s")
        let axis = PlotAxis(title: "simulated time (\(unit))", maximum: max(total, step) / divisor) { HTMLText.short($0) }
        return (axis, step / divisor, buckets, unit)
    }

    /// (c) Bytes the community's nodes sent per second, over time.
    func bandwidthChart() -> String {
        let (time, step, _, _) = timeAxis
        let top = timeline.series.flatMap(\.bytesPerSecond).filter(\.isFinite).max() ?? 0
        let (divisor, unit) = HTMLText.byteUnit(top)
        let lines = timeline.series.map { s in
            PlotLine(name: s.community, colour: colour(of: s.community), points: s.bytesPerSecond.enumerated().map { (Double($0.offset) * step, $0.element) })
        }
        let y = PlotAxis(title: "sent per second (\(unit)/s)") { HTMLText.short($0 / divisor) }
        return Self.lineChart(id: "chart-bandwidth", title: "Bandwidth: bytes each community's nodes sent per second", lines: lines, x: time, y: y)
    }

    /// (e) The workload's rhythm: the city's submissions per second (the grey area) and each community's commits.
    func workloadChart() -> String {
        let (time, step, buckets, _) = timeAxis
        let seconds = timeline.bucketSeconds.isFinite && timeline.bucketSeconds > 0 ? timeline.bucketSeconds : 1
        let submitted = (0..<buckets).map { b in Double(timeline.series.reduce(0) { $0 + ($1.submissions.indices.contains(b) ? $1.submissions[b] : 0) }) / seconds }
        let lines = timeline.series.map { s in
            PlotLine(name: "commits — \(s.community)", colour: colour(of: s.community),
                     points: s.commits.enumerated().map { (Double($0.offset) * step, Double($0.element) / seconds) })
        }
        let area = submitted.contains { $0 > 0 }
        let y = PlotAxis(title: "transactions per second", extra: submitted) { HTMLText.short($0) }
        return Self.lineChart(id: "chart-workload", title: "Workload: submissions and commits per second", lines: lines, x: time, y: y,
                              legendExtra: area ? [("submissions — city", "#b9c2cf", false)] : [], underlay: area ? 1 : 0) { chart, xs, ys in
            guard area else { return }
            var path = "M\(HTMLText.coord(xs(0))),\(HTMLText.coord(ys(0)))"
            for (b, v) in submitted.enumerated() {
                path += " L\(HTMLText.coord(xs(Double(b) * step))),\(HTMLText.coord(ys(v))) L\(HTMLText.coord(xs(Double(b + 1) * step))),\(HTMLText.coord(ys(v)))"
            }
            path += " L\(HTMLText.coord(xs(Double(buckets) * step))),\(HTMLText.coord(ys(0))) Z"
            chart.add("<path d=\"\(path)\" class=\"area\"><title>submissions per second, the whole city</title></path>")
        }
    }

    /// (d) One band per community, each bucket coloured by the share of it the community could commit.
    func availabilityChart() -> String {
        let (time, step, _, unit) = timeAxis
        let rows = timeline.series.filter { !$0.availability.isEmpty }
        let title = "Availability: share of each time bucket a community could commit"
        guard !rows.isEmpty else { return SVGChart.empty(id: "chart-availability", title: title) }
        let labelWidth = min(200, max(80, rows.map { SVGChart.textWidth($0.community) }.max() ?? 0) + 12)
        let left = labelWidth + 8, right = SVGChart.width - 64, rowHeight = 22.0, gap = 8.0, top = 16.0
        let bottom = top + Double(rows.count) * (rowHeight + gap)
        var chart = SVGChart(id: "chart-availability", title: title, height: bottom + 74)
        let xs = PlotScale(covering: [], pixels: left...right, maximum: time.maximum)
        for t in xs.ticks {
            chart.add(SVGChart.line(xs(t), top, xs(t), bottom, cssClass: "grid"))
            chart.add(SVGChart.text(xs(t), bottom + 16, time.label(t), anchor: "middle", cssClass: "tick"))
        }
        chart.add(SVGChart.text((left + right) / 2, bottom + 34, time.title, anchor: "middle", cssClass: "axis-title"))
        for (row, s) in rows.enumerated() {
            let y = top + Double(row) * (rowHeight + gap)
            chart.add(SVGChart.text(labelWidth, y + 15, Self.clipped(s.community, width: labelWidth - 8), anchor: "end"))
            var start = 0
            while start < s.availability.count {
                let level = Self.level(s.availability[start])
                var end = start + 1
                while end < s.availability.count, Self.level(s.availability[end]) == level { end += 1 }
                let from = Double(start) * step, to = Double(end) * step
                let reads = level < 0 ? "no figure" : "\(level)% available"
                chart.add(SVGChart.rect(xs(from), y, xs(to) - xs(from), rowHeight, fill: PlotColour.share(s.availability[start]),
                                        title: "\(s.community): \(time.label(from))–\(time.label(to)) \(unit), \(reads)"))
                start = end
            }
            let overall = communities.first { $0.name == s.community }?.figures.availability
                ?? s.availability.filter(\.isFinite).reduce(0, +) / Double(max(s.availability.count, 1))
            chart.add(SVGChart.text(right + 8, y + 15, HTMLText.percent(overall)))
        }
        chart.series = rows.count
        chart.group("legend") { chart in
            for (i, share) in [1.0, 0.75, 0.5, 0.25, 0].enumerated() {
                chart.add(SVGChart.rect(left + 64 * Double(i), bottom + 46, 14, 14, fill: PlotColour.share(share)))
                chart.add(SVGChart.text(left + 64 * Double(i) + 18, bottom + 57, HTMLText.percent(share, decimals: 0)))
            }
        }
        return chart.render()
    }

    /// A share as a whole percent, −1 if not a number (equal levels make one band).
    static func level(_ share: Double) -> Int { share.isFinite ? Int((min(max(share, 0), 1) * 100).rounded()) : -1 }

    /// `text` cut with "…" to about `width` pixels.
    static func clipped(_ text: String, width: Double) -> String {
        guard SVGChart.textWidth(text) > width else { return text }
        var out = ""
        for c in text {
            guard SVGChart.textWidth(out + String(c)) + 7 <= width else { break }
            out.append(c)
        }
        return out + "…"
    }
}
