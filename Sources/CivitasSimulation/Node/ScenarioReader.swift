import TOMLKit

/// Typed lookups in a scenario file (`NodeScenario`, `CityScenario`) that
/// record a problem per bad key instead of stopping at the first. Keys are
/// given in full ("community[2].x_km"); the table is looked up by the part
/// after the last dot.
struct ScenarioReader {
    var problems: [String] = []
    /// The sections and their keys; those in `arrays` are arrays of tables.
    let schema: [String: [String]]
    let arrays: Set<String>

    init(schema: [String: [String]], arrays: Set<String> = []) {
        self.schema = schema
        self.arrays = arrays
    }

    /// The file's table, or every problem as one error.
    static func parse(_ text: String) throws(ScenarioProblems) -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ScenarioProblems(problems: ["line \(error.source.begin.line): \(error.description)"])
        } catch {
            throw ScenarioProblems(problems: ["not TOML: \(error)"])
        }
    }

    mutating func problem(_ key: String, _ text: String) { problems.append("\(key): \(text)") }

    mutating func checkKeys(_ root: TOMLTable) {
        for (section, value) in root {
            guard let keys = schema[section] else {
                problem(section, "unknown section (known: \(schema.keys.sorted().joined(separator: ", ")))")
                continue
            }
            if arrays.contains(section) {
                guard let array = value.array else {
                    problem(section, "expected [[\(section)]] tables, found \(value.type)")
                    continue
                }
                for (i, element) in array.enumerated() {
                    guard let table = element.table else {
                        problem("\(section)[\(i)]", "expected a table, found \(element.type)")
                        continue
                    }
                    for (key, _) in table where !keys.contains(key) {
                        problem("\(section)[\(i)].\(key)", "unknown key (known in [[\(section)]]: \(keys.joined(separator: ", ")))")
                    }
                }
                continue
            }
            guard let table = value.table else {
                problem(section, "expected a [\(section)] table, found \(value.type)")
                continue
            }
            for (key, _) in table where !keys.contains(key) && section != "sweep" {
                problem("\(section).\(key)", "unknown key (known in [\(section)]: \(keys.joined(separator: ", ")))")
            }
            if section == "sweep" {
                for (key, _) in table where !keys.contains(key) {
                    problem("sweep.\(key)", "cannot be swept (known: \(keys.joined(separator: ", ")))")
                }
            }
        }
    }

    func table(_ root: TOMLTable, _ name: String) -> TOMLTable? { root[name]?.table }

    func tables(_ root: TOMLTable, _ name: String) -> [TOMLTable] {
        root[name]?.array?.compactMap(\.table) ?? []
    }

    private func leaf(_ key: String) -> String { key.split(separator: ".").last.map(String.init) ?? key }

    mutating func read<T>(_ table: TOMLTable?, _ key: String, _ expected: String, _ convert: (any TOMLValueConvertible) -> T?,
                          check: (T) -> String? = { _ in nil }) -> T? {
        guard let raw = table?[leaf(key)] else { return nil }
        guard let value = convert(raw) else {
            problem(key, "expected \(expected), found \(raw.type)")
            return nil
        }
        if let wrong = check(value) {
            problem(key, wrong)
            return nil
        }
        return value
    }

    mutating func integer(_ table: TOMLTable?, _ key: String, in range: ClosedRange<Int>) -> Int? {
        read(table, key, "an integer", { $0.int }) { range.contains($0) ? nil : "\($0) is not in \(range.lowerBound)...\(range.upperBound)" }
    }

    mutating func number(_ table: TOMLTable?, _ key: String, in range: ClosedRange<Double>) -> Double? {
        read(table, key, "a number", { $0.double ?? $0.int.map(Double.init) }) {
            range.contains($0) ? nil : "\($0) is not in \(range.lowerBound)...\(range.upperBound)"
        }
    }

    mutating func bool(_ table: TOMLTable?, _ key: String) -> Bool? { read(table, key, "true or false", { $0.bool }) }

    mutating func string(_ table: TOMLTable?, _ key: String) -> String? { read(table, key, "a string", { $0.string }) }

    mutating func strings(_ table: TOMLTable?, _ key: String) -> [String]? {
        read(table, key, "a list of strings", { v -> [String]? in
            guard let a = v.array else { return nil }
            let s = a.compactMap(\.string)
            return s.count == a.count ? s : nil
        })
    }

    mutating func numbers(_ table: TOMLTable?, _ key: String) -> [Double]? {
        read(table, key, "a list of numbers", { v -> [Double]? in
            guard let a = v.array else { return nil }
            let n = a.compactMap { $0.double ?? $0.int.map(Double.init) }
            return n.count == a.count ? n : nil
        })
    }

    /// `[low, high]` in ms, both within `bounds`.
    mutating func pair(_ table: TOMLTable?, _ key: String, in bounds: ClosedRange<Int>) -> ClosedRange<UInt64>? {
        read(table, key, "[low, high] in ms", { v -> (Int, Int)? in
            guard let a = v.array, a.count == 2, let low = a[0].int, let high = a[1].int else { return nil }
            return (low, high)
        }) { low, high in
            low <= high && bounds.contains(low) && bounds.contains(high) ? nil : "[\(low), \(high)] is not a range within \(bounds.lowerBound)...\(bounds.upperBound)"
        }.map { UInt64($0.0)...UInt64($0.1) }
    }

    /// `[low, high]`, signed, both within `bounds`.
    mutating func signedRange(_ table: TOMLTable?, _ key: String, in bounds: ClosedRange<Int>) -> ClosedRange<Int64>? {
        read(table, key, "[low, high]", { v -> (Int, Int)? in
            guard let a = v.array, a.count == 2, let low = a[0].int, let high = a[1].int else { return nil }
            return (low, high)
        }) { low, high in
            low <= high && bounds.contains(low) && bounds.contains(high) ? nil : "[\(low), \(high)] is not a range within \(bounds.lowerBound)...\(bounds.upperBound)"
        }.map { Int64($0.0)...Int64($0.1) }
    }

    /// A duration: whole seconds, or a string with a unit ("90s", "10m", "1h", "2d").
    mutating func seconds(_ table: TOMLTable?, _ key: String, in bounds: ClosedRange<UInt64>) -> UInt64? {
        read(table, key, "a duration such as \"10m\" or seconds", { v -> UInt64? in
            if let n = v.int { return n >= 0 ? UInt64(n) : nil }
            return v.string.flatMap(Self.duration)
        }) { bounds.contains($0) ? nil : "\($0) s is not in \(bounds.lowerBound)...\(bounds.upperBound) s" }
    }

    mutating func durationPair(_ table: TOMLTable?, _ key: String) -> ClosedRange<UInt64>? {
        read(table, key, "[shortest, longest], e.g. [\"1m\", \"10m\"]", { v -> ClosedRange<UInt64>? in
            guard let a = v.array, a.count == 2 else { return nil }
            let d = a.compactMap { $0.int.map(UInt64.init) ?? $0.string.flatMap(Self.duration) }
            return d.count == 2 && d[0] >= 1 && d[0] <= d[1] ? d[0]...d[1] : nil
        })
    }

    /// "90s", "10m", "1h", "2d" or a bare number of seconds.
    static func duration(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let last = text.last else { return nil }
        if let unit = units[last], let n = Double(text.dropLast()), n >= 0 { return UInt64((n * Double(unit)).rounded()) }
        return UInt64(text)
    }

    /// "HH:MM" as an hour of the day.
    mutating func clock(_ table: TOMLTable?, _ key: String) -> Double? {
        read(table, key, "a time of day such as \"07:30\"", { v -> Double? in
            guard let parts = v.string?.split(separator: ":"), parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
                  (0..<24).contains(h), (0..<60).contains(m) else { return nil }
            return Double(h) + Double(m) / 60
        })
    }

    mutating func linkClass(_ table: TOMLTable?, _ key: String) -> CityPlan.LinkClass? {
        read(table, key, "a link class (\(CityPlan.LinkClass.all.map(\.name).joined(separator: ", ")))", { $0.string }) { name in
            CityPlan.LinkClass.all.contains { $0.name == name }
                ? nil : "'\(name)' is not a link class (known: \(CityPlan.LinkClass.all.map(\.name).joined(separator: ", ")))"
        }.flatMap { name in CityPlan.LinkClass.all.first { $0.name == name } }
    }
}

/// A scenario refused: every problem, each naming its key.
public struct ScenarioProblems: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
