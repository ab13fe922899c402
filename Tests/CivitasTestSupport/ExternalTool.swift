public import Foundation

/// What an external program printed and returned.
public struct ToolResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs `path` with `arguments` and collects its output (the programs used print little to stderr).
public func runTool(_ path: String, _ arguments: [String]) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
}

/// A fresh scratch directory for one test, removed by the caller.
public func scratchDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("civitas-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

public func isExecutable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
