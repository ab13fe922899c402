import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol through
/// `--remote-debugging-pipe` (JSON messages ending in a NUL byte on fds 3 and
/// 4), so the tests need no WebSocket client. One instance is one browser
/// profile (its own `--user-data-dir`: keys kept in one are not in another).
final class Chromium: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `CIVITAS_CHROMIUM`, or Debian's `chromium` (`make browser-deps` installs it).
    static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CIVITAS_CHROMIUM"] { return path }
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw Failure("headless Chromium is not installed: run `make browser-deps` (apt-get install -y chromium) or set CIVITAS_CHROMIUM")
    }

    let profile: String
    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let state = Mutex(State())
    private var reader: Thread?

    /// A DevTools answer (JSON objects are immutable once parsed).
    struct Answer: @unchecked Sendable {
        let object: [String: Any]
    }

    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<Answer, any Error>] = [:]
        var events: [(method: String, session: String?, params: Answer)] = []
        var closed = false
    }

    /// A fresh profile; `arguments` are added to the command line.
    init(arguments extra: [String] = []) throws {
        let binary = try Self.executable()
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-chromium-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var commands: [Int32] = [0, 0], answers: [Int32] = [0, 0]
        guard pipe(&commands) == 0, pipe(&answers) == 0 else { throw Failure("pipe() failed: errno \(errno)") }
        let arguments = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=\(profile)",
                         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-domain-reliability",
                         "--disable-client-side-phishing-detection", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
                         "--lang=zh-CN"] + extra + ["about:blank"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
        posix_spawn_file_actions_adddup2(&actions, answers[1], 4)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, profile + "/chromium.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in [commands[1], answers[0]] { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, binary, &actions, nil, &argv, environ)
        close(commands[0])
        close(answers[1])
        guard spawned == 0 else {
            close(commands[1]); close(answers[0])
            throw Failure("cannot start \(binary): posix_spawn error \(spawned)")
        }
        pid = child
        toBrowser = commands[1]
        fromBrowser = answers[0]
        let thread = Thread { [unowned self] in self.readLoop() }
        thread.name = "chromium-devtools"
        reader = thread
        thread.start()
    }

    deinit { shutDown() }

    /// Ends the browser and removes its profile.
    func shutDown() {
        let wasClosed = state.withLock { s in
            let was = s.closed
            s.closed = true
            return was
        }
        guard !wasClosed else { return }
        // The profile is thrown away, so nothing is lost by killing it outright; its
        // helper processes follow their parent. (Waiting for a graceful exit would block a thread.)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(toBrowser)
        try? FileManager.default.removeItem(atPath: profile)
    }

    private func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer += chunk[0..<n]
            while let end = buffer.firstIndex(of: 0) {
                let message = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                deliver(message)
            }
        }
        close(fromBrowser)
        let waiting = state.withLock { s in
            s.closed = true
            let w = s.waiting
            s.waiting = [:]
            return w
        }
        for (_, c) in waiting { c.resume(throwing: Failure("Chromium closed the DevTools pipe")) }
    }

    private func deliver(_ message: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any] else { return }
        if let id = object["id"] as? Int {
            let c = state.withLock { $0.waiting.removeValue(forKey: id) }
            if let error = object["error"] as? [String: Any] {
                c?.resume(throwing: Failure("DevTools error: \(error["message"] ?? error)"))
            } else {
                c?.resume(returning: Answer(object: object["result"] as? [String: Any] ?? [:]))
            }
        } else if let method = object["method"] as? String {
            let entry = (method: method, session: object["sessionId"] as? String, params: Answer(object: object["params"] as? [String: Any] ?? [:]))
            state.withLock { $0.events.append(entry) }
        }
    }

    /// Sends one DevTools command and waits for its answer.
    @discardableResult
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": params]
        if let session { message["sessionId"] = session }
        let id: Int = try state.withLock { s in
            guard !s.closed else { throw Failure("Chromium is closed") }
            defer { s.nextID += 1 }
            return s.nextID
        }
        message["id"] = id
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: message)) + [0]
        let answer = try await withThrowingTaskGroup(of: Answer.self) { group in
            group.addTask { try await self.exchange(id: id, bytes: bytes) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure("DevTools \(method) did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw Failure("no answer to \(method)") }
            return first
        }
        return answer.object
    }

    /// Writes one message and waits for the answer with its ID; cancellation ends the wait.
    private func exchange(id: Int, bytes: [UInt8]) async throws -> Answer {
        let fd = toBrowser
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Answer, any Error>) in
                guard !Task.isCancelled else { return c.resume(throwing: CancellationError()) }
                state.withLock { $0.waiting[id] = c }
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if n <= 0 {
                        state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: Failure("cannot write to Chromium: errno \(errno)"))
                        return
                    }
                    offset += n
                }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Events received so far with `method` (for `session`, if given).
    func events(_ method: String, session: String? = nil) -> [[String: Any]] {
        state.withLock { s in s.events.filter { $0.method == method && (session == nil || $0.session == session) }.map(\.params) }
            .map(\.object)
    }

    /// Opens a new page (tab) in this profile.
    func newPage() async throws -> BrowserPage {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure("no target ID") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure("no session ID") }
        let page = BrowserPage(browser: self, session: session)
        try await page.command("Page.enable")
        try await page.command("Runtime.enable")
        try await page.command("Network.enable")
        try await page.command("DOM.enable")
        return page
    }
}

