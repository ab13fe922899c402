import CivitasCodec
import CivitasLedger
import CivitasNode
import CivitasPilot
import Foundation
import Testing

/// The community board in headless Chromium against a real node: what a
/// resident or an office sees and does, with keys that never leave the page.
/// Screenshots go to `CIVITAS_SCREENSHOTS` if set (docs/board/ holds the
/// committed ones), else to a scratch directory.
@Suite(.serialized) struct BoardBrowserTests {
    static let allVerified = """
        (() => { const all = [...document.querySelectorAll('main details.verify')];
          return all.length > 0 && all.every(d => d.dataset.verified === 'yes'); })()
        """

    static func viewReady(_ view: String) -> String {
        "document.body.dataset.view === '\(view)' && document.body.dataset.state === 'ready'"
    }

    /// Every request the page made went to the node it came from, and none carried a private key
    /// (a seed, as hex, in any request body).
    static func expectOnlyOwnOrigin(_ page: BrowserPage, _ community: BoardCommunity, seeds: [String]) {
        let requests = page.requests()
        #expect(!requests.isEmpty)
        // The seed check looks at every body that was sent.
        #expect(requests.filter { $0.method == "POST" }.allSatisfy { $0.body?.isEmpty == false }, "a POST body was not captured")
        // data: URLs never leave the device (Chromium's own date-picker icon is one).
        for r in requests where !r.url.hasPrefix("data:") {
            #expect(r.url.hasPrefix(community.url + "/"), "a request left the node's origin: \(r.method) \(r.url)")
            if let body = r.body {
                let hex = Hex.encode([UInt8](body))
                for seed in seeds { #expect(!hex.contains(seed), "a private key left the page in \(r.method) \(r.url)") }
            }
        }
    }

    /// What an accessibility checker would flag on the page as it stands: form controls
    /// without a label, images without alt text, buttons without a name, and text whose
    /// contrast with its background is under 4.5:1 (3:1 for large text, WCAG 2.1 AA).
    static let accessibilityProblems = """
        (() => {
          const problems = [];
          const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
            return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
          for (const el of document.querySelectorAll('input, select, textarea')) {
            if (el.type === 'hidden' || !visible(el)) continue;
            if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) problems.push('unlabelled ' + el.outerHTML.slice(0, 80));
          }
          for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) problems.push('image without alt ' + el.outerHTML.slice(0, 80));
          for (const el of document.querySelectorAll('button')) if (visible(el) && !el.innerText.trim() && !el.getAttribute('aria-label')) problems.push('unnamed button');
          const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
          const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
          const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c; } return [255, 255, 255]; };
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const seen = new Set();
          for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const el = t.parentElement;
            if (!t.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
            seen.add(el);
            const cs = getComputedStyle(el);
            const a = lum(rgb(cs.color)), b = lum(background(el));
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
            const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
            if (ratio < needed) problems.push('contrast ' + ratio.toFixed(2) + ' for "' + t.textContent.trim().slice(0, 30) + '"');
          }
          return problems.join('\\n');
        })()
        """

    static func screenshotDirectory() throws -> (path: String, keep: Bool) {
        if let dir = ProcessInfo.processInfo.environment["CIVITAS_SCREENSHOTS"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return (dir, true)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-board-shots-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir, false)
    }

    /// Writes a screenshot of `page` as `name`.png into `dir`, after checking it is a PNG.
    static func capture(_ page: BrowserPage, _ name: String, in dir: String) async throws {
        let png = try await page.screenshot()
        #expect(pngSize(png) != nil, "\(name) is not a PNG")
        try png.write(to: URL(fileURLWithPath: "\(dir)/\(name).png"))
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
        try await BoardCommunity.with("read", offset: 0) { community in
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
            let lifts = try community.pilot.key("lifts").publicKey.subjectID
            try await community.record(.assignment(Assignment(request: request.id, provider: lifts, note: "加急")), as: "committee")
            try await community.record(.serviceResponse(ServiceResponse(request: request.id, status: .resolvedFixed, note: "更换门感应器")), as: "lifts")
            try await community.record(.closure(Closure(request: request.id, outcome: .closed, rating: 4, comment: "谢谢")), as: "wang")
            let wang = try community.pilot.key("wang").publicKey.subjectID
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
                // Electorate, quorum, pass threshold, closing time and the live tally.
                ("proposals", ["加装自行车棚", "选民 4 人", "法定参与率 25%", "通过需 50.01%", " 截止", "1 票（100%）"]),
                ("requests", ["电梯门关不上", "指派给 Steady Lift Maintenance Co.", "回复：已解决（已修复）", "评价并关闭 ★★★★☆", "Wang (resident)（Bldg 3-201）"]),
                ("providers", ["Steady Lift Maintenance Co.", "平均首次响应", "平均解决用时", "解决率", "超时次数", "平均评分", "100%", "4.00 ★ (1)"]),
                ("points", ["Wang (resident)", "2.0", "20"]),
                ("blocks", ["区块 #", "服务请求"]),
            ]
            for (view, texts) in views {
                try await page.evaluate("location.hash = '\(view)'")
                try await page.waitFor(Self.viewReady(view))
                if view != "providers" && view != "points" { try await page.waitFor(Self.allVerified) }
                let text = try await page.string("document.querySelector('main').innerText")
                for t in texts { #expect(text.contains(t), "\(view) lacks '\(t)':\n\(text.prefix(1500))") }
                #expect(try await page.string(Self.accessibilityProblems) == "", "\(view)")
                // People and offices by name: no subject ID or key in what is shown.
                #expect(text.range(of: "[0-9a-f]{32}", options: .regularExpression) == nil, "\(view) shows hex:\n\(text.prefix(1500))")
            }

            // The audit itself notices what it looks for (a pale line, a field without a label).
            let planted = try await page.string("""
                (() => { const p = document.createElement('p'); p.textContent = 'pale'; p.style.color = '#bbbbbb';
                  const i = document.createElement('input'); i.type = 'text'; document.querySelector('main').append(p, i);
                  const found = \(Self.accessibilityProblems); p.remove(); i.remove(); return found; })()
                """)
            #expect(planted.contains("contrast") && planted.contains("unlabelled"), "\(planted)")

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

            // What "verified on this device" checked, opened.
            try await page.go(community.url + "/?lang=en#notices")
            try await page.waitFor(Self.allVerified)
            try await page.click("main details.verify > summary")
            try await page.waitFor("document.querySelector('main details.verify[open] .proof li')")
            try await Self.capture(page, "verified-desktop-en", in: dir)

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

            // Opened by a name other than localhost over plain HTTP the browser withholds WebCrypto:
            // the page still reads, and says why it can neither verify nor sign.
            let port = community.url.split(separator: ":").last.map(String.init) ?? ""
            let lan = try Chromium(arguments: ["--host-resolver-rules=MAP board.lan 127.0.0.1"])
            defer { lan.shutDown() }
            let insecure = try await lan.newPage()
            try await insecure.go("http://board.lan:\(port)/#notices")
            try await insecure.waitFor("document.body.dataset.selftest === 'insecure' && document.body.dataset.state === 'ready'"
                                       + " && document.querySelectorAll('main details.verify[data-verified=no]').length > 0")
            #expect(try await insecure.string("document.getElementById('alert').innerText").contains("HTTPS"))
            #expect(try await insecure.string("document.querySelector('main').innerText").contains("一季度账目（更正）"))
        }
    }

    // MARK: - Acting

    /// Opens `member`'s key file in the page's key dialog (optionally keeping a passphrase-protected copy).
    static func openKey(_ page: BrowserPage, _ community: BoardCommunity, _ member: String, passphrase: String? = nil) async throws {
        if try await page.evaluate("!!window.civitasBoard?.state.me") as? Bool == true { try await page.click("#key-button") }
        try await page.waitFor("document.body.dataset.state === 'ready' && !window.civitasBoard.state.me && document.body.dataset.renderedFor === ''")
        try await page.click("#key-button")
        try await page.waitFor("document.getElementById('key-dialog').open")
        try await page.chooseFile("#key-file", community.keyFile(member))
        if let passphrase {
            try await page.click("#key-remember")
            try await page.type("#key-passphrase", passphrase)
        }
        try await page.click("#key-open")
        try await page.waitFor("!document.getElementById('key-dialog').open && !!window.civitasBoard.state.me"
                               + " && document.body.dataset.renderedFor === window.civitasBoard.state.me.subject.id",
                               describe: "document.getElementById('key-status').innerText")
    }

    /// Clicks `button` and waits for the action's outcome; returns the result line.
    @discardableResult
    static func act(_ page: BrowserPage, click button: String, expect outcome: String = "good") async throws -> String {
        let before = try await page.string("document.getElementById('result').dataset.seq || '0'")
        try await page.click(button)
        try await page.waitFor("(document.getElementById('result').dataset.seq || '0') !== '\(before)'", timeout: .seconds(40),
                               describe: "document.getElementById('result').innerText")
        let text = try await page.string("document.getElementById('result').innerText")
        #expect(try await page.string("document.getElementById('result').dataset.outcome") == outcome, "\(button): \(text)")
        return text
    }

    static func go(_ page: BrowserPage, _ view: String) async throws {
        try await page.evaluate("location.hash = '\(view)'")
        try await page.waitFor(viewReady(view))
    }

    @Test func residentsAndOfficesActFromTheBrowserAndTheRulesRefusalsShowTheirReason() async throws {
        try await BoardCommunity.with("act", offset: 1) { community in
            // Two browser profiles: Wang's phone, and the office's desktop (where the committee and the lift company sign in turn).
            let phone = try Chromium()
            defer { phone.shutDown() }
            let office = try Chromium()
            defer { office.shutDown() }
            let (dir, keep) = try Self.screenshotDirectory()
            defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
            let wang = try await phone.newPage()
            try await wang.viewport(width: 390, height: 844, scale: 2, mobile: true)
            try await wang.go(community.url + "/#requests")
            try await wang.waitFor("document.body.dataset.selftest === 'ok' && document.body.dataset.state === 'ready'")
            let desk = try await office.newPage()
            try await desk.go(community.url + "/#requests")
            try await desk.waitFor(Self.viewReady("requests"))

            // Wang opens his key file, keeping a passphrase-protected copy, and files a service request.
            try await Self.openKey(wang, community, "wang", passphrase: "lotus-pond-2026")
            try await Self.go(wang, "requests")
            try await wang.click("details[data-key='composer-newRequest'] > summary")
            try await wang.type("#request-description", "电梯门关不上，困住过人。")
            try await wang.type("#request-location", "3号楼 2 单元")
            try await wang.evaluate("document.querySelector(\"details[data-key='composer-newRequest']\").scrollIntoView()")
            try await Self.capture(wang, "request-form-phone-zh", in: dir)
            #expect(try await wang.string(Self.accessibilityProblems) == "", "the request form on a phone")
            let filed = try await Self.act(wang, click: "details[data-key='composer-newRequest'] button[type=submit]")
            #expect(filed.contains("已记录在区块"))
            try await wang.waitFor("document.querySelector('main li.card h3')?.innerText === '电梯门关不上，困住过人。'")
            // The office's open page hears of it by server-sent events, without reloading.
            try await desk.waitFor("[...document.querySelectorAll('main li.card h3')].some(h => h.innerText === '电梯门关不上，困住过人。')")
            #expect(try await desk.string("document.querySelector('main li.card').innerText").contains("Wang (resident)"))

            // The committee assigns it to the lift company; the company answers it as fixed.
            try await Self.openKey(desk, community, "committee")
            try await Self.go(desk, "requests")
            let requestID = try await desk.string("document.querySelector('main li.card').dataset.id")
            try await desk.click("details[data-key='assign-\(requestID)'] > summary")
            try await desk.evaluate("""
                (() => { const s = document.querySelector("details[data-key='assign-\(requestID)'] select");
                  s.value = [...s.options].find(o => o.text.startsWith('Steady Lift')).value; })()
                """)
            try await Self.act(desk, click: "details[data-key='assign-\(requestID)'] button[type=submit]")
            try await Self.openKey(desk, community, "lifts")
            try await Self.go(desk, "requests")
            try await desk.click("details[data-key='respond-\(requestID)'] > summary")
            try await desk.evaluate("document.querySelector(\"details[data-key='respond-\(requestID)'] select\").value = 'resolvedFixed'")
            try await desk.type("details[data-key='respond-\(requestID)'] textarea", "更换了门感应器。")
            try await Self.act(desk, click: "details[data-key='respond-\(requestID)'] button[type=submit]")

            // Wang rates and closes it: the timeline runs from request to rated closure.
            try await wang.waitFor("document.querySelector(\"details[data-key='close-\(requestID)']\")")
            try await wang.click("details[data-key='close-\(requestID)'] > summary")
            try await wang.click("details[data-key='close-\(requestID)'] input[value='5']")
            try await Self.act(wang, click: "details[data-key='close-\(requestID)'] button[type=submit]:not([value])")
            try await wang.waitFor("document.querySelector('main li.card').dataset.status === 'closed'")
            let timeline = try await wang.string("document.querySelector('main ol.timeline').innerText")
            for step in ["提出请求", "指派给 Steady Lift Maintenance Co.", "回复：已解决（已修复）", "评价并关闭 ★★★★★"] {
                #expect(timeline.contains(step), "timeline lacks \(step): \(timeline)")
            }
            try await wang.evaluate("document.querySelector('main ol.timeline').scrollIntoView()")
            try await Self.capture(wang, "request-closed-phone-zh", in: dir)

            // The committee publishes a notice and corrects it: the trail keeps both versions.
            try await Self.openKey(desk, community, "committee")
            try await Self.go(desk, "notices")
            try await desk.click("details[data-key='composer-publishNotice'] > summary")
            try await desk.evaluate("document.getElementById('notice-category').value = 'finance'")
            try await desk.type("#notice-title", "三季度维修基金")
            try await desk.type("#notice-body", "支出 61,200 元。")
            #expect(try await desk.string(Self.accessibilityProblems) == "", "notices with the composer open")
            try await Self.act(desk, click: "details[data-key='composer-publishNotice'] button[type=submit]")
            try await desk.waitFor("document.querySelector('main li.card h3')?.innerText === '三季度维修基金'")
            try await desk.click("main li.card button.secondary")
            try await desk.waitFor("document.getElementById('correction-title')?.value === '三季度维修基金'")
            try await desk.type("#correction-body", "支出 61,020 元。")
            try await Self.act(desk, click: "details[data-key='composer-correctNotice'] button[type=submit]")
            try await desk.waitFor("document.querySelector('main li.card')?.innerText.includes('更正记录（共 2 版）')")
            try await desk.waitFor(Self.allVerified)

            // The committee opens a proposal from the page; Wang's ballot is counted in the live tally.
            try await Self.go(desk, "proposals")
            try await desk.click("details[data-key='composer-openProposal'] > summary")
            try await desk.type("#proposal-title", "周末开放活动室")
            try await desk.type("#proposal-description", "周六、周日 9:00-17:00。")
            try await desk.evaluate("""
                (() => { const d = new Date(Date.now() + 3600e3);
                  document.getElementById('proposal-closes').value = new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); })()
                """)
            try await Self.act(desk, click: "details[data-key='composer-openProposal'] button[type=submit]")
            try await Self.go(wang, "proposals")
            try await wang.waitFor("document.querySelector('main li.card h3')?.innerText === '周末开放活动室'")
            let proposalID = try await wang.string("document.querySelector('main li.card').dataset.id")
            try await wang.click("details[data-key='vote-\(proposalID)'] > summary")
            try await wang.click("details[data-key='vote-\(proposalID)'] input[value='0']")
            try await Self.act(wang, click: "details[data-key='vote-\(proposalID)'] button[type=submit]")
            try await wang.waitFor("document.querySelector('main .count[data-option=\"0\"]')?.innerText === '1 票（100%）'")
            try await desk.waitFor("document.querySelector('main .count[data-option=\"0\"]')?.innerText === '1 票（100%）'")

            // The lift company is not in the residents' electorate: the page shows the rules' reason, with names for IDs.
            try await Self.openKey(desk, community, "lifts")
            try await Self.go(desk, "proposals")
            try await desk.click("details[data-key='vote-\(proposalID)'] > summary")
            try await desk.click("details[data-key='vote-\(proposalID)'] input[value='1']")
            let refused = try await Self.act(desk, click: "details[data-key='vote-\(proposalID)'] button[type=submit]", expect: "error")
            #expect(refused.contains("节点拒绝了此操作") && refused.contains("is not in the electorate of proposal «周末开放活动室»"), "\(refused)")
            #expect(refused.contains("Steady Lift Maintenance Co.") && refused.range(of: "[0-9a-f]{32}", options: .regularExpression) == nil)
            #expect(try await desk.string("document.querySelector('main .count[data-option=\"1\"]')?.innerText") == "0 票（0%）")
            try await desk.viewport(width: 1280, height: 900)
            try await desk.evaluate("window.scrollTo(0, 0)")
            try await Self.capture(desk, "refused-desktop-zh", in: dir)

            // Wang's kept copy opens with its passphrase after a reload (and not with a wrong one).
            try await wang.go(community.url + "/?lang=en#proposals")
            try await wang.waitFor("document.body.dataset.state === 'ready'")
            try await wang.click("#key-button")
            try await wang.waitFor("document.querySelector('#saved-keys input[type=password]')")
            try await Self.capture(wang, "key-dialog-phone-en", in: dir)
            try await wang.type("#saved-keys input[type=password]", "not-the-passphrase")
            try await wang.click("#saved-keys button")
            try await wang.waitFor("document.querySelector('#saved-keys .status').innerText === 'Wrong passphrase.'", timeout: .seconds(60))
            try await wang.type("#saved-keys input[type=password]", "lotus-pond-2026")
            try await wang.click("#saved-keys button")
            try await wang.waitFor("!!window.civitasBoard.state.me && document.getElementById('me').innerText.includes('Wang (resident)')",
                                   timeout: .seconds(60))

            let seeds = ["wang", "committee", "lifts"].map { community.seed($0) }
            Self.expectOnlyOwnOrigin(wang, community, seeds: seeds)
            Self.expectOnlyOwnOrigin(desk, community, seeds: seeds)
        }
    }

    // MARK: - Endorsements and rewards

    @Test func aResidentsDraftOpensWithEndorsementsFromAnotherBrowserAndRewardsSpendPointsThatAddUp() async throws {
        try await BoardCommunity.with("endorse", offset: 2) { community in
            // 120 minutes at 10 points an hour: Wang holds 20 points.
            let wangID = try community.pilot.key("wang").publicKey.subjectID
            try await community.record(.volunteerRecord(VolunteerRecord(volunteer: wangID, activity: "楼道清洁", minutes: 120, day: 20_454)),
                                       as: "elders")
            let (dir, keep) = try Self.screenshotDirectory()
            defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
            let phone = try Chromium()
            defer { phone.shutDown() }
            let other = try Chromium()
            defer { other.shutDown() }
            let wang = try await phone.newPage()
            try await wang.viewport(width: 390, height: 844, scale: 2, mobile: true)
            try await wang.go(community.url + "/#proposals")
            try await wang.waitFor("document.body.dataset.selftest === 'ok' && document.body.dataset.state === 'ready'")
            let neighbour = try await other.newPage()
            try await neighbour.go(community.url + "/#proposals")
            try await neighbour.waitFor(Self.viewReady("proposals"))

            // Wang's proposal is recorded as a draft: a resident needs two endorsements.
            try await Self.openKey(wang, community, "wang")
            try await Self.go(wang, "proposals")
            try await wang.click("details[data-key='composer-proposeDraft'] > summary")
            try await wang.type("#proposal-title", "在 2 号门旁加装长椅")
            try await wang.evaluate("""
                (() => { const d = new Date(Date.now() + 3600e3);
                  document.getElementById('proposal-closes').value = new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); })()
                """)
            try await Self.act(wang, click: "details[data-key='composer-proposeDraft'] button[type=submit]")
            try await wang.waitFor("document.querySelector('main li.card[data-draft=yes] h3')?.innerText === '在 2 号门旁加装长椅'")
            let draftID = try await wang.string("document.querySelector('main li.card[data-draft=yes]').dataset.id")

            // Li and Zhao endorse it from another browser, each with their own key; the second endorsement opens it.
            try await neighbour.waitFor("!!document.querySelector(\"main li.card[data-id='\(draftID)']\")")
            for (n, resident) in ["li", "zhao"].enumerated() {
                try await Self.openKey(neighbour, community, resident)
                try await Self.go(neighbour, "proposals")
                if n == 0 {
                    // Wang is the proposer: his own page offers him no endorsement.
                    #expect(try await wang.evaluate("!document.querySelector(\"details[data-key='endorse-\(draftID)']\")") as? Bool == true)
                }
                try await neighbour.click("details[data-key='endorse-\(draftID)'] > summary")
                try await Self.act(neighbour, click: "details[data-key='endorse-\(draftID)'] button[type=submit]")
                if n == 0 {
                    try await wang.waitFor("document.querySelector(\"main li.card[data-id='\(draftID)'] .chip.category\")?.innerText === '已联署 1/2'")
                    try await Self.capture(wang, "draft-phone-zh", in: dir)
                }
            }
            // Wang's page hears of it: the draft is gone, the proposal is open with its endorsers.
            try await wang.waitFor("!document.querySelector('main li.card[data-draft=yes]') && !!document.querySelector(\"main li.card[data-id='\(draftID)']\")")
            let opened = try await wang.string("document.querySelector(\"main li.card[data-id='\(draftID)']\").innerText")
            #expect(opened.contains("表决中") && opened.contains("Li (resident)") && opened.contains("Zhao (resident)"), "\(opened)")
            try await wang.waitFor("document.querySelector(\"main li.card[data-id='\(draftID)'] details.verify\")?.dataset.verified === 'yes'")

            // The volunteers' organisation offers a reward; Wang spends his points on it.
            try await Self.openKey(neighbour, community, "elders")
            try await Self.go(neighbour, "points")
            try await neighbour.click("details[data-key='composer-offerReward'] > summary")
            try await neighbour.type("#reward-title", "周末电影票")
            try await neighbour.type("#reward-price", "15")
            try await neighbour.type("#reward-quantity", "2")
            try await Self.act(neighbour, click: "details[data-key='composer-offerReward'] button[type=submit]")
            try await Self.go(wang, "points")
            try await wang.waitFor("!!document.querySelector('main li.card[data-reward=yes]')")
            #expect(try await wang.string("document.querySelector('main .mine').innerText") == "您的积分：获得 20，已兑换 0，余额 20。")
            let rewardID = try await wang.string("document.querySelector('main li.card[data-reward=yes]').dataset.id")
            try await wang.click("details[data-key='redeem-\(rewardID)'] > summary")
            try await Self.act(wang, click: "details[data-key='redeem-\(rewardID)'] button[type=submit]")
            try await wang.waitFor("document.querySelector('main .mine')?.innerText === '您的积分：获得 20，已兑换 15，余额 5。'")
            // The supply adds up: issued 20 = redeemed 15 + outstanding 5, and the balances sum to 5.
            let figures = try await wang.evaluate("""
                [...document.querySelectorAll('main .supply dd')].map(d => d.dataset.figure + '=' + d.innerText).join(' ')
                """) as? String
            #expect(figures == "issued=20 redeemed=15 outstanding=5")
            #expect(try await wang.string("document.querySelector('main .supply').dataset.addsUp") == "yes")
            // A second one would cost more than he holds: refused, with the rules' reason.
            try await wang.click("details[data-key='redeem-\(rewardID)'] > summary")
            let refused = try await Self.act(wang, click: "details[data-key='redeem-\(rewardID)'] button[type=submit]", expect: "error")
            #expect(refused.contains("holds 5 points; reward «周末电影票» costs 15"), "\(refused)")
            try await wang.evaluate("document.querySelector('main .supply').scrollIntoView()")
            try await Self.capture(wang, "points-phone-zh", in: dir)
            // Both sides see the redemption.
            try await neighbour.waitFor("document.querySelector('main ul.redemptions')?.innerText.includes('Wang (resident)')")
            try await neighbour.viewport(width: 1280, height: 900)
            try await neighbour.evaluate("document.querySelector('main ul.redemptions').scrollIntoView({ block: 'center' })")
            try await Self.capture(neighbour, "redemptions-desktop-zh", in: dir)

            let seeds = ["wang", "li", "zhao", "elders"].map { community.seed($0) }
            Self.expectOnlyOwnOrigin(wang, community, seeds: seeds)
            Self.expectOnlyOwnOrigin(neighbour, community, seeds: seeds)
        }
    }
}
