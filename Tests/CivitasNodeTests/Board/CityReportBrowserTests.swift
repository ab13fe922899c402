import CivitasSimulation
import Foundation
import Testing

/// `report.html` in headless Chromium, opened from the disk as a planner
/// opens it: every chart and the map drawn and laid out, the pixels of each
/// not blank and in the colours its series ask for, and not one request
/// beyond the file itself. The full-page screenshot is kept (its path is
/// printed; under `CIVITAS_SCREENSHOTS` if set).
@Suite(.serialized) struct CityReportBrowserTests {
    static let charts = ["chart-latency", "chart-propagation", "chart-bandwidth", "chart-availability", "chart-workload", "city-map"]

    /// Per chart: whether it is an `<svg>`, its `data-series`, its shapes, and where it is on the page; its marks
    /// (the shapes that draw data: not the legend, grid or axes), those with a size, the box they fill and their colours.
    static let layout = """
        JSON.stringify(\(BrowserPage.quote(charts.joined(separator: " "))).split(' ').map((id) => {
          const svg = document.getElementById(id);
          if (!svg) return { id, present: false };
          const box = svg.getBoundingClientRect();
          const shapes = [...svg.querySelectorAll('path, rect, circle, line, polyline, polygon')];
          const marks = shapes.filter((s) => !s.closest('.legend') && !s.matches('.grid, .axis, .hit'));
          const boxes = marks.map((s) => s.getBoundingClientRect()).filter((b) => b.width > 0 || b.height > 0);
          const colours = [...new Set(marks.map((s) => s.getAttribute(s.tagName === 'polyline' || s.tagName === 'line' ? 'stroke' : 'fill')))]
            .filter((c) => /^#[0-9a-f]{6}$/.test(c ?? ''));
          const left = Math.min(...boxes.map((b) => b.left)), right = Math.max(...boxes.map((b) => b.right));
          const top = Math.min(...boxes.map((b) => b.top)), bottom = Math.max(...boxes.map((b) => b.bottom));
          return { id, present: true, tag: svg.tagName, series: Number(svg.dataset.series), shapes: shapes.length, marks: marks.length,
                   sized: boxes.length, polylines: svg.querySelectorAll('polyline').length, circles: svg.querySelectorAll('circle').length,
                   links: svg.querySelectorAll('g.link').length, text: svg.textContent, colours,
                   x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height,
                   plot: boxes.length ? [left + scrollX, top + scrollY, right - left, bottom - top] : [0, 0, 0, 0] };
        }))
        """

    struct Chart: Decodable {
        let id: String
        let present: Bool
        var tag = "", text = ""
        var series = 0, shapes = 0, marks = 0, sized = 0, polylines = 0, circles = 0, links = 0
        var colours: [String] = []
        var x = 0.0, y = 0.0, width = 0.0, height = 0.0
        /// The box the marks fill: x, y, width, height.
        var plot = [0.0, 0.0, 0.0, 0.0]
    }

    /// What the pixels of a PNG hold: size, distinct colours, the share not white, and the pixels near each of `colours`.
    struct Pixels: Decodable {
        let width, height, colours: Int
        let ink: Double
        let hits: [Int]
    }

    /// Decodes `png` in `page` (a blank tab: Chromium's own PNG decoder and a canvas) and counts its pixels.
    static func pixels(_ png: Data, colours: [String], in page: BrowserPage) async throws -> Pixels {
        let json = try await page.string("""
            new Promise((resolve, reject) => {
              const image = new Image();
              image.onerror = () => reject(new Error('the screenshot is not an image'));
              image.onload = () => {
                const canvas = document.createElement('canvas');
                canvas.width = image.width; canvas.height = image.height;
                const g = canvas.getContext('2d');
                g.drawImage(image, 0, 0);
                const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
                const want = \(BrowserPage.quote(colours.joined(separator: " "))).split(' ').filter((c) => c)
                  .map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
                const hits = want.map(() => 0), seen = new Set();
                let ink = 0;
                for (let i = 0; i < d.length; i += 4) {
                  const r = d[i], gr = d[i + 1], b = d[i + 2];
                  seen.add((r << 16) | (gr << 8) | b);
                  if (r < 245 || gr < 245 || b < 245) ink++;
                  want.forEach((w, k) => { if (Math.abs(r - w[0]) + Math.abs(gr - w[1]) + Math.abs(b - w[2]) <= 30) hits[k]++; });
                }
                resolve(JSON.stringify({ width: canvas.width, height: canvas.height, colours: seen.size,
                                         ink: ink / Math.max(1, canvas.width * canvas.height), hits }));
              };
              image.src = 'data:image/png;base64,\(png.base64EncodedString())';
            })
            """)
        return try JSONDecoder().decode(Pixels.self, from: Data(json.utf8))
    }

    /// A PNG of the page's region `x, y, width, height` (CSS pixels, from the top of the document).
    static func screenshot(_ page: BrowserPage, x: Double, y: Double, width: Double, height: Double) async throws -> Data {
        let shot = try await page.command("Page.captureScreenshot", [
            "format": "png", "captureBeyondViewport": true,
            "clip": ["x": x, "y": y, "width": width, "height": height, "scale": 1],
        ])
        guard let text = shot["data"] as? String, let png = Data(base64Encoded: text) else { throw Chromium.Failure("no screenshot") }
        return png
    }

