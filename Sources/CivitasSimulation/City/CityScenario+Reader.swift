import TOMLKit

/// A city scenario's community shapes and workloads, read key by key.
extension ScenarioReader {
    /// `base` with what `table` (at `prefix`) sets of a community's shape.
    mutating func shape(_ table: TOMLTable?, _ prefix: String, base: CityScenario.Shape) -> CityScenario.Shape {
        var s = base
        if let raw = table?["validators"] {
            if let n = raw.int {
                if (1...31).contains(n) {
                    s.validators = (0..<n).map { CityScenario.validatorSubjects[$0 % CityScenario.validatorSubjects.count] }
                } else {
                    problem("\(prefix).validators", "\(n) is not in 1...31")
                }
            } else if let names = strings(table, "\(prefix).validators") {
                if let bad = names.first(where: { !CityScenario.validatorSubjects.contains($0) }) {
                    problem("\(prefix).validators", "'\(bad)' is not a subject a validator serves (known: \(CityScenario.validatorSubjects.joined(separator: ", ")))")
                } else if !(1...31).contains(names.count) {
                    problem("\(prefix).validators", "a community has 1 to 31 validators")
                } else {
                    s.validators = names
                }
            }
        }
        s.observers = integer(table, "\(prefix).observers", in: 0...1_000) ?? s.observers
        s.gateway = bool(table, "\(prefix).gateway") ?? s.gateway
        s.residents = integer(table, "\(prefix).residents", in: 1...20_000) ?? s.residents
        s.link = linkClass(table, "\(prefix).link") ?? s.link
        return s
    }

    mutating func workload(_ table: TOMLTable?, _ prefix: String, base: CityPlan.Workload) -> CityPlan.Workload {
        var w = base
        w.recordsPerDay = number(table, "\(prefix).records_per_day", in: 0...10_000_000) ?? w.recordsPerDay
        if let text = string(table, "\(prefix).rhythm") {
            if let rhythm = CityPlan.Rhythm(rawValue: text) { w.rhythm = rhythm } else { problem("\(prefix).rhythm", "'\(text)' is not daily or flat") }
        }
        w.ballotTurnout = number(table, "\(prefix).ballot_turnout", in: 0...1) ?? w.ballotTurnout
        if let raw = table?["mix"] {
            guard let mix = raw.table else {
                problem("\(prefix).mix", "expected a table such as { service_request = 0.5, notice = 0.5 }, found \(raw.type)")
                return w
            }
            var shares: [CityPlan.RecordKind: Double] = [:]
            for (key, value) in mix {
                guard let kind = CityPlan.RecordKind(rawValue: key) else {
                    problem("\(prefix).mix.\(key)", "not a record kind (known: \(CityPlan.RecordKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                guard let share = value.double ?? value.int.map(Double.init), share >= 0 else {
                    problem("\(prefix).mix.\(key)", "expected a share of at least 0")
                    continue
                }
                shares[kind] = share
            }
            if shares.values.reduce(0, +) <= 0 { problem("\(prefix).mix", "the shares add up to nothing") } else { w.mix = shares }
        }
        return w
    }
}
