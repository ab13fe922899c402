// NetworkBenchmark: the time for one event to reach all of N nodes, and the
// bytes each node sends meanwhile, for N Civitas nodes (TLS gossip, in this
// process) beside N HashiCorp serf agents (separate processes), both on
// loopback, one system after the other in the same run. Run it through
// `Benchmarks/run-network.sh`, which puts it in a network namespace of its
// own so that the loopback counters see nothing but the cluster under test.
import CivitasGossip
import CivitasNetwork
import CivitasGossipHarness
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var nodes = 50
    var events = 10
    var window = 5.0
    var background = 20.0
    var settleMin = 10.0
    var settleMax = 120.0
    var payloadBytes = 64
    var serf = "/usr/bin/serf"
    var serfCoalesce = false
    var bindBase = 27_000
    var rpcBase = 28_000
    /// Civitas as a full mesh (every node linked to every other) instead of the shipped link settings.
    var fullMesh = false
    /// Civitas link counts other than the shipped ones.
    var targetPeers: Int?
    var maxPeers: Int?
    var runSerf = true
    var runCivitas = true
    var log: String?
    var work = NSTemporaryDirectory() + "civitas-network-bench-\(getpid())"

    init(_ args: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fatalError("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--nodes": nodes = Int(value())!
            case "--events": events = Int(value())!
            case "--window": window = Double(value())!
            case "--background": background = Double(value())!
            case "--settle-min": settleMin = Double(value())!
            case "--settle-max": settleMax = Double(value())!
            case "--payload": payloadBytes = Int(value())!
            case "--serf": serf = value()
            case "--serf-coalesce": serfCoalesce = true
            case "--bind-base": bindBase = Int(value())!
            case "--rpc-base": rpcBase = Int(value())!
            case "--civitas-defaults": fullMesh = false  // the default now; kept for old command lines
            case "--full-mesh": fullMesh = true
            case "--target-peers": targetPeers = Int(value())!
            case "--max-peers": maxPeers = Int(value())!
            case "--serf-only": runCivitas = false
            case "--civitas-only": runSerf = false
            case "--work": work = value()
            case "--log": log = value()
            case "--quick": nodes = 10; events = 3; window = 3; background = 6; settleMin = 4; settleMax = 20
            default:
                print("""
                    usage: NetworkBenchmark [--nodes 50] [--events 10] [--window 5] [--background 20]
                           [--settle-min 10] [--settle-max 120] [--payload 64] [--serf /usr/bin/serf] [--serf-coalesce]
                           [--bind-base 27000] [--rpc-base 28000] [--serf-only | --civitas-only] [--full-mesh | --target-peers N --max-peers M] [--work DIR] [--log FILE] [--quick]
                    """)
                exit(args[i] == "--help" ? 0 : 2)
            }
            i += 1
        }
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let n = options.nodes
/// Event k is published by node origins[k] (the warm-up by node 0), the same nodes on both sides.
func origin(_ k: Int) -> Int { (k * 17 + 1) % n }
/// Event k's payload (k = -1: the warm-up): its name, then random letters and
/// digits, so that serf's broadcast compression (on by default) gains nothing
/// that a real payload would not give it, and no two events share a payload
/// (Civitas derives message IDs from the content).
func payload(_ k: Int) -> String {
    let head = k < 0 ? "warmup-" : "event-\(k)-"
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var state = UInt64(bitPattern: Int64(k)) &+ 0x9E37_79B9_7F4A_7C15
    var tail = ""
    for _ in 0..<max(0, options.payloadBytes - head.utf8.count) {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        tail.append(alphabet[Int(z % UInt64(alphabet.count))])
    }
    return head + tail
}

