/// One problem in a configuration file, naming the key it concerns.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The key's full path, e.g. `network.listen` (empty for the file as a whole).
    public var key: String
    public var message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? message : "\(key): \(message)" }
}

/// Why a configuration file was refused: every problem found, one line each.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problems: [ConfigurationProblem]

    public init(path: String, problems: [ConfigurationProblem]) {
        self.path = path
        self.problems = problems
    }

    public var description: String {
        if problems.count == 1 { return "\(path): \(problems[0])" }
        return "\(path): \(problems.count) problems\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// The closest of `candidates` to `word` (edit distance at most 2), for "did you mean" hints.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
    let w = Array(word)
    let scored = candidates.map { ($0, distance(w, Array($0))) }.filter { $0.1 <= 2 }
    return scored.min { $0.1 < $1.1 }?.0
}