    @Test func theReportOpenedFromDiskDrawsEveryChartAndTheMapAndLoadsNothing() async throws {
        let hostile = "<b>&\"quoted\" 'lane'"
        let report = CityReport.sample(communities: ["lianhua-east", "hehua-north", "pine-row", hostile])
        let dir = ProcessInfo.processInfo.environment["CIVITAS_SCREENSHOTS"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-report-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = URL(fileURLWithPath: dir).appendingPathComponent("report.html")
        try Data(report.html().utf8).write(to: file)
        let url = file.absoluteString

        let browser = try Chromium()
        defer { browser.shutDown() }
        let page = try await browser.newPage()
        try await page.viewport(width: 1280, height: 900)
        try await page.go(url)
        try await page.waitFor("location.href === \(BrowserPage.quote(url)) && !!document.querySelector('main > footer')",
                               describe: "location.href + ' ' + document.documentElement.outerHTML.slice(0, 300)")

        // (a) Each chart and the map is an <svg> laid out with a size, with its series drawn as shapes that have a size.
        let charts = try JSONDecoder().decode([Chart].self, from: Data(try await page.string(Self.layout).utf8))
        let byID = Dictionary(uniqueKeysWithValues: charts.map { ($0.id, $0) })
        for chart in charts {
            #expect(chart.present && chart.tag == "svg", "\(chart.id) is missing")
            #expect(chart.series > 0 && chart.marks >= chart.series && chart.sized >= chart.series, "\(chart.id) drew too little: \(chart)")
            #expect(chart.width > 600 && chart.height > 150, "\(chart.id) is \(chart.width)×\(chart.height)")
        }
        // The four communities and the city's dashed line.
        #expect(byID["chart-latency"]?.polylines == 5 && byID["chart-propagation"]?.polylines == 5)
        #expect(byID["city-map"]?.circles == 4 && byID["city-map"]?.links == report.links.count)
        // Names from a scenario file are text, never markup.
        #expect(byID["city-map"]?.text.contains(hostile) == true)
        #expect(try await page.evaluate("document.querySelectorAll('main b').length") as? Int == 0)
        #expect(try await page.string("document.querySelector('h1').innerText") == "city-3")

        // (b) The screenshot: the whole page kept, and each chart's region decoded and counted.
        let metrics = try await page.command("Page.getLayoutMetrics")
        let content = metrics["cssContentSize"] as? [String: Any]
        let width = content?["width"] as? Double ?? 1280, height = content?["height"] as? Double ?? 900
        let full = try await Self.screenshot(page, x: 0, y: 0, width: width, height: height)
        #expect(BoardBrowserTests.pngSize(full).map { $0.0 == Int(width) && $0.1 == Int(height) } == true, "\(String(describing: BoardBrowserTests.pngSize(full)))")
        #expect(full.count > 100_000, "a page of charts in \(full.count) bytes")
        let shot = URL(fileURLWithPath: dir).appendingPathComponent("report.png")
        try full.write(to: shot)
        print("city report: \(file.path), screenshot: \(shot.path)")

        // Each chart's marks (its plot without the legend, which shows the same colours), taken while the
        // report's tab is in front (a tab behind draws no frames), then decoded in a blank tab of its own.
        let plotted = charts.filter { $0.plot[2] >= 1 && $0.plot[3] >= 1 }
        var shots: [Data] = []
        for chart in plotted {
            shots.append(try await Self.screenshot(page, x: chart.plot[0], y: chart.plot[1], width: chart.plot[2], height: chart.plot[3]))
            try shots[shots.count - 1].write(to: URL(fileURLWithPath: dir).appendingPathComponent("\(chart.id).png"))
        }
        #expect(plotted.count == charts.count, "a chart's marks fill no box: \(charts.map { "\($0.id) \($0.plot)" })")
        let canvas = try await browser.newPage()
        for (chart, png) in zip(plotted, shots) {
            let pixels = try await Self.pixels(png, colours: chart.colours, in: canvas)
            #expect(abs(pixels.width - Int(chart.plot[2].rounded())) <= 1, "\(chart.id)'s marks are \(chart.plot[2]) wide, their screenshot \(pixels.width)")
            #expect(pixels.colours > 20 && pixels.ink > 0.01, "\(chart.id) looks blank: \(pixels.colours) colours, \(pixels.ink) inked")
            // Every colour the chart's shapes ask for shows (and there is one for each series, up to the palette's first four).
            for (colour, hits) in zip(chart.colours, pixels.hits) {
                #expect(hits > 4, "\(chart.id): \(colour) is asked for but \(hits) pixels show it")
            }
            #expect(chart.colours.count >= min(chart.series, 4), "\(chart.id): colours \(chart.colours)")
        }

        // (c) Nothing left the page: the file itself was the one request, and the page knows of no other resource.
        #expect(try await page.evaluate("document.scripts.length + document.querySelectorAll('link, img, iframe, object, embed').length") as? Int == 0)
        #expect(try await page.evaluate("performance.getEntriesByType('resource').length") as? Int == 0)
        #expect(try await page.evaluate("[...document.styleSheets].every((s) => !s.href)") as? Bool == true)
        let requests = page.requests().map(\.url)
        #expect(requests == [url], "requests beyond the file, or none recorded: \(requests)")
    }
}