print("""
    == Network benchmark: one event to all of \(n) nodes, Civitas beside serf ==
    Each system runs alone (serf first, then Civitas), in the same process tree and network namespace.
    Per system: start \(n) nodes (every node told only of node 0), wait until every node knows all \(n)
    members, wait until traffic stops falling (same rule for both), measure \(Int(options.background)) s of background
    traffic without events, publish one warm-up event (reported, not counted), then \(options.events) events
    of \(options.payloadBytes) payload bytes, one at the start of each \(Int(options.window)) s window, from nodes \((0..<options.events).map(origin)).
    time to all: from the publish to the moment the last of the \(n) nodes has the event.
      Civitas: from just before GossipNode.broadcast to the poll of `deliveries` that first saw it
               (every node polled about every 0.5-1 ms; the resolution is printed).
      serf:    from the origin agent's own handler run to the last agent's handler run (all handlers
               stamp $EPOCHREALTIME first thing, so the handler start-up cost cancels out; the time
               from starting `serf event` is shown as well). serf event -coalesce=\(options.serfCoalesce).
      Payloads are random letters and digits (serf compresses broadcasts by default).
    Settings: serf's shipped defaults (LAN profile, no encryption). Civitas: shipped defaults
      (MembershipSettings(), PlumtreeSettings(), TransportSettings(), which follow memberlist's LAN values)
      (link counts as shipped unless --full-mesh or --target-peers/--max-peers; printed below).
    bytes/node: loopback transmit bytes (/proc/net/dev, lo) in the window, divided by \(n): everything on
      the wire, IP and TCP/UDP headers, TLS records and TCP ACKs included. Civitas' own counted frame
      bytes (plaintext frames + 4-byte length prefix, before TLS) are shown beside them.
    work directory: \(options.work)

    """)

try? FileManager.default.removeItem(atPath: options.work)
try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
let probe = LoopbackCounters.read()
if probe.bytes > 0 {
    print("note: lo has already carried \(bytes(Double(probe.bytes))) (not a fresh network namespace?): other loopback users would be counted")
}

// MARK: serf

