import CivitasSimulation
import CivitasTestSupport
import Foundation
import Testing

/// docs/simulation.md documents `report.json` field by field: every key the
/// report writes is in its tables, and every field its tables name is
/// written — so the doc and the schema cannot drift apart.
@Suite struct CityReportSchemaTests {
    /// Fields whose values are maps with data for keys (message types, scenario keys).
    static let maps: Set<String> = ["messages", "settings"]

    /// The `## report.json` section of the doc.
    static func section() throws -> Substring {
        let doc = try SpecDocument.text("docs/simulation.md")
        guard let start = doc.range(of: "\n## report.json\n") else { throw TestFailure("docs/simulation.md has no `## report.json` section") }
        let rest = doc[start.upperBound...]
        return rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
    }

    /// Every key of `json` and of the objects in it (not inside the maps).
    static func keys(_ json: Any) -> Set<String> {
        if let object = json as? [String: Any] {
            return object.reduce(into: Set(object.keys)) { all, entry in
                if !maps.contains(entry.key) { all.formUnion(keys(entry.value)) }
            }
        }
        if let array = json as? [Any] { return array.reduce(into: []) { $0.formUnion(keys($1)) } }
        return []
    }

    /// A report that writes every field: a failed run, so `violation` is there; faults with and without their optional fields.
    static func fullReport() -> CityReport {
        var report = CityReport.sample()
        report.safety.passed = false
        report.safety.violation = "agreement: two blocks at height 12"
        return report
    }

    @Test func everyFieldTheReportWritesIsInTheDocsTablesAndNoOther() throws {
        let report = Self.fullReport()
        #expect(report.faults.contains { $0.community != nil && $0.node != nil && $0.recoverySeconds != nil })
        let written = Self.keys(try JSONSerialization.jsonObject(with: try report.json()))
        let section = try Self.section()
        let undocumented = written.filter { !section.contains("`\($0)`") }.sorted()
        #expect(undocumented.isEmpty, "docs/simulation.md (## report.json) does not document \(undocumented)")
        // The first cell of each table row names one field or more; each must be one the report writes.
        let documented = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.flatMap { row in
            row.dropFirst(2).prefix { $0 != "|" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["`"]) }
        }
        let stale = documented.filter { !written.contains($0) }
        #expect(!documented.isEmpty && stale.isEmpty, "docs/simulation.md documents \(stale), which the report does not write")
        #expect(section.contains("`\(CityReport.schemaName)`"))
    }
}
