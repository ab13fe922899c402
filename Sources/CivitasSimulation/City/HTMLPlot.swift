import Foundation

/// A map from data to pixels along one axis: linear from a nice range, or
/// logarithmic (powers of ten) when the figures span more than two decades
/// — latencies do. Never divides by zero: an empty or flat range becomes 0...1.
struct PlotScale {
    let low: Double
    let high: Double
    let from: Double
    let to: Double
    let logarithmic: Bool
    let ticks: [Double]

    /// A scale that shows every finite value of `values` (and 0, unless logarithmic).
    init(covering values: [Double], pixels: ClosedRange<Double>, reversed: Bool = false, allowLog: Bool = false, maximum: Double? = nil) {
        let finite = values.filter(\.isFinite)
        let top = maximum ?? finite.max() ?? 0
        let positive = finite.filter { $0 > 0 }
        from = reversed ? pixels.upperBound : pixels.lowerBound
        to = reversed ? pixels.lowerBound : pixels.upperBound
        if allowLog, let smallest = positive.min(), top > 0, top / smallest > 100 {
            let lowDecade = floor(log10(smallest)), highDecade = max(ceil(log10(top)), lowDecade + 1)
            let ceiling = pow(10, highDecade)
            low = pow(10, lowDecade)
            high = ceiling
            logarithmic = true
            let multiples: [Double] = highDecade - lowDecade <= 2 ? [1, 2, 5] : [1]
            ticks = stride(from: lowDecade, through: highDecade, by: 1).flatMap { d in multiples.map { $0 * pow(10, d) } }.filter { $0 <= ceiling }
        } else {
            let step = Self.niceStep((top > 0 ? top : 1) / 5)
            low = 0
            high = max(step, (top / step).rounded(.up) * step)
            logarithmic = false
            ticks = stride(from: 0, through: high + step / 2, by: step).map { $0 }
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for m in [1.0, 2, 5, 10] where m * power >= rough { return m * power }
        return 10 * power
    }

    /// 1, 2 or 5 times a power of ten, at most `rough` (1 if `rough` is not a positive number).
    static func niceFloor(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for m in [5.0, 2] where m * power <= rough { return m * power }
        return power
    }

    func callAsFunction(_ value: Double) -> Double {
        guard value.isFinite else { return from }
        let t: Double
        if logarithmic {
            t = (log10(max(value, low)) - log10(low)) / (log10(high) - log10(low))
        } else {
            t = (value - low) / (high - low)
        }
        return from + (to - from) * min(max(t, 0), 1)
    }
}

/// One chart as an `<svg>`: a stable id, how many series it drew
/// (`data-series`), a title for screen readers, and its elements.
struct SVGChart {
    static let width = 760.0
    let id: String
    let title: String
    var height: Double
    var series = 0
    var elements: [String] = []

    init(id: String, title: String, height: Double) {
        self.id = id
        self.title = title
        self.height = height
    }

    mutating func add(_ element: String) { elements.append(element) }

    func render() -> String {
        """
        <svg id="\(id)" data-series="\(series)" viewBox="0 0 \(HTMLText.coord(Self.width)) \(HTMLText.coord(height))" \
        role="img" aria-label="\(HTMLText.escape(title))" preserveAspectRatio="xMidYMin meet">
        <title>\(HTMLText.escape(title))</title>
        \(elements.joined(separator: "\n"))
        </svg>
        """
    }

    /// Text at (x, y); `anchor` is start, middle or end.
    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", cssClass: String = "label") -> String {
        "<text x=\"\(HTMLText.coord(x))\" y=\"\(HTMLText.coord(y))\" text-anchor=\"\(anchor)\" class=\"\(cssClass)\">\(HTMLText.escape(content))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cssClass: String) -> String {
        "<line x1=\"\(HTMLText.coord(x1))\" y1=\"\(HTMLText.coord(y1))\" x2=\"\(HTMLText.coord(x2))\" y2=\"\(HTMLText.coord(y2))\" class=\"\(cssClass)\"/>"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, title: String? = nil) -> String {
        let shape = "<rect x=\"\(HTMLText.coord(x))\" y=\"\(HTMLText.coord(y))\" width=\"\(HTMLText.coord(max(w, 0)))\" height=\"\(HTMLText.coord(max(h, 0)))\" fill=\"\(fill)\""
        guard let title else { return shape + "/>" }
        return shape + "><title>\(HTMLText.escape(title))</title></rect>"
    }