@MainActor func runSerf() async throws -> SystemResult {
    let cluster = SerfCluster(count: n, directory: options.work + "/serf", serf: options.serf,
                              bindBase: options.bindBase, rpcBase: options.rpcBase)
    defer { cluster.stop() }
    let started = realtimeNanos()
    try cluster.start()
    print("serf: \(n) agents started in \(String(format: "%.1f", Double(realtimeNanos() - started) / 1e9)) s; waiting for every agent to list \(n) alive members")
    var alive: [Int] = []
    let convergeDeadline = started + 180_000_000_000
    repeat {
        alive = (0..<n).map(cluster.aliveMembers)
        if alive.allSatisfy({ $0 == n }) { break }
        try await Task.sleep(for: .milliseconds(200))
    } while realtimeNanos() < convergeDeadline
    let converged = Double(realtimeNanos() - started) / 1e9
    guard alive.allSatisfy({ $0 == n }) else {
        throw BenchmarkError("serf did not converge in 180 s: alive members per agent \(alive)")
    }
    print("serf: converged \(String(format: "%.1f", converged)) s after the first agent started")
    let settled = await settle(nodes: n, minimum: options.settleMin, maximum: options.settleMax) { LoopbackCounters.read().bytes }
    print("serf: settled after \(String(format: "%.0f", settled.seconds)) s more; rates (B/node/s, 2 s samples): \(settled.trace.map { String(format: "%.0f", $0) })")

    let b0 = LoopbackCounters.read(), c0 = processCPUSeconds(pids: cluster.pids)
    try await Task.sleep(for: .seconds(options.background))
    let background = LoopbackCounters.read() - b0
    print("serf: CPU of the \(n) agents in the background window: \(String(format: "%.2f", (processCPUSeconds(pids: cluster.pids) - c0) / options.background)) cores busy")
    let e0 = processCPUSeconds(pids: cluster.pids), ew0 = realtimeNanos()
    defer { print("serf: CPU of the \(n) agents over the events: \(String(format: "%.2f", (processCPUSeconds(pids: cluster.pids) - e0) / (Double(realtimeNanos() - ew0) / 1e9))) cores busy (handler scripts not included)") }
    print("serf: background \(Int(options.background)) s without events: \(bytes(Double(background.bytes) / Double(n))) per node (\(bytes(Double(background.bytes) / Double(n) / options.background))/s), \(background.packets) packets")

    var notes: [String] = []
    func event(_ k: Int, warmup: Bool) async -> EventResult {
        let name = warmup ? "bench-warmup" : "bench-\(k)"
        let from = warmup ? 0 : origin(k)
        let w0 = realtimeNanos()
        let windowEnd = w0 + Int64(options.window * 1e9)
        let lo0 = LoopbackCounters.read()
        let fired = cluster.fire(name: name, payload: payload(warmup ? -1 : k), origin: from, coalesce: options.serfCoalesce)
        if fired.status != 0 { notes.append("serf event \(name) exited with status \(fired.status)") }
        var got = cluster.receipts(of: name)
        while got.count < n && realtimeNanos() < windowEnd {
            try? await Task.sleep(for: .milliseconds(5))
            got = cluster.receipts(of: name)
        }
        await sleep(untilNanos: windowEnd)
        let lo = LoopbackCounters.read() - lo0
        got = cluster.receipts(of: name)
        let wrongSize = got.values.filter { $0.payloadBytes != options.payloadBytes }.count
        if wrongSize > 0 { notes.append("\(name): \(wrongSize) handlers saw a payload of another size") }
        let times = got.values.map(\.time).sorted()
        let t0 = got["serf-\(from)"]?.time ?? times.first ?? fired.start
        let all = got.count == n ? times.last.map { Double($0 - t0) / 1e9 } : nil
        let half = times.count >= (n + 1) / 2 ? Double(times[(n + 1) / 2 - 1] - t0) / 1e9 : nil
        let fromCommand = got.count == n ? times.last.map { Double($0 - fired.start) / 1e9 } : nil
        return EventResult(index: k, origin: from, timeToAll: all, reached: got.count, timeToHalf: half, loopback: lo,
                           frames: nil, maxHops: nil, fromCommand: fromCommand)
    }
    let warm = await event(0, warmup: true)
    print("serf: warm-up  " + describe(warm, nodes: n))
    var results: [EventResult] = []
    for k in 0..<options.events {
        let r = await event(k, warmup: false)
        print("serf: event \(k)  " + describe(r, nodes: n))
        results.append(r)
    }
    return SystemResult(name: "serf", nodes: n, convergeSeconds: converged, settleSeconds: settled.seconds,
                        settleTrace: settled.trace, backgroundSeconds: options.background, background: background,
                        backgroundFrames: nil, windowSeconds: options.window, warmup: warm, events: results, notes: notes)
}

// MARK: Civitas

