#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timing: warm up, calibrate an iteration count, then time several rounds of
/// that many iterations and keep the median round (per-iteration time).
///
/// Each round is timed twice over: with the thread's CPU clock (the figure
/// reported: the work of this single thread, not time spent descheduled
/// while other processes use the cores) and with the monotonic wall clock
/// (shown alongside; on an idle machine the two agree).
struct Settings {
    /// Timed rounds per operation; the median is reported.
    var rounds = 7
    /// Each round runs at least this long (so each operation is timed for at
    /// least `rounds × minRoundSeconds`).
    var minRoundSeconds = 0.2
    /// Warm-up time per operation before calibration.
    var warmupSeconds = 0.3
}

struct Timing {
    let name: String
    /// Median thread-CPU nanoseconds per operation.
    let medianNs: Double
    let minNs: Double
    let maxNs: Double
    /// Median wall-clock nanoseconds per operation.
    let wallMedianNs: Double
    let iterationsPerRound: Int
    let rounds: Int
}

/// Keeps results alive: every operation returns a value derived from its
/// output, and the sum is printed at the end.
@inline(never)
func consume(_ x: UInt64, into sink: inout UInt64) { sink = sink &* 31 &+ x }

private func nanoseconds(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// (thread CPU ns, wall ns) for `iterations` calls of `body`.
@inline(never)
private func run(_ iterations: Int, _ body: () throws -> UInt64, sink: inout UInt64) rethrows -> (cpu: Double, wall: Double) {
    let wall0 = nanoseconds(CLOCK_MONOTONIC)
    let cpu0 = nanoseconds(CLOCK_THREAD_CPUTIME_ID)
    for _ in 0..<iterations { consume(try body(), into: &sink) }
    let cpu1 = nanoseconds(CLOCK_THREAD_CPUTIME_ID)
    let wall1 = nanoseconds(CLOCK_MONOTONIC)
    return (Double(cpu1 &- cpu0), Double(wall1 &- wall0))
}

/// Warms up and calibrates every operation, then times `rounds` rounds in
/// which the operations take turns (so a burst of load from elsewhere on the
/// machine hits all of them, not one), and keeps each one's median round.
func measureAll(_ operations: [(String, () throws -> UInt64)], _ settings: Settings,
                sink: inout UInt64) throws -> [String: Timing] {
    var iterations: [Int] = []
    for (_, body) in operations {
        // Warm-up, doubling the batch; it doubles as the calibration run.
        var n = 0
        var elapsed = 0.0
        while elapsed < settings.warmupSeconds * 1e9 || n < 3 {
            let batch = max(1, n)
            elapsed += try run(batch, body, sink: &sink).cpu
            n += batch
        }
        let perOp = elapsed / Double(n)
        iterations.append(max(3, Int((settings.minRoundSeconds * 1e9 / perOp).rounded(.up))))
    }
    var cpu = Array(repeating: [Double](), count: operations.count)
    var wall = cpu
    for _ in 0..<settings.rounds {
        for (i, (_, body)) in operations.enumerated() {
            let t = try run(iterations[i], body, sink: &sink)
            cpu[i].append(t.cpu / Double(iterations[i]))
            wall[i].append(t.wall / Double(iterations[i]))
        }
    }
    var out: [String: Timing] = [:]
    for (i, (name, _)) in operations.enumerated() {
        let c = cpu[i].sorted(), w = wall[i].sorted()
        out[name] = Timing(name: name, medianNs: c[c.count / 2], minNs: c.first!, maxNs: c.last!,
                           wallMedianNs: w[w.count / 2], iterationsPerRound: iterations[i], rounds: settings.rounds)
    }
    return out
}
