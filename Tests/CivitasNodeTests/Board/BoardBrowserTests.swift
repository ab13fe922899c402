import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Testing

/// The community board in headless Chromium against a real node: what a
/// resident or an office sees and does, with keys that never leave the page.
/// Screenshots go to `CIVITAS_SCREENSHOTS` if set (docs/board/ holds the
/// committed ones), else to a scratch directory.
@Suite(.serialized) struct BoardBrowserTests {
    /// Ends the node and the browsers whatever the test did.
    static func with(_ name: String, offset: Int, _ body: (BoardCommunity) async throws -> Void) async throws {
        let community = try await BoardCommunity.start(name, offset: offset)
        do {
            try await body(community)
        } catch {
            await community.stop()
            throw error
        }
        await community.stop()
    }

    static let allVerified = """
        (() => { const all = [...document.querySelectorAll('main details.verify')];
          return all.length > 0 && all.every(d => d.dataset.verified === 'yes'); })()
        """

    static func viewReady(_ view: String) -> String {
        "document.body.dataset.view === '\(view)' && document.body.dataset.state === 'ready'"
    }

    /// Every request the page made went to the node it came from, and none carried a private key.
    static func expectOnlyOwnOrigin(_ page: BrowserPage, _ community: BoardCommunity, seeds: [String]) {
        let requests = page.requests()
        #expect(!requests.isEmpty)
        for r in requests {
            #expect(r.url.hasPrefix(community.url + "/"), "a request left the node's origin: \(r.method) \(r.url)")
            if let body = r.body {
                let hex = Hex.encode([UInt8](body))
                for seed in seeds { #expect(!hex.contains(seed), "a private key left the page in \(r.method) \(r.url)") }
            }
        }
    }

    static func screenshotDirectory() throws -> (path: String, keep: Bool) {
        if let dir = ProcessInfo.processInfo.environment["CIVITAS_SCREENSHOTS"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return (dir, true)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-board-shots-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir, false)
    }

    /// The width and height in a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        let b = [UInt8](data.prefix(24))
        guard b.count == 24, b[0..<8] == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] else { return nil }
        let w = b[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = b[20..<24].reduce(0) { $0 << 8 | Int($1) }
        return (w, h)
    }

    // MARK: - Reading