@MainActor func runCivitas() async throws -> SystemResult {
    var membership = MembershipSettings()
    let plumtree = PlumtreeSettings()
    var settings = TransportSettings()
    if let t = options.targetPeers { membership.targetPeers = t }
    if let m = options.maxPeers { membership.maxPeers = m }
    if !options.fullMesh {
        let shipped = options.targetPeers == nil && options.maxPeers == nil ? "shipped defaults" : "set on the command line"
        print("civitas: link settings: \(shipped) (targetPeers \(membership.targetPeers), maxPeers \(membership.maxPeers), maxOutbound \(settings.maxOutbound), maxInbound \(settings.maxInbound))")
    } else {
        // A full mesh (--full-mesh): the setting of the first runs, before
        // membership converged with a bounded number of links.
        membership.targetPeers = n - 1
        membership.maxPeers = 2 * n
        settings.maxOutbound = 2 * n
        settings.maxInbound = 2 * n
        print("civitas: link settings: full mesh (targetPeers \(membership.targetPeers), maxPeers \(membership.maxPeers), maxOutbound/maxInbound \(settings.maxOutbound)); other settings shipped defaults")
    }
    let started = realtimeNanos()
    let cluster = try await CivitasCluster(count: n, directory: options.work + "/civitas", membership: membership,
                                           plumtree: plumtree, transport: settings, log: options.log.map(LineLog.init))
    print("civitas: \(n) nodes started in \(String(format: "%.1f", Double(realtimeNanos() - started) / 1e9)) s (certificates issued, TLS listeners up); waiting for every node to know \(n - 1) others")
    var known: [Int] = []
    let convergeDeadline = started + 180_000_000_000
    repeat {
        known = await cluster.knownMembers()
        if known.allSatisfy({ $0 == n - 1 }) { break }
        try await Task.sleep(for: .milliseconds(200))
    } while realtimeNanos() < convergeDeadline
    let converged = Double(realtimeNanos() - started) / 1e9
    var notes: [String] = []
    if known.allSatisfy({ $0 == n - 1 }) {
        print("civitas: converged \(String(format: "%.1f", converged)) s after the first node started")
    } else {
        let note = "membership did not converge in 180 s: members known per node \(known)"
        print("civitas: " + note)
        notes.append(note)
    }
    var links: [Int] = []
    for node in cluster.nodes { links.append(await node.linkedPeers.count) }
    print("civitas: links per node min \(links.min()!) median \(Int(median(links.map(Double.init)))) max \(links.max()!)")
    let settled = await settle(nodes: n, minimum: options.settleMin, maximum: options.settleMax) { LoopbackCounters.read().bytes }
    print("civitas: settled after \(String(format: "%.0f", settled.seconds)) s more; rates (B/node/s, 2 s samples): \(settled.trace.map { String(format: "%.0f", $0) })")

    let b0 = LoopbackCounters.read(), f0 = cluster.frames, c0 = processCPUSeconds(), k0 = await cluster.sentByKind()
    try await Task.sleep(for: .seconds(options.background))
    let background = LoopbackCounters.read() - b0, backgroundFrames = cluster.frames - f0
    printKinds("background", await cluster.sentByKind(), since: k0, windows: options.background / options.window, packets: background.packets)
    print("civitas: CPU of the benchmark process (all \(n) nodes) in the background window: \(String(format: "%.2f", (processCPUSeconds() - c0) / options.background)) cores busy")
    let e0 = processCPUSeconds(), ew0 = realtimeNanos()
    print("civitas: background \(Int(options.background)) s without events: \(bytes(Double(background.bytes) / Double(n))) per node (\(bytes(Double(background.bytes) / Double(n) / options.background))/s), \(background.packets) packets; frames \(bytes(Double(backgroundFrames.bytes) / Double(n))) per node in \(backgroundFrames.frames) frames")

    var resolution: [Double] = []
    func event(_ k: Int, warmup: Bool) async -> EventResult {
        let from = warmup ? 0 : origin(k)
        let w0 = realtimeNanos()
        let windowEnd = w0 + Int64(options.window * 1e9)
        let lo0 = LoopbackCounters.read(), f0 = cluster.frames, perNode0 = cluster.frameBytesPerNode
        let tracked = await cluster.publishAndTrack(origin: from, payload: Array(payload(warmup ? -1 : k).utf8), deadline: windowEnd)
        await sleep(untilNanos: windowEnd)
        let lo = LoopbackCounters.read() - lo0, frames = cluster.frames - f0
        let busiest = zip(cluster.frameBytesPerNode, perNode0).map { $0 - $1 }.max() ?? 0
        if !warmup { resolution.append(tracked.pollPeriod) }
        let times = tracked.arrivals.compactMap { $0 }.sorted()
        let all = times.count == n ? Double(times.last! - tracked.t0) / 1e9 : nil
        let half = times.count >= (n + 1) / 2 ? Double(times[(n + 1) / 2 - 1] - tracked.t0) / 1e9 : nil
        var r = EventResult(index: k, origin: from, timeToAll: all, reached: times.count, timeToHalf: half, loopback: lo,
                            frames: frames, maxHops: tracked.maxHops, fromCommand: nil)
        r.busiestNodeFrameBytes = busiest
        return r
    }
    let warm = await event(0, warmup: true)
    print("civitas: warm-up  " + describe(warm, nodes: n))
    var results: [EventResult] = []
    let ek0 = await cluster.sentByKind()
    for k in 0..<options.events {
        let r = await event(k, warmup: false)
        print("civitas: event \(k)  " + describe(r, nodes: n))
        results.append(r)
    }
    printKinds("windows with an event", await cluster.sentByKind(), since: ek0, windows: Double(options.events),
               packets: results.reduce(0) { $0 + $1.loopback.packets })
    links = []
    for node in cluster.nodes { links.append(await node.linkedPeers.count) }
    print("civitas: links per node at the end: min \(links.min()!) median \(Int(median(links.map(Double.init)))) max \(links.max()!)")
    print("civitas: CPU of the benchmark process over the events: \(String(format: "%.2f", (processCPUSeconds() - e0) / (Double(realtimeNanos() - ew0) / 1e9))) cores busy (polling included)")
    print("civitas: time resolution: each node's deliveries polled every \(String(format: "%.2f", median(resolution) * 1000)) ms (median over events)")
    await cluster.stop()
    return SystemResult(name: "civitas", nodes: n, convergeSeconds: converged, settleSeconds: settled.seconds,
                        settleTrace: settled.trace, backgroundSeconds: options.background, background: background,
                        backgroundFrames: backgroundFrames, windowSeconds: options.window, warmup: warm, events: results,
                        notes: notes)
}

