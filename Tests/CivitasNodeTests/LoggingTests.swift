import CivitasNode
import Foundation
import Logging
import Synchronization
import Testing

@Suite struct LoggingTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var output: LogOutput { LogOutput { line in self.lines.withLock { $0.append(line) } } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func logfmtQuotesWhatNeedsIt() {
        let lines = Lines()
        var logger = Logger(label: "civitas.test", factory: { LogfmtLogHandler(label: $0, output: lines.output, level: .info) })
        logger[metadataKey: "peer"] = "10.0.0.2:7000"
        logger.info("block applied", metadata: ["height": "42", "note": "say \"hi\"\nbye"])
        logger.debug("not shown")
        #expect(lines.all.count == 1)
        let line = lines.all[0]
        #expect(line.hasPrefix("time="))
        #expect(line.contains(" level=info label=civitas.test msg=\"block applied\" height=42 note=\"say \\\"hi\\\"\\nbye\" peer=10.0.0.2:7000"))
    }

    @Test func jsonLinesAreJSON() throws {
        let lines = Lines()
        let logger = Logger(label: "civitas.test", factory: { JSONLogHandler(label: $0, output: lines.output, level: .trace) })
        logger.warning("disk \"nearly\" full", metadata: ["free": "4%", "list": ["a", "b"], "tab": "a\tb\u{1}"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["msg"] as? String == "disk \"nearly\" full")
        #expect(object["free"] as? String == "4%")
        #expect(object["list"] as? [String] == ["a", "b"])
        #expect(object["tab"] as? String == "a\tb\u{1}")
        #expect(object["label"] as? String == "civitas.test")
    }

    @Test func configurationPicksTheHandler() {
        let lines = Lines()
        let json = NodeLogging.makeHandler(format: .json, level: .info, output: lines.output)("x")
        #expect(json is JSONLogHandler)
        let logfmt = NodeLogging.makeHandler(format: .logfmt, level: .error, output: lines.output)("x")
        #expect(logfmt is LogfmtLogHandler && logfmt.logLevel == .error)
    }
}