    @Test func theBoardShowsEveryKindByNameVerifiesItOnTheDeviceAndFitsAPhone() async throws {
        try await Self.with("read", offset: 0) { community in
            let now = Timestamp(Date().timeIntervalSince1970 * 1000)
            let accounts = try await community.record(.notice(Notice(category: .finance, title: "一季度账目", body: "收入 182,400 元。")), as: "committee")
            try await community.record(.notice(Notice(category: .finance, title: "一季度账目（更正）", body: "收入 182,500 元。",
                                                      supersedes: accounts.id)), as: "committee")
            try await community.record(.notice(Notice(category: .housingAffairs, title: "电梯年检", body: "周二 9:00-12:00 停用。")), as: "manager")
            let terms = ProposalTerms(title: "加装自行车棚", description: "在 2 号门旁。", options: ["同意", "反对"], eligibleRoles: RoleSet([.resident]),
                                      closing: .time(now + 3_600_000), quorumBasisPoints: 2_500, passBasisPoints: 5_001)
            let proposal = try await community.record(.proposal(Proposal(terms: terms)), as: "committee")
            try await community.record(.ballot(Ballot(proposal: proposal.id, choice: 0)), as: "li")
            let request = try await community.record(.serviceRequest(ServiceRequest(serviceCode: "elevator", description: "电梯门关不上",
                                                                                    location: "3号楼")), as: "wang")
            let lifts = community.pilot.members["lifts"]!.key.publicKey.subjectID
            try await community.record(.assignment(Assignment(request: request.id, provider: lifts, note: "加急")), as: "committee")
            try await community.record(.serviceResponse(ServiceResponse(request: request.id, status: .resolvedFixed, note: "更换门感应器")), as: "lifts")
            try await community.record(.closure(Closure(request: request.id, outcome: .closed, rating: 4, comment: "谢谢")), as: "wang")
            let wang = community.pilot.members["wang"]!.key.publicKey.subjectID
            try await community.record(.volunteerRecord(VolunteerRecord(volunteer: wang, activity: "探访老人", minutes: 120, day: 20_454)), as: "elders")

            let browser = try Chromium()
            defer { browser.shutDown() }
            let page = try await browser.newPage()
            try await page.go(community.url + "/")
            try await page.waitFor("document.body.dataset.selftest === 'ok' && document.body.dataset.state === 'ready'",
                                   describe: "document.body.dataset.selftest + ' ' + document.getElementById('selftest').innerText")
            #expect(try await page.string("document.documentElement.lang") == "zh-CN")
            #expect(try await page.string("document.querySelector('nav a').innerText") == "公告")

            // Notices: by name, with the correction trail, each version checked on the device.
            try await page.waitFor(Self.allVerified)
            let notices = try await page.string("document.querySelector('main').innerText")
            #expect(notices.contains("一季度账目（更正）") && notices.contains("更正记录（共 2 版）"))
            #expect(notices.contains("Residents' Committee（Community Centre）"))
            #expect(notices.contains("Greenleaf Property Management"))

            let views: [(String, [String])] = [
                ("proposals", ["加装自行车棚", "1 票（100%）", "选民 4 人"]),
                ("requests", ["电梯门关不上", "指派给 Steady Lift Maintenance Co.", "回复：已解决（已修复）", "评价并关闭 ★★★★☆", "Wang (resident)（Bldg 3-201）"]),
                ("providers", ["Steady Lift Maintenance Co.", "100%", "4.00 ★ (1)"]),
                ("points", ["Wang (resident)", "2.0", "20"]),
                ("blocks", ["区块 #", "服务请求"]),
            ]
            for (view, texts) in views {
                try await page.evaluate("location.hash = '\(view)'")
                try await page.waitFor(Self.viewReady(view))
                if view != "providers" && view != "points" { try await page.waitFor(Self.allVerified) }
                let text = try await page.string("document.querySelector('main').innerText")
                for t in texts { #expect(text.contains(t), "\(view) lacks '\(t)':\n\(text.prefix(1500))") }
                // People and offices by name: no subject ID or key in what is shown.
                #expect(text.range(of: "[0-9a-f]{32}", options: .regularExpression) == nil, "\(view) shows hex:\n\(text.prefix(1500))")
            }

            // English, switched in the page.
            try await page.click("#lang-button")
            try await page.waitFor("document.documentElement.lang === 'en' && document.querySelector('nav a').innerText === 'Notices'")
            try await page.waitFor("document.querySelector('main h2')?.innerText === 'Blocks'")

            // Phone and desktop: rendered, and no sideways scrolling on a phone.
            let (dir, keep) = try Self.screenshotDirectory()
            defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
            for (lang, langName) in [("zh", "zh"), ("en", "en")] {
                try await page.go(community.url + "/?lang=\(lang)#notices")
                try await page.waitFor("document.body.dataset.state === 'ready'")
                for (device, width, height, scale) in [("phone", 390, 844, 2.0), ("desktop", 1280, 900, 1.0)] {
                    try await page.viewport(width: width, height: height, scale: scale, mobile: device == "phone")
                    for view in ["notices", "proposals", "requests", "providers"] {
                        try await page.evaluate("location.hash = '\(view)'")
                        try await page.waitFor(Self.viewReady(view))
                        if view != "providers" { try await page.waitFor(Self.allVerified) }
                        let overflow = try await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as? Int ?? 0
                        #expect(overflow <= 0, "\(view) scrolls sideways by \(overflow) px at \(width) px")
                        let png = try await page.screenshot()
                        let size = Self.pngSize(png)
                        #expect(size?.0 == Int(Double(width) * scale) && size?.1 == Int(Double(height) * scale), "\(device) \(view): \(String(describing: size))")
                        #expect(png.count > 20_000, "\(device) \(view) looks blank (\(png.count) bytes)")
                        try png.write(to: URL(fileURLWithPath: "\(dir)/\(view)-\(device)-\(langName).png"))
                    }
                }
            }

            // Keyboard: the first Tab reaches the skip link; Enter on the key button opens the dialog, Escape closes it.
            try await page.viewport(width: 1280, height: 900)
            try await page.go(community.url + "/")
            try await page.waitFor("document.body.dataset.state === 'ready'")
            try await page.press("Tab", code: 9)
            #expect(try await page.string("document.activeElement.className") == "skip")
            try await page.evaluate("document.getElementById('key-button').focus()")
            try await page.press("Enter", code: 13)
            try await page.waitFor("document.getElementById('key-dialog').open")
            try await page.press("Escape", code: 27)
            try await page.waitFor("!document.getElementById('key-dialog').open")

            Self.expectOnlyOwnOrigin(page, community, seeds: [])
        }
    }
}
