public import Foundation

/// Starting and stopping the nodes' `civitas node run` processes.
extension PilotCommunity {
    /// Starts node `i`; its output goes to node.log in its directory.
    public func start(_ i: Int) throws {
        let node = nodes[i]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["node", "run", "--config", node.directory + "/node.toml"]
        let log = node.directory + "/node.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        state.withLock { $0.processes[i] = process }
    }

    public func startAll() throws {
        for i in nodes.indices { try start(i) }
    }

    /// Kills (SIGKILL) every node still running and waits for each to exit:
    /// what a test defers, so that no node outlives a failure to hold its
    /// ports against the next run. `stopAll` is the graceful way.
    public func killAll() {
        let processes = state.withLock { state in
            defer { state.processes = [:] }
            return Array(state.processes.values)
        }
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Sends `signal` to node `i` (SIGTERM drains, SIGKILL is a crash) and waits for it to exit; returns its status.
    @discardableResult
    public func stop(_ i: Int, signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async -> Int32? {
        guard let process = state.withLock({ $0.processes.removeValue(forKey: i) }) else { return nil }
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// Stops every node gracefully; returns the exit statuses.
    public func stopAll() async -> [Int32?] {
        var statuses: [Int32?] = []
        for i in nodes.indices { statuses.append(await stop(i)) }
        return statuses
    }

    /// Sends `signal` to node `i` if it runs (SIGHUP: reload certificates and trust), without waiting.
    public func signal(_ i: Int, _ signal: Int32) {
        guard let process = state.withLock({ $0.processes[i] }), process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    public func isRunning(_ i: Int) -> Bool { state.withLock { $0.processes[i]?.isRunning ?? false } }

    /// Node `i`'s process ID while it runs.
    public func processID(_ i: Int) -> Int32? { state.withLock { $0.processes[i]?.processIdentifier } }
}
