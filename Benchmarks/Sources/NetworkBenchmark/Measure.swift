import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Prints a line straight to standard output (unbuffered, so progress shows
/// through `tee` as it happens).
func print(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Wall-clock nanoseconds (CLOCK_REALTIME): the clock serf's event handlers
/// read through bash's `$EPOCHREALTIME`, so both sides share one time base.
func realtimeNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Sleeps until the wall clock reaches `nanos` (returns at once if it has).
func sleep(untilNanos nanos: Int64) async {
    let left = nanos - realtimeNanos()
    if left > 0 { try? await Task.sleep(for: .nanoseconds(left)) }
}

/// The loopback interface's transmit counters from /proc/net/dev. In the
/// network namespace the run script creates, only this benchmark's sockets
/// use `lo`, so they count exactly what the cluster under test sent,
/// including IP/TCP/UDP headers, TLS records, ACKs and retransmissions.
/// (On `lo` every packet is transmitted once and received once, so the
/// transmit side is the bytes sent.)
struct LoopbackCounters: Sendable {
    var bytes: Int64 = 0
    var packets: Int64 = 0

    static func read() -> LoopbackCounters {
        guard let text = try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8) else { return LoopbackCounters() }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "lo" else { continue }
            // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets …
            let fields = parts[1].split(separator: " ").compactMap { Int64($0) }
            guard fields.count >= 10 else { break }
            return LoopbackCounters(bytes: fields[8], packets: fields[9])
        }
        return LoopbackCounters()
    }

    static func - (a: LoopbackCounters, b: LoopbackCounters) -> LoopbackCounters {
        LoopbackCounters(bytes: a.bytes - b.bytes, packets: a.packets - b.packets)
    }
}

/// Counted application frames (Civitas only: `Transport.traffic`, the
/// plaintext frames with their 4-byte length prefix, before TLS).
struct FrameCounters: Sendable {
    var bytes: Int64 = 0
    var frames: Int64 = 0

    static func - (a: FrameCounters, b: FrameCounters) -> FrameCounters {
        FrameCounters(bytes: a.bytes - b.bytes, frames: a.frames - b.frames)
    }
}

/// One measured event.
struct EventResult: Sendable {
    var index: Int
    var origin: Int
    /// Seconds from the publish to the last of all nodes having it; nil if some never did within the window.
    var timeToAll: Double?
    /// Nodes that had it by the end of the window (the origin included).
    var reached: Int
    /// Seconds from the publish until half of the nodes had it.
    var timeToHalf: Double?
    var loopback: LoopbackCounters
    var frames: FrameCounters?
    /// Civitas: the most links a delivered copy crossed. Serf: nil.
    var maxHops: Int?
    /// Serf: seconds from starting the `serf event` command to the last handler (CLI start-up and RPC included).
    var fromCommand: Double?
    /// Civitas: the most frame bytes one node sent in the window.
    var busiestNodeFrameBytes: Int64? = nil
}

/// Everything measured for one system.
struct SystemResult: Sendable {
    var name: String
    var nodes: Int
    var convergeSeconds: Double
    var settleSeconds: Double
    var settleTrace: [Double]
    var backgroundSeconds: Double
    var background: LoopbackCounters
    var backgroundFrames: FrameCounters?
    var windowSeconds: Double
    var warmup: EventResult
    var events: [EventResult]
    var notes: [String] = []

    /// Background loopback bytes per node, scaled to one window.
    var backgroundPerNodePerWindow: Double {
        Double(background.bytes) / Double(nodes) * windowSeconds / backgroundSeconds
    }
    var backgroundFramesPerNodePerWindow: Double? {
        backgroundFrames.map { Double($0.bytes) / Double(nodes) * windowSeconds / backgroundSeconds }
    }
    var times: [Double] { events.compactMap(\.timeToAll) }
    var allReached: Bool { events.allSatisfy { $0.timeToAll != nil } }
    var windowBytesPerNode: [Double] { events.map { Double($0.loopback.bytes) / Double(nodes) } }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func ms(_ seconds: Double?) -> String {
    guard let seconds, seconds.isFinite else { return "—" }
    return String(format: "%.1f ms", seconds * 1000)
}

func bytes(_ value: Double) -> String {
    let n = Int(value.rounded())
    var digits = String(abs(n))
    var out = ""
    while digits.count > 3 {
        out = "," + digits.suffix(3) + out
        digits.removeLast(3)
    }
    return (n < 0 ? "-" : "") + digits + out + " B"
}

/// Waits until a cluster's traffic stops falling after it converged (the
/// joins' membership updates are still being piggybacked for a while), with
/// the same rule for both systems: sample the cumulative byte counter every
/// `interval` seconds; done once at least `minimum` seconds have passed and
/// the mean rate of the last two samples is no more than 10% below that of
/// the two before; at most `maximum` seconds. Returns the seconds waited and
/// the per-sample rates (bytes per node per second).
@MainActor func settle(nodes: Int, minimum: Double, maximum: Double, interval: Double = 2,
            counter: () async -> Int64) async -> (seconds: Double, trace: [Double]) {
    let start = realtimeNanos()
    var last = await counter()
    var rates: [Double] = []
    while true {
        await sleep(untilNanos: start + Int64(Double(rates.count + 1) * interval * 1e9))
        let now = await counter()
        rates.append(Double(now - last) / Double(nodes) / interval)
        last = now
        let elapsed = Double(realtimeNanos() - start) / 1e9
        if elapsed >= maximum { break }
        if elapsed >= minimum, rates.count >= 4 {
            let recent = (rates[rates.count - 1] + rates[rates.count - 2]) / 2
            let before = (rates[rates.count - 3] + rates[rates.count - 4]) / 2
            if recent >= 0.9 * before { break }
        }
    }
    return (Double(realtimeNanos() - start) / 1e9, rates)
}

/// CPU seconds (user + system) this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// CPU seconds (user + system) the processes `pids` have used, from /proc/<pid>/stat.
func processCPUSeconds(pids: [Int32]) -> Double {
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    var total = 0.0
    for pid in pids {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { continue }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
        total += (user + system) / tick
    }
    return total
}

/// Appends lines to a file from any thread (the nodes' logs, for diagnosis).
final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle?
    private let start = realtimeNanos()

    init(path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)
    }

    func write(_ line: String) {
        let stamp = String(format: "%9.3f ", Double(realtimeNanos() - start) / 1e9)
        lock.lock()
        handle?.write(Data((stamp + line + "\n").utf8))
        lock.unlock()
    }
}
