// The load driver, the same for every system under test: open loop at a fixed
// offered rate and closed loop at a fixed number of requests in flight.
import Foundation

/// What one request came to.
enum Outcome: Sendable {
    /// The system reports the write committed (etcd: Put returned; Civitas: 200 committed).
    case ok
    /// Anything else, with a short reason ("HTTP 202 accepted", "timeout", ...).
    case failed(String)
    /// The lane has no pre-built request left: the phase ran out of work, not of capacity.
    case exhausted
}

/// A system under test. A target hands out lanes; everything system-specific
/// (protocol, payloads, where requests go) lives behind these two protocols.
protocol Target: Sendable {
    /// "etcd", "civitas".
    var name: String { get }
    /// Where requests go, for the report ("the leader over 2 gRPC connections", ...).
    func routing(lanes: Int) -> String
    /// `count` lanes for a phase expected to complete about `budget` requests in all.
    /// Each lane is used by one worker at a time, one request after the other.
    func makeLanes(count: Int, budget: Int) async throws -> [any Lane]
    /// Closes everything the lanes opened.
    func closeLanes(_ lanes: [any Lane]) async
}

/// One sequence of requests, sent one at a time (an HTTP/1.1 connection, or a
/// slot of a multiplexed gRPC connection).
protocol Lane: Sendable {
    /// Sends the lane's next request and waits for its outcome.
    func send() async -> Outcome
}

/// ORDERING_TRACE_ERRORS=1 prints each failed request's time and reason to stderr.
let traceErrors = ProcessInfo.processInfo.environment["ORDERING_TRACE_ERRORS"] == "1"

/// Monotonic nanoseconds.
@inline(__always) func nowNanos() -> Int64 {
    Int64(bitPattern: DispatchTime.now().uptimeNanoseconds)
}

/// One lane's record of a phase.
struct LaneRecord: Sendable {
    /// Latency in ns of each successful request counted for latency.
    var latencies: [Int64] = []
    /// Successful completions inside the measured window.
    var completedInWindow = 0
    /// Successful completions in the whole phase (warm-up and drain included):
    /// the writes the system under test did, for its CPU time per write.
    var completedTotal = 0
    var errors = 0
    var firstError: String?
    var exhausted = false
    /// Requests issued in the measured window that had not completed when the phase was drained.
    var unfinished = 0
}

struct PhaseResult: Sendable {
    var target: String
    var phase: String  // "open" or "saturate"
    var lanes: Int
    var offered: Double?  // open loop only
    var seconds: Double
    var completed: Int
    /// Every acknowledged write of the phase, warm-up included.
    var completedTotal: Int
    var throughput: Double
    var p50: Double  // ms
    var p99: Double
    var max: Double
    var samples: Int
    var errors: Int
    var firstError: String?
    var exhausted: Bool

    func line(routing: String) -> String {
        let head: String
        if let offered {
            head = "\(target) open loop at \(fmt(offered, 0)) writes/s offered, \(lanes) lanes (\(routing))"
        } else {
            head = "\(target) closed loop, \(lanes) in flight (\(routing))"
        }
        var s = "\(head): \(completed) writes in \(fmt(seconds, 1)) s = \(fmt(throughput, 1)) writes/s; "
        s += "latency p50 \(fmt(p50, 2)) ms, p99 \(fmt(p99, 2)) ms, max \(fmt(max, 2)) ms (\(samples) samples); errors \(errors)"
        if let firstError { s += " (first: \(firstError))" }
        if exhausted { s += "; RAN OUT OF PRE-BUILT REQUESTS: throughput is a lower bound, raise --budget-rate" }
        return s
    }

    var machineLine: String {
        var s = "result: phase=\(phase) target=\(target) lanes=\(lanes)"
        if let offered { s += " offered=\(fmt(offered, 1))" }
        s += " throughput=\(fmt(throughput, 1)) p50_ms=\(fmt(p50, 3)) p99_ms=\(fmt(p99, 3)) max_ms=\(fmt(max, 3))"
        s += " samples=\(samples) errors=\(errors) exhausted=\(exhausted)"
        return s
    }
}