/// One tab of a `Chromium`, with the steps a test takes: go to a URL, wait
/// for a condition in the page, click, type, choose a file, take a screenshot.
struct BrowserPage: Sendable {
    let browser: Chromium
    let session: String

    @discardableResult
    func command(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        try await browser.send(method, params, session: session)
    }

    func go(_ url: String) async throws {
        try await command("Page.navigate", ["url": url])
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    @discardableResult
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await command("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let detail = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? exception
            throw Chromium.Failure("page error: \(detail)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    func string(_ expression: String) async throws -> String { (try await evaluate(expression) as? String) ?? "" }

    /// Waits until `condition` (a JavaScript expression) is truthy: checked on
    /// every change of the document (a MutationObserver), not by sleeping.
    /// On timeout, fails with `describe`'s value from the page.
    @discardableResult
    func waitFor(_ condition: String, timeout: Duration = .seconds(30),
                 describe: String = "document.querySelector('main')?.innerText.slice(0, 1500)") async throws -> Any? {
        let ms = Int(timeout.components.seconds * 1000)
        let script = """
            new Promise((resolve) => {
              const test = () => { try { return (\(condition)); } catch (e) { return false; } };
              const done = (ok) => { observer.disconnect(); clearTimeout(timer); resolve(ok ? { ok: true, value: test() } : { ok: false }); };
              const observer = new MutationObserver(() => { if (test()) done(true); });
              observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
              const timer = setTimeout(() => done(false), \(ms));
              if (test()) done(true);
            })
            """
        let answer = try await evaluate(script) as? [String: Any]
        guard answer?["ok"] as? Bool == true else {
            let state = (try? await string("String(\(describe))")) ?? "?"
            throw Chromium.Failure("waited \(timeout) for \(condition)\n--- the page shows:\n\(state)")
        }
        return answer?["value"]
    }

    /// Clicks the centre of the first element matching `selector` with real mouse events
    /// (so it must be visible and on top there).
    func click(_ selector: String) async throws {
        let answer = try await evaluate("""
            (() => { const el = document.querySelector(\(Self.quote(selector))); if (!el) return 'absent';
              el.scrollIntoView({ block: 'center' }); const r = el.getBoundingClientRect();
              const x = r.left + r.width / 2, y = r.top + r.height / 2, hit = document.elementFromPoint(x, y);
              if (hit && (hit === el || el.contains(hit) || hit.control === el)) return [x, y];
              return 'covered by ' + (hit ? hit.outerHTML.slice(0, 120) : 'nothing') + ' at ' + [x, y, innerWidth, innerHeight].join(','); })()
            """)
        guard let box = answer as? [Double], box.count == 2 else {
            throw Chromium.Failure("cannot click \(selector): \(answer.map { "\($0)" } ?? "no answer")")
        }
        for type in ["mousePressed", "mouseReleased"] {
            try await command("Input.dispatchMouseEvent", ["type": type, "x": box[0], "y": box[1], "button": "left", "clickCount": 1])
        }
    }

    /// Focuses the element and types `text` into it as keyboard input would.
    func type(_ selector: String, _ text: String) async throws {
        try await evaluate("(() => { const el = document.querySelector(\(Self.quote(selector))); el.focus(); el.select?.(); })()")
        try await command("Input.insertText", ["text": text])
    }

    /// Presses a key (Tab, Enter, Escape) on whatever has focus.
    func press(_ key: String, code: Int) async throws {
        var down: [String: Any] = ["type": "keyDown", "key": key, "code": key, "windowsVirtualKeyCode": code]
        if key == "Enter" { down["text"] = "\r" }
        try await command("Input.dispatchKeyEvent", down)
        try await command("Input.dispatchKeyEvent", ["type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code])
    }

    /// Chooses `path` in the file input `selector`, as the file picker would.
    func chooseFile(_ selector: String, _ path: String) async throws {
        let document = try await command("DOM.getDocument", ["depth": 0])
        guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else { throw Chromium.Failure("no document") }
        let found = try await command("DOM.querySelector", ["nodeId": root, "selector": selector])
        guard let node = found["nodeId"] as? Int, node != 0 else { throw Chromium.Failure("no file input \(selector)") }
        try await command("DOM.setFileInputFiles", ["nodeId": node, "files": [path]])
    }

    /// Sets the viewport (a phone: 390 × 844 at 3×, mobile).
    func viewport(width: Int, height: Int, scale: Double = 1, mobile: Bool = false) async throws {
        try await command("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile])
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        let shot = try await command("Page.captureScreenshot", ["format": "png"])
        guard let text = shot["data"] as? String, let data = Data(base64Encoded: text) else { throw Chromium.Failure("no screenshot") }
        return data
    }

    /// Every request this page sent: URL, method and body bytes (if any).
    func requests() -> [(url: String, method: String, body: Data?)] {
        browser.events("Network.requestWillBeSent", session: session).compactMap { event in
            guard let request = event["request"] as? [String: Any], let url = request["url"] as? String else { return nil }
            var body: Data?
            if let entries = request["postDataEntries"] as? [[String: Any]] {
                body = entries.compactMap { ($0["bytes"] as? String).flatMap { Data(base64Encoded: $0) } }.reduce(Data(), +)
            } else if let text = request["postData"] as? String {
                body = Data(text.utf8)
            }
            return (url, request["method"] as? String ?? "", body)
        }
    }

    static func quote(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
