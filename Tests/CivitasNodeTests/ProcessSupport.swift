import CivitasNode
import Foundation
import Logging
import ServiceLifecycle

/// Runs a program to its end without holding one of Swift's cooperative
/// threads: the wait happens on a thread of its own. A test that blocks the
/// cooperative pool while the program talks to a server in this process
/// (whose handlers need those threads) would starve it on a busy machine.
func runProgram(_ path: String, _ arguments: [String], in directory: String? = nil,
                environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
        }
    }
}

/// Runs `server` in a service group for the duration of `body`, then shuts
/// it down gracefully, as the node does: cancelling a server's task
/// outright can leave a connection's channel unfinished (NIO traps on that).
func withRunningServer<T: Sendable>(_ server: some Service, _ body: @Sendable () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test-server")))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        defer { tasks.cancelAll() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            while let next = try await tasks.next() { if next != nil { break } }
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}
