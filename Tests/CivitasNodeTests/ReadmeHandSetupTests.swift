import CivitasNode
import Foundation
import Testing

/// README.md's hand setup, run as written: a certificate authority, three
/// validators set up with `civitas init` and `civitas genesis`, started,
/// waited for, a notice committed and read back from another node, stopped,
/// and a stored chain verified. If the README changes, this runs the change.
@Suite(.serialized) struct ReadmeHandSetupTests {
    /// The shell block between README.md's hand-setup markers.
    static func block() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let begin = readme.range(of: "<!-- hand-setup:begin -->"), let end = readme.range(of: "<!-- hand-setup:end -->"),
              let open = readme.range(of: "```sh\n", range: begin.upperBound..<end.lowerBound),
              let close = readme.range(of: "```", range: open.upperBound..<end.lowerBound) else {
            throw PilotCommunity.Failure("README.md has no ```sh block between its hand-setup markers")
        }
        return String(readme[open.upperBound..<close.lowerBound])
    }

    @Test func theReadmesHandSetupRunsAsWritten() async throws {
        let script = try Self.block()
        let binary = try CivitasBinary.locate()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-readme-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = URL(fileURLWithPath: binary).deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["CIVITAS_PENDING_DIR"] = dir + "/pending"
        // -e: any failing command fails the setup, as it would stop a reader. Bounded: after 240 s
        // the shell is stopped, and its trap stops the nodes it started in the background.
        let guarded = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT TERM\n" + script
        let (status, text) = try await runProgram("/usr/bin/timeout", ["240", "/bin/bash", "-e", "-o", "pipefail", "-c", guarded],
                                                  in: dir, environment: environment)
        let logs = (1...3).map { (try? String(contentsOfFile: "\(dir)/v\($0)/node.log", encoding: .utf8)) ?? "" }
        #expect(status == 0, "the README's setup failed:\n\(text)\n--- node logs ---\n\(logs.joined(separator: "\n---\n").suffix(6_000))")
        #expect(text.contains("committed"), "the notice was not committed:\n\(text)")
        #expect(text.contains("Water off"), "another node does not serve the notice:\n\(text)")
        #expect(text.contains("result: OK"), "the stored chain did not verify:\n\(text)")
    }
}