    /// A series through `points` (pixels): a polyline, or a dot if it has one point.
    static func series(_ points: [(Double, Double)], colour: String, dashed: Bool = false, title: String) -> String {
        let label = "<title>\(HTMLText.escape(title))</title>"
        if points.count == 1 {
            return "<circle cx=\"\(HTMLText.coord(points[0].0))\" cy=\"\(HTMLText.coord(points[0].1))\" r=\"3.5\" fill=\"\(colour)\">\(label)</circle>"
        }
        let list = points.map { "\(HTMLText.coord($0.0)),\(HTMLText.coord($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(colour)\" class=\"series\(dashed ? " dashed" : "")\">\(label)</polyline>"
    }

    /// A chart with nothing to draw: a short band that says so (`data-series` 0).
    static func empty(id: String, title: String, message: String = "no data") -> String {
        var chart = SVGChart(id: id, title: title, height: 64)
        chart.add(text(width / 2, 38, message, anchor: "middle", cssClass: "empty"))
        return chart.render()
    }

    /// Draws what `draw` adds inside a `<g class="…">` (the legend's, so a reader of the page can tell it from the data).
    mutating func group(_ cssClass: String, _ draw: (inout SVGChart) -> Void) {
        let start = elements.count
        draw(&self)
        let inner = elements[start...].joined(separator: "\n")
        elements.removeSubrange(start...)
        add("<g class=\"\(cssClass)\">\n\(inner)\n</g>")
    }

    /// A legend from the left edge at `y`, wrapping to more rows: each entry a swatch and its name.
    /// Returns the height it took.
    @discardableResult
    mutating func legend(_ entries: [(name: String, colour: String, dashed: Bool)], x: Double, y: Double) -> Double {
        var cx = x, cy = y
        group("legend") { chart in
            for entry in entries {
                let width = 30 + Self.textWidth(entry.name)
                if cx > x, cx + width > Self.width - 8 {
                    cx = x
                    cy += 18
                }
                chart.add("<line x1=\"\(HTMLText.coord(cx))\" y1=\"\(HTMLText.coord(cy - 4))\" x2=\"\(HTMLText.coord(cx + 18))\" y2=\"\(HTMLText.coord(cy - 4))\" "
                    + "stroke=\"\(entry.colour)\" class=\"swatch\(entry.dashed ? " dashed" : "")\"/>")
                chart.add(Self.text(cx + 22, cy, entry.name))
                cx += width + 12
            }
        }
        return entries.isEmpty ? 0 : cy - y + 18
    }

    /// Roughly how wide `text` is at the labels' 12 px (wide characters count double).
    static func textWidth(_ text: String) -> Double {
        text.unicodeScalars.reduce(0) { $0 + ($1.value < 0x2E80 ? 7 : 13) }
    }

    /// Grid lines, tick labels and axis titles for a plot framed by `x` and `y`.
    mutating func axes(x: PlotScale, y: PlotScale, xTitle: String, yTitle: String,
                       xLabel: (Double) -> String, yLabel: (Double) -> String) {
        let left = min(x.from, x.to), right = max(x.from, x.to), top = min(y.from, y.to), bottom = max(y.from, y.to)
        for t in y.ticks {
            add(Self.line(left, y(t), right, y(t), cssClass: "grid"))
            add(Self.text(left - 6, y(t) + 4, yLabel(t), anchor: "end", cssClass: "tick"))
        }
        for t in x.ticks {
            add(Self.line(x(t), top, x(t), bottom, cssClass: "grid"))
            add(Self.text(x(t), bottom + 16, xLabel(t), anchor: "middle", cssClass: "tick"))
        }
        add(Self.line(left, bottom, right, bottom, cssClass: "axis"))
        add(Self.line(left, top, left, bottom, cssClass: "axis"))
        add(Self.text((left + right) / 2, bottom + 34, xTitle, anchor: "middle", cssClass: "axis-title"))
        add("<text transform=\"translate(14 \(HTMLText.coord((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis-title\">\(HTMLText.escape(yTitle))</text>")
    }
}

/// The colours: one per community (in the report's order, from a fixed
/// palette), the city's, and a share from green (1) through amber to red (0).
enum PlotColour {
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"]
    static let city = "#2b2d42"
    static let good = (r: 46.0, g: 158.0, b: 68.0)
    static let amber = (r: 242.0, g: 169.0, b: 0.0)
    static let bad = (r: 214.0, g: 45.0, b: 32.0)

    static func community(_ index: Int) -> String { palette[index % palette.count] }

    /// Green at 1, amber at ½, red at 0; grey if not a number.
    static func share(_ value: Double) -> String {
        guard value.isFinite else { return "#c8ccd2" }
        let v = min(max(value, 0), 1)
        let (a, b, t) = v >= 0.5 ? (amber, good, (v - 0.5) * 2) : (bad, amber, v * 2)
        func channel(_ x: Double, _ y: Double) -> String {
            let n = Int((x + (y - x) * t).rounded())
            let hex = Array("0123456789abcdef")
            return String([hex[n / 16], hex[n % 16]])
        }
        return "#" + channel(a.r, b.r) + channel(a.g, b.g) + channel(a.b, b.b)
    }

    /// A city link's colour by its health.
    static func health(_ health: String) -> String {
        switch health {
        case "ok": share(1)
        case "degraded": share(0.5)
        case "down": share(0)
        default: "#8d939c"
        }
    }
}
