/// The city map: communities where the scenario places them (north up, to
/// scale, with a scale bar), sized by their nodes, and the city links
/// coloured by how they fared.
extension CityReport {
    func cityMap() -> String {
        let width = SVGChart.width, height = 440.0, margin = 70.0, bottomBand = 40.0
        let title = "City map: communities by position, city links by health"
        let placed = communities.filter { $0.xKm.isFinite && $0.yKm.isFinite }
        guard !placed.isEmpty else { return SVGChart.empty(id: "city-map", title: title, message: "no communities") }
        var map = SVGChart(id: "city-map", title: title, height: height)
        let xs = placed.map(\.xKm), ys = placed.map(\.yKm)
        let minX = xs.min() ?? 0, minY = ys.min() ?? 0
        let spanX = max((xs.max() ?? 0) - minX, 0.001), spanY = max((ys.max() ?? 0) - minY, 0.001)
        let boxWidth = width - 2 * margin, boxHeight = height - 2 * margin - bottomBand
        let pixelsPerKm = min(boxWidth / spanX, boxHeight / spanY, boxWidth)
        let offsetX = margin + (boxWidth - spanX * pixelsPerKm) / 2, offsetY = margin + (boxHeight - spanY * pixelsPerKm) / 2
        func point(_ c: Community) -> (x: Double, y: Double) {
            (offsetX + (c.xKm - minX) * pixelsPerKm, offsetY + (spanY - (c.yKm - minY)) * pixelsPerKm)
        }
        let position = Dictionary(placed.map { ($0.name, point($0)) }, uniquingKeysWith: { first, _ in first })

        var drawn = 0
        for link in links {
            guard let a = position[link.from], let b = position[link.to] else { continue }
            let colour = PlotColour.health(link.health)
            let about = "\(link.from) — \(link.to): \(link.linkClass), \(HTMLText.readable(link.latencyMillis)) ms, "
                + "\(HTMLText.readable(link.distanceKm)) km, \(link.health)"
            map.add("<g class=\"link\" data-health=\"\(HTMLText.escape(link.health))\"><title>\(HTMLText.escape(about))</title>"
                + "<line x1=\"\(HTMLText.coord(a.x))\" y1=\"\(HTMLText.coord(a.y))\" x2=\"\(HTMLText.coord(b.x))\" y2=\"\(HTMLText.coord(b.y))\" "
                + "stroke=\"\(colour)\" class=\"link-line\(link.health == "down" ? " dashed" : "")\"/>"
                + "<line x1=\"\(HTMLText.coord(a.x))\" y1=\"\(HTMLText.coord(a.y))\" x2=\"\(HTMLText.coord(b.x))\" y2=\"\(HTMLText.coord(b.y))\" class=\"hit\"/></g>")
            drawn += 1
        }
        for c in placed {
            let p = point(c), nodes = max(c.figures.nodes, 0)
            let r = min(10 + 3 * Double(nodes).squareRoot(), 40)
            let about = "\(c.name): \(nodes) nodes (\(c.validators.count) validators, \(c.observers) observers\(c.gateway ? ", a gateway" : "")), "
                + "\(c.linkClass) inside, \(HTMLText.percent(c.figures.availability)) available"
            map.add("<g class=\"community\"><title>\(HTMLText.escape(about))</title>"
                + "<circle cx=\"\(HTMLText.coord(p.x))\" cy=\"\(HTMLText.coord(p.y))\" r=\"\(HTMLText.coord(r))\" fill=\"\(colour(of: c.name))\" class=\"place\"/>"
                + SVGChart.text(p.x, p.y + r + 15, c.name, anchor: "middle", cssClass: "place-name")
                + SVGChart.text(p.x, p.y + r + 29, "\(nodes) nodes\(c.gateway ? " · gateway" : "")", anchor: "middle", cssClass: "place-note")
                + "</g>")
            drawn += 1
        }
        map.series = drawn

        // The legend: a scale bar of a round length (1, 2 or 5 times a power of ten, at most a quarter
        // of the width), and the links' colours.
        map.group("legend") { chart in
            let km = PlotScale.niceFloor(width / 4 / pixelsPerKm), bar = km * pixelsPerKm, y = height - 24
            chart.add(SVGChart.line(margin, y, margin + bar, y, cssClass: "scale"))
            chart.add(SVGChart.line(margin, y - 5, margin, y + 5, cssClass: "scale"))
            chart.add(SVGChart.line(margin + bar, y - 5, margin + bar, y + 5, cssClass: "scale"))
            chart.add(SVGChart.text(margin + bar / 2, y - 8, "\(HTMLText.short(km)) km", anchor: "middle", cssClass: "tick"))
            var x = width - 330
            for health in ["ok", "degraded", "down"] {
                chart.add("<line x1=\"\(HTMLText.coord(x))\" y1=\"\(HTMLText.coord(y))\" x2=\"\(HTMLText.coord(x + 22))\" y2=\"\(HTMLText.coord(y))\" "
                    + "stroke=\"\(PlotColour.health(health))\" class=\"link-line\(health == "down" ? " dashed" : "")\"/>")
                chart.add(SVGChart.text(x + 28, y + 4, "link \(health)"))
                x += 40 + SVGChart.textWidth("link \(health)")
            }
        }
        return map.render()
    }
}