/// Where Civitas' bytes go: gossip messages by kind, per node and per window
/// (message bytes before the 4-byte length prefix, TLS and TCP/IP), and the
/// loopback packets per node per window (each carries 66 bytes of Ethernet,
/// IP and TCP headers with timestamps on lo; a TLS 1.3 record adds 22).
func printKinds(_ label: String, _ now: [String: LinkMultiplexer.MessageCount], since before: [String: LinkMultiplexer.MessageCount],
                windows: Double, packets: Int64) {
    let scale = Double(n) * windows
    var parts: [String] = []
    var totalMessages = 0.0, totalBytes = 0.0
    for kind in now.keys.sorted() {
        let m = Double(now[kind]!.messages - (before[kind]?.messages ?? 0)) / scale
        let b = Double(now[kind]!.bytes - (before[kind]?.bytes ?? 0)) / scale
        guard m > 0 else { continue }
        totalMessages += m
        totalBytes += b
        parts.append("\(kind) \(String(format: "%.2f", m)) msgs \(String(format: "%.0f", b)) B")
    }
    print("civitas: per node per \(Int(options.window)) s window (\(label)): " + parts.joined(separator: ", ")
          + "; all gossip messages \(String(format: "%.2f", totalMessages)) = \(String(format: "%.0f", totalBytes)) B; loopback packets \(String(format: "%.1f", Double(packets) / scale))")
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func ratio(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "n/a" }

func describe(_ r: EventResult, nodes: Int) -> String {
    var s = "from node \(r.origin): all \(nodes) in \(ms(r.timeToAll)) (half in \(ms(r.timeToHalf)); reached \(r.reached)/\(nodes))"
    if let c = r.fromCommand { s += ", \(ms(c)) from starting `serf event`" }
    if let h = r.maxHops { s += ", max hops \(h)" }
    s += "; window \(bytes(Double(r.loopback.bytes) / Double(nodes)))/node on lo (\(r.loopback.packets) packets)"
    if let f = r.frames {
        s += ", frames \(bytes(Double(f.bytes) / Double(nodes)))/node (\(f.frames) frames"
        if let b = r.busiestNodeFrameBytes { s += ", busiest node \(bytes(Double(b)))" }
        s += ")"
    }
    return s
}

// MARK: Run and compare

var serfResult: SystemResult?
var civitasResult: SystemResult?
var failures: [String] = []
if options.runSerf {
    do { serfResult = try await runSerf() } catch { failures.append("serf: \(error)"); print("serf: FAILED: \(error)") }
    print("")
}
if options.runCivitas {
    do { civitasResult = try await runCivitas() } catch { failures.append("civitas: \(error)"); print("civitas: FAILED: \(error)") }
    print("")
}

func summary(_ r: SystemResult) {
    let t = r.times
    print("\(r.name): converged in \(String(format: "%.1f", r.convergeSeconds)) s, settled \(String(format: "%.0f", r.settleSeconds)) s later")
    print("  time to all \(r.nodes): median \(ms(median(t))), max \(ms(t.max())), min \(ms(t.min())) over \(t.count) of \(r.events.count) events that reached all"
          + (r.allReached ? "" : " — SOME EVENTS DID NOT REACH ALL NODES"))
    print("  time to half: median \(ms(median(r.events.compactMap(\.timeToHalf))))")
    let w = r.windowBytesPerNode
    print("  bytes/node on lo in a \(Int(r.windowSeconds)) s window with one event: median \(bytes(median(w))), max \(bytes(w.max() ?? .nan))")
    print("  bytes/node on lo in \(Int(r.windowSeconds)) s without an event (background, scaled from \(Int(r.backgroundSeconds)) s): \(bytes(r.backgroundPerNodePerWindow))")
    print("  the event's own cost (window median − background): \(bytes(median(w) - r.backgroundPerNodePerWindow))/node")
    if let bf = r.backgroundFramesPerNodePerWindow {
        let f = r.events.compactMap(\.frames).map { Double($0.bytes) / Double(r.nodes) }
        print("  Civitas frame bytes/node (before TLS/TCP/IP): window median \(bytes(median(f))), background \(bytes(bf)), event's own \(bytes(median(f) - bf)); on-the-wire/frame bytes = \(String(format: "%.2f", median(w) / median(f)))")
    }
    for note in r.notes { print("  note: \(note)") }
}

print("== Summary ==")
if let s = serfResult { summary(s) }
if let c = civitasResult { summary(c) }
if let s = serfResult, let c = civitasResult {
    let time = median(c.times) / median(s.times)
    let maxTime = (c.times.max() ?? .nan) / (s.times.max() ?? .nan)
    let wire = median(c.windowBytesPerNode) / median(s.windowBytesPerNode)
    let own = (median(c.windowBytesPerNode) - c.backgroundPerNodePerWindow) / (median(s.windowBytesPerNode) - s.backgroundPerNodePerWindow)
    let backgroundRatio = c.backgroundPerNodePerWindow / s.backgroundPerNodePerWindow
    print("")
    print("Civitas / serf (below 1: Civitas is faster or sends less):")
    print("  time to all \(n), median: \(ratio(time))x   (max: \(ratio(maxTime))x)" + (c.allReached ? "" : " — Civitas did not reach all nodes in every window: no valid time ratio"))
    print("  bytes/node on the wire in a \(Int(options.window)) s window with the event: \(String(format: "%.2f", wire))x")
    print("    of which background without events: \(String(format: "%.2f", backgroundRatio))x; the event's own bytes: \(String(format: "%.2f", own))x")
    let faster = c.allReached && s.allReached && time < 1
    let fewer = wire <= 1
    print("target 'faster than serf': \(faster ? "met" : "NOT met") (median \(ms(median(c.times))) vs \(ms(median(s.times))))")
    print("target 'no more bytes': \(fewer ? "met" : "NOT met") (\(bytes(median(c.windowBytesPerNode))) vs \(bytes(median(s.windowBytesPerNode))) per node per \(Int(options.window)) s window, on the wire)")
    print("serf: time \(ratio(time))x bytes \(ratio(wire))x")
}
if !failures.isEmpty {
    print("FAILED: " + failures.joined(separator: "; "))
    exit(1)
}