func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

/// Exact percentile (nearest rank) of sorted samples, in ms.
func percentileMs(_ sorted: [Int64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Swift.max(1, Int((p * Double(sorted.count)).rounded(.up)))
    return Double(sorted[Swift.min(rank, sorted.count) - 1]) / 1e6
}

func summarize(_ records: [LaneRecord], target: String, phase: String, lanes: Int, offered: Double?, seconds: Double) -> PhaseResult {
    var all: [Int64] = []
    all.reserveCapacity(records.reduce(0) { $0 + $1.latencies.count })
    var completed = 0, completedTotal = 0, errors = 0, exhausted = false
    var firstError: String?
    for r in records {
        all.append(contentsOf: r.latencies)
        completed += r.completedInWindow
        completedTotal += r.completedTotal
        errors += r.errors + r.unfinished
        exhausted = exhausted || r.exhausted
        if firstError == nil { firstError = r.firstError ?? (r.unfinished > 0 ? "not completed when the phase was drained" : nil) }
    }
    all.sort()
    return PhaseResult(
        target: target, phase: phase, lanes: lanes, offered: offered, seconds: seconds,
        completed: completed, completedTotal: completedTotal, throughput: Double(completed) / seconds,
        p50: percentileMs(all, 0.50), p99: percentileMs(all, 0.99), max: all.last.map { Double($0) / 1e6 } ?? .nan,
        samples: all.count, errors: errors, firstError: firstError, exhausted: exhausted)
}

/// Open loop: request i is due at start + i / rate, whatever happened to the
/// requests before it, and its latency runs from that due time (not from when
/// it was actually sent), so a stalled system is charged for the requests it
/// kept waiting (no coordinated omission). Request i goes to lane i mod lanes;
/// a lane still busy when its next request is due sends it late, and the delay
/// counts. Only requests due after the warm-up and before the end are measured.
func runOpenLoop(_ target: any Target, rate: Double, lanes laneCount: Int, warmup: Double, seconds: Double, drain: Double) async throws -> PhaseResult {
    let total = Int((rate * (warmup + seconds)).rounded(.up))
    let lanes = try await target.makeLanes(count: laneCount, budget: total + laneCount)
    let start = nowNanos() + 200_000_000  // lanes start together, 0.2 s from now
    let windowStart = start + Int64(warmup * 1e9)
    let windowEnd = start + Int64((warmup + seconds) * 1e9)
    let drainEnd = windowEnd + Int64(drain * 1e9)
    let interval = 1e9 / rate
    let records = await withTaskGroup(of: LaneRecord.self) { group in
        for (l, lane) in lanes.enumerated() {
            group.addTask {
                var rec = LaneRecord()
                var i = l
                while i < total {
                    let due = start + Int64((Double(i) * interval).rounded())
                    if due >= windowEnd { break }
                    let wait = due - nowNanos()
                    if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait)) }
                    let measured = due >= windowStart
                    if nowNanos() >= drainEnd {
                        // Still queued when the phase is over: never sent.
                        if measured { rec.unfinished += 1 }
                        i += laneCount
                        continue
                    }
                    let outcome = await lane.send()
                    let done = nowNanos()
                    switch outcome {
                    case .ok:
                        rec.completedTotal += 1
                        if measured { rec.latencies.append(done - due) }
                        if done >= windowStart && done < windowEnd { rec.completedInWindow += 1 }
                    case let .failed(why):
                        if measured {
                            rec.errors += 1
                            if rec.firstError == nil { rec.firstError = why }
                        }
                    case .exhausted:
                        rec.exhausted = true
                        i = total
                        continue
                    }
                    i += laneCount
                }
                return rec
            }
        }
        var all: [LaneRecord] = []
        for await r in group { all.append(r) }
        return all
    }
    await target.closeLanes(lanes)
    return summarize(records, target: target.name, phase: "open", lanes: laneCount, offered: rate, seconds: seconds)
}

