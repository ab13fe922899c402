import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// N `serf agent` processes on 127.0.0.1 with serf's default (LAN) settings:
/// distinct gossip (`-bind`) and RPC (`-rpc-addr`) ports, every agent but the
/// first joining the first. Each agent runs one event handler for user
/// events: a bash script that appends bash's `$EPOCHREALTIME` (read before
/// anything else), the agent's name, the event's name and the length of the
/// payload it received on stdin (serf adds a newline, which `read` drops) to
/// one shared file (one `write` with O_APPEND per line).
@MainActor final class SerfCluster {
    struct Receipt {
        var node: String
        var event: String
        var time: Int64
        var payloadBytes: Int
    }

    let count: Int
    let directory: String
    let serf: String
    let bindBase: Int
    let rpcBase: Int
    private(set) var processes: [Process] = []
    var receiptsPath: String { directory + "/receipts.log" }
    /// The agents' process IDs, one per line, so the run script can kill them even if this process dies.
    var pidsPath: String { directory + "/serf.pids" }

    init(count: Int, directory: String, serf: String, bindBase: Int, rpcBase: Int) {
        self.count = count
        self.directory = directory
        self.serf = serf
        self.bindBase = bindBase
        self.rpcBase = rpcBase
    }

    func rpc(_ i: Int) -> String { "127.0.0.1:\(rpcBase + i)" }

    func start() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let handler = directory + "/handler.sh"
        let script = """
            #!/bin/bash
            t=$EPOCHREALTIME
            IFS= read -r p
            printf '%s %s %s %s\\n' "$t" "$SERF_SELF_NAME" "$SERF_USER_EVENT" "${#p}" >> \(receiptsPath)

            """
        try script.write(toFile: handler, atomically: true, encoding: .utf8)
        chmod(handler, 0o755)
        _ = FileManager.default.createFile(atPath: receiptsPath, contents: nil)
        _ = FileManager.default.createFile(atPath: pidsPath, contents: nil)
        for i in 0..<count {
            var arguments = ["agent", "-node=serf-\(i)", "-bind=127.0.0.1:\(bindBase + i)", "-rpc-addr=\(rpc(i))",
                             "-event-handler=user=\(handler)", "-log-level=warn"]
            if i > 0 { arguments.append("-join=127.0.0.1:\(bindBase)") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: serf)
            process.arguments = arguments
            let logPath = directory + "/agent-\(i).log"
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = FileHandle(forWritingAtPath: logPath)
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            // LC_ALL=C: $EPOCHREALTIME uses the locale's decimal point.
            process.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C"]) { $1 }
            try process.run()
            processes.append(process)
            if let pids = FileHandle(forWritingAtPath: pidsPath) {
                pids.seekToEndOfFile()
                pids.write(Data("\(process.processIdentifier)\n".utf8))
                try? pids.close()
            }
            if i == 0 {
                // The others join the first: wait until it answers.
                let deadline = Date().addingTimeInterval(15)
                while aliveMembers(0) < 1 && Date() < deadline { usleep(50_000) }
            }
        }
    }

    /// The agents' process IDs.
    var pids: [Int32] { processes.map(\.processIdentifier) }

    /// Runs the serf command-line tool; returns its exit status and standard output.
    @discardableResult
    func command(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: serf)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Members agent `i` reports alive (itself included); 0 if it does not answer.
    func aliveMembers(_ i: Int) -> Int {
        let (status, output) = command(["members", "-status=alive", "-rpc-addr=\(rpc(i))"])
        guard status == 0 else { return 0 }
        return output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count
    }

    /// Sends a user event through agent `origin`; returns when the command started and ended.
    func fire(name: String, payload: String, origin: Int, coalesce: Bool) -> (start: Int64, end: Int64, status: Int32) {
        let start = realtimeNanos()
        let (status, _) = command(["event", "-coalesce=\(coalesce)", "-rpc-addr=\(rpc(origin))", name, payload])
        return (start, realtimeNanos(), status)
    }

    /// Every handler run so far.
    func receipts() -> [Receipt] {
        guard let text = try? String(contentsOfFile: receiptsPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 4, let length = Int(f[3]) else { return nil }
            let parts = f[0].split(separator: ".")
            guard parts.count == 2, let seconds = Int64(parts[0]), let micros = Int64(parts[1]) else { return nil }
            return Receipt(node: String(f[1]), event: String(f[2]), time: seconds * 1_000_000_000 + micros * 1_000,
                           payloadBytes: length)
        }
    }

    /// Receipts of one event, one per agent (the first if a handler ran twice).
    func receipts(of event: String) -> [String: Receipt] {
        var byNode: [String: Receipt] = [:]
        for r in receipts() where r.event == event && byNode[r.node] == nil { byNode[r.node] = r }
        return byNode
    }

    /// Stops every agent: SIGTERM, then SIGKILL for any still running after 3 s.
    func stop() {
        for p in processes where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(3)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        processes = []
    }
}
