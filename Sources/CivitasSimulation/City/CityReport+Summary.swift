import Foundation

extension CityReport {
    /// The terminal summary a planner reads first: one row per community and
    /// the city's, the faults and how long each took to recover, the verdict.
    public func summary() -> String {
        var lines: [String] = []
        lines.append("\(scenario.name): \(scenario.question)")
        lines.append("seed \(scenario.seed), \(Self.duration(Double(scenario.durationSeconds))) \(scenario.mode), "
                     + "\(communities.count) communities, \(city.nodes) nodes")
        lines.append("")
        let header = ["community", "nodes", "validators", "committed", "p50 ms", "p95 ms", "p99 ms", "notice 100% ms", "anchored ms",
                      "available", "elections", "max B/s/node", "GB/month"]
        var rows = communities.map { row($0.name, $0.figures, validators: "\($0.validators.count)") }
        rows.append(row("city", city, validators: "\(communities.map(\.validators.count).reduce(0, +))"))
        lines += Self.table(header, rows)
        if !faults.isEmpty {
            lines.append("")
            lines += Self.table(["fault", "", "community", "at", "recovered after"], faults.map { f in
                [f.kind, f.drill ? "drill" : "random", f.community ?? "city", Self.duration(f.startSecond),
                 f.recoverySeconds.map { Self.duration($0) } ?? "not recovered"]
            })
        }
        if !links.isEmpty {
            let busiest = links.max { $0.bytesPerSecond < $1.bytesPerSecond }!
            lines.append("")
            lines.append("city links: \(links.count), busiest \(busiest.from)–\(busiest.to) \(Self.number(busiest.bytesPerSecond)) B/s "
                         + "(\(busiest.linkClass), \(Self.number(busiest.latencyMillis)) ms), \(links.filter { $0.health != "ok" }.count) not ok")
        }
        lines.append("")
        lines.append(safety.passed ? "safety: every invariant held" : "SAFETY VIOLATED: \(safety.violation ?? "")\nreplay: \(safety.replay)")
        lines.append("report digest \(digest)")
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ f: Figures, validators: String) -> [String] {
        func ms(_ p: Percentiles, _ x: Double) -> String { p.count == 0 ? "–" : Self.number(x) }
        return [name, "\(f.nodes)", validators, "\(f.committed)", ms(f.commitLatency, f.commitLatency.p50Millis),
         ms(f.commitLatency, f.commitLatency.p95Millis), ms(f.commitLatency, f.commitLatency.p99Millis),
         ms(f.noticeReach.all, f.noticeReach.all.p50Millis), ms(f.anchoringDelay, f.anchoringDelay.p50Millis),
         String(format: "%.1f%%", f.availability * 100), "\(f.elections)", Self.number(f.bandwidth.maxBytesPerSecond),
         String(format: "%.2f", f.bandwidth.maxGBPerMonth)]
    }

    /// Columns padded to their widest cell; the first left-aligned, the rest right-aligned.
    public static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return [line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)
    }

    static func number(_ x: Double) -> String { x >= 100 ? String(format: "%.0f", x) : String(format: "%.1f", x) }

    /// "45 s", "12 min", "1.5 h".
    static func duration(_ seconds: Double) -> String {
        if seconds < 120 { return String(format: "%.0f s", seconds) }
        if seconds < 7_200 { return String(format: "%.0f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3_600)
    }
}