/// Closed loop: `concurrency` lanes each send their next request as soon as the
/// previous one completes, for warm-up + seconds. Requests that start after the
/// warm-up and complete before the end are measured; throughput counts every
/// completion inside the window.
func runClosedLoop(_ target: any Target, concurrency: Int, warmup: Double, seconds: Double, budget: Int) async throws -> PhaseResult {
    let lanes = try await target.makeLanes(count: concurrency, budget: budget)
    let start = nowNanos() + 200_000_000
    let windowStart = start + Int64(warmup * 1e9)
    let windowEnd = start + Int64((warmup + seconds) * 1e9)
    let records = await withTaskGroup(of: LaneRecord.self) { group in
        for lane in lanes {
            group.addTask {
                var rec = LaneRecord()
                let wait = start - nowNanos()
                if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait)) }
                while true {
                    let sent = nowNanos()
                    if sent >= windowEnd { break }
                    let outcome = await lane.send()
                    let done = nowNanos()
                    switch outcome {
                    case .ok:
                        rec.completedTotal += 1
                        if done >= windowStart && done < windowEnd {
                            rec.completedInWindow += 1
                            if sent >= windowStart { rec.latencies.append(done - sent) }
                        }
                    case let .failed(why):
                        if traceErrors { FileHandle.standardError.write(Data("t=\(fmt(Double(done - start) / 1e9, 3)) s: \(why)\n".utf8)) }
                        if done >= windowStart && done < windowEnd {
                            rec.errors += 1
                            if rec.firstError == nil { rec.firstError = why }
                        }
                    case .exhausted:
                        rec.exhausted = true
                        return rec
                    }
                }
                return rec
            }
        }
        var all: [LaneRecord] = []
        for await r in group { all.append(r) }
        return all
    }
    await target.closeLanes(lanes)
    return summarize(records, target: target.name, phase: "saturate", lanes: concurrency, offered: nil, seconds: seconds)
}

/// The whole plan against one target: the open-loop phase at `rate`, then a
/// closed-loop phase at each concurrency level; saturation is the best level.
func runPlan(_ target: any Target, options: LoadOptions) async throws {
    // This process's CPU time and the writes acknowledged, over every phase:
    // the generator's own cost per write, printed at the end (the run script
    // adds the cluster's CPU time, read from /proc, beside it).
    let cpuAtStart = processCPUSeconds()
    var acknowledged = 0
    defer {
        let cpu = processCPUSeconds() - cpuAtStart
        print("result: phase=generator target=\(target.name) acknowledged=\(acknowledged) cpu_seconds=\(fmt(cpu, 3))")
    }
    if options.mode != .saturate {
        let r = try await runOpenLoop(target, rate: options.rate, lanes: options.openLanes,
                                      warmup: options.warmup, seconds: options.seconds, drain: options.drain)
        acknowledged += r.completedTotal
        print(r.line(routing: target.routing(lanes: options.openLanes)))
        print(r.machineLine)
    }
    if options.mode != .open {
        var best: PhaseResult?
        for c in options.concurrency {
            let budget = Int(options.budgetRate * (options.warmup + options.seconds)) + c
            let r = try await runClosedLoop(target, concurrency: c, warmup: options.warmup, seconds: options.seconds, budget: budget)
            acknowledged += r.completedTotal
            print(r.line(routing: target.routing(lanes: c)))
            print(r.machineLine)
            if r.errors == 0 || r.errors * 100 < r.completed {
                if best == nil || r.throughput > best!.throughput { best = r }
            }
        }
        if let best {
            print("\(target.name) saturation: \(fmt(best.throughput, 1)) writes/s sustained at \(best.lanes) in flight, p50 \(fmt(best.p50, 2)) ms, p99 \(fmt(best.p99, 2)) ms")
            var s = "result: phase=saturation target=\(target.name) throughput=\(fmt(best.throughput, 1)) lanes=\(best.lanes)"
            s += " p50_ms=\(fmt(best.p50, 3)) p99_ms=\(fmt(best.p99, 3)) exhausted=\(best.exhausted)"
            print(s)
        } else {
            print("\(target.name) saturation: no level ran with fewer than 1% errors")
        }
    }
}

/// User plus system CPU time this process has used, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
