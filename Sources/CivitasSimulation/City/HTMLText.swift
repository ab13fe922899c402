/// Text for the HTML report: escaped, and numbers written the same way on
/// every machine — digits, "." and "," placed by hand, no locale and no
/// `String(format:)` — and never "nan" or "inf" (a figure that is not
/// finite reads "–").
enum HTMLText {
    /// The characters that mean something in HTML, as entities.
    static let entities: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]

    /// `text` safe in element content and in a double- or single-quoted attribute.
    static func escape(_ text: String) -> String {
        text.unicodeScalars.reduce(into: "") { out, c in
            if let entity = entities[c] { out += entity } else { out.unicodeScalars.append(c) }
        }
    }

    /// `x` with `decimals` digits after the point (at most 6), thousands grouped with commas.
    static func number(_ x: Double, decimals: Int = 0, grouped: Bool = true) -> String {
        guard x.isFinite else { return "–" }
        var scale: UInt64 = 1
        for _ in 0..<max(0, min(decimals, 6)) { scale *= 10 }
        let magnitude = (x.magnitude * Double(scale)).rounded()
        // Beyond 2^53 the digits are not exact anyway; Swift's shortest form is fixed too.
        guard magnitude < 9.0e15 else { return "\(x.rounded())" }
        let m = UInt64(magnitude)
        let sign = x < 0 && m != 0 ? "-" : ""
        var whole = String(m / scale)
        if grouped, whole.count > 3 {
            var out = ""
            for (i, digit) in whole.enumerated() {
                if i > 0, (whole.count - i) % 3 == 0 { out.append(",") }
                out.append(digit)
            }
            whole = out
        }
        guard scale > 1 else { return sign + whole }
        let fraction = String(m % scale)
        return sign + whole + "." + String(repeating: "0", count: String(scale).count - 1 - fraction.count) + fraction
    }

    /// A figure to read: three significant digits or so (1,234 · 56.7 · 0.42), 0 as "0".
    static func readable(_ x: Double) -> String {
        guard x.isFinite else { return "–" }
        let a = x.magnitude
        if a == 0 { return "0" }
        return number(x, decimals: a >= 100 ? 0 : a >= 10 ? 1 : a >= 0.01 ? 2 : 4)
    }

    /// A tick's or a scale's label: `readable` without trailing zeros (0.5, 2, 10, 1,500).
    static func short(_ x: Double) -> String {
        var text = readable(x)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// An SVG coordinate: one decimal, no grouping; 0 if not finite.
    static func coord(_ x: Double) -> String {
        number(x.isFinite ? x : 0, decimals: 1, grouped: false)
    }

    /// A share (0...1) as a percentage: "99.5%".
    static func percent(_ share: Double, decimals: Int = 1) -> String {
        guard share.isFinite else { return "–" }
        return number(share * 100, decimals: decimals) + "%"
    }

    /// A count of bytes in decimal units: "950 B", "12.3 kB", "4.56 GB".
    static func bytes(_ n: Double) -> String {
        guard n.isFinite else { return "–" }
        let (divisor, unit) = byteUnit(n)
        return readable(n / divisor) + " " + unit
    }

    /// The decimal unit that writes `n` bytes with at most three digits before the point.
    static func byteUnit(_ n: Double) -> (divisor: Double, unit: String) {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var divisor = 1.0, index = 0
        while index < units.count - 1, n.magnitude >= divisor * 1_000 {
            divisor *= 1_000
            index += 1
        }
        return (divisor, units[index])
    }

    /// Whole seconds as a duration: "45 s", "10 min", "2 h 5 min", "3 d 4 h".
    static func duration(seconds: UInt64) -> String {
        let d = seconds / 86_400, h = seconds % 86_400 / 3_600, m = seconds % 3_600 / 60, s = seconds % 60
        let parts = [(d, "d"), (h, "h"), (m, "min"), (s, "s")].drop { $0.0 == 0 }.prefix(2).filter { $0.0 > 0 }
        return parts.isEmpty ? "0 s" : parts.map { "\($0.0) \($0.1)" }.joined(separator: " ")
    }
}
