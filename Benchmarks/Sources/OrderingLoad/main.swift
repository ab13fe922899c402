// OrderingLoad: the load generator of `make bench-ordering` (issue #6).
//
//   OrderingLoad etcd    --endpoints 127.0.0.1:22479[,...] [load options]
//   OrderingLoad civitas --nodes http://127.0.0.1:28081,... --key-dir DIR --community NAME [load options]
//   OrderingLoad keys    --signers N --key-dir DIR [--write-public-keys FILE]
//   OrderingLoad ceiling [--seconds S (5)] [--signers N] [--community NAME]
//   OrderingLoad summary --etcd FILE --civitas FILE --ceiling FILE
//
// Load options: --mode open|saturate|both (both), --rate R (1000 writes/s
// offered in the open loop), --open-lanes N (256: at most this many requests
// in flight in the open loop), --concurrency 16,64,256
// (closed-loop levels), --warmup S (3), --seconds S (15), --drain S (10),
// --timeout S (10, per request), --connections N (etcd: gRPC connections, 1),
// --value-size B (etcd: 250), --signers N (civitas: 256), --kind
// notice|volunteerRecord, --tx-size B (250), --first-nonce N (1),
// --budget-rate R (civitas: transactions pre-signed per second of a closed-loop
// phase, 15000).
import CivitasLedger
import Foundation

enum Mode: String { case open, saturate, both }

struct LoadOptions {
    var mode = Mode.both
    var rate = 1000.0
    var openLanes = 256
    var concurrency = [16, 64, 256]
    var warmup = 3.0
    var seconds = 15.0
    var secondsGiven = false
    var drain = 10.0
    var timeout = 10.0
    /// One HTTP/2 connection, as etcd's Go client (clientv3) and its `benchmark` tool use by default.
    var connections = 1
    var valueSize = 250
    var signers = 256
    var kind = TxKind.notice
    var txSize = 250
    var firstNonce: UInt64 = 1
    var budgetRate = 15_000.0
    var endpoints: [String] = []
    var nodes: [String] = []
    var keyDir: String?
    var publicKeysFile: String?
    var community = "bench"
    var files: [String: String] = [:]
}

func parse(_ args: ArraySlice<String>) throws -> LoadOptions {
    var o = LoadOptions()
    var it = args.makeIterator()
    func value(_ flag: String) throws -> String {
        guard let v = it.next() else { throw LoadError.usage("\(flag) needs a value") }
        return v
    }
    func number(_ flag: String) throws -> Double {
        let v = try value(flag)
        guard let d = Double(v), d.isFinite, d >= 0 else { throw LoadError.usage("\(flag): '\(v)' is not a number") }
        return d
    }
    func count(_ flag: String) throws -> Int {
        let d = try number(flag)
        guard d >= 1, d == d.rounded(), d < 10_000_000 else { throw LoadError.usage("\(flag): needs a whole number >= 1") }
        return Int(d)
    }
    func list(_ flag: String) throws -> [String] {
        try value(flag).split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    while let a = it.next() {
        switch a {
        case "--mode":
            let v = try value(a)
            guard let m = Mode(rawValue: v) else { throw LoadError.usage("--mode: open, saturate or both") }
            o.mode = m
        case "--rate": o.rate = try number(a); if o.rate <= 0 { throw LoadError.usage("--rate must be > 0") }
        case "--open-lanes": o.openLanes = try count(a)
        case "--concurrency":
            o.concurrency = try list(a).map { s in
                guard let n = Int(s), n >= 1, n <= 100_000 else { throw LoadError.usage("--concurrency: '\(s)' is not a count") }
                return n
            }
            if o.concurrency.isEmpty { throw LoadError.usage("--concurrency needs at least one level") }
        case "--warmup": o.warmup = try number(a)
        case "--seconds":
            o.seconds = try number(a)
            o.secondsGiven = true
            if o.seconds <= 0 { throw LoadError.usage("--seconds must be > 0") }
        case "--drain": o.drain = try number(a)
        case "--timeout": o.timeout = try number(a); if o.timeout <= 0 { throw LoadError.usage("--timeout must be > 0") }
        case "--connections": o.connections = try count(a)
        case "--value-size": o.valueSize = try count(a)
        case "--signers": o.signers = try count(a)
        case "--kind":
            let v = try value(a)
            guard let k = TxKind(rawValue: v) else { throw LoadError.usage("--kind: notice or volunteerRecord") }
            o.kind = k
        case "--tx-size": o.txSize = try count(a)
        case "--first-nonce": o.firstNonce = UInt64(try count(a))
        case "--budget-rate": o.budgetRate = try number(a)
        case "--endpoints": o.endpoints = try list(a)
        case "--nodes": o.nodes = try list(a)
        case "--key-dir": o.keyDir = try value(a)
        case "--write-public-keys": o.publicKeysFile = try value(a)
        case "--community": o.community = try value(a)
        case "--etcd", "--civitas", "--ceiling": o.files[String(a.dropFirst(2))] = try value(a)
        default: throw LoadError.usage("unknown option '\(a)'")
        }
    }
    return o
}

func community(_ name: String) throws -> CommunityID {
    guard let c = CommunityID(name) else { throw LoadError.usage("'\(name)' is not a valid community name") }
    return c
}

func hostPort(_ s: String) throws -> (host: String, port: Int) {
    var t = Substring(s)
    if t.hasPrefix("http://") { t = t.dropFirst(7) }
    guard let colon = t.lastIndex(of: ":"), let port = Int(t[t.index(after: colon)...]), port > 0, port < 65536 else {
        throw LoadError.usage("endpoint '\(s)' must be host:port")
    }
    return (String(t[..<colon]), port)
}

func run(_ argv: [String]) async throws {
    guard argv.count >= 2 else { throw LoadError.usage("usage: OrderingLoad etcd|civitas|keys|ceiling|summary [options] (see the comment in main.swift)") }
    var o = try parse(argv.dropFirst(2))
    switch argv[1] {
    case "etcd":
        guard !o.endpoints.isEmpty else { throw LoadError.usage("etcd: --endpoints host:port[,...] is required") }
        let target = try EtcdTarget(endpoints: o.endpoints.map(hostPort), connections: o.connections,
                                    valueSize: o.valueSize, timeout: .milliseconds(Int64(o.timeout * 1000)))
        do {
            try await runPlan(target, options: o)
        } catch {
            await target.shutdown()
            throw error
        }
        await target.shutdown()
    case "civitas":
        guard let dir = o.keyDir else { throw LoadError.usage("civitas: --key-dir is required (make keys with `OrderingLoad keys`)") }
        guard !o.nodes.isEmpty else { throw LoadError.usage("civitas: --nodes http://host:port[,...] is required") }
        let need = max(o.mode == .saturate ? 0 : o.openLanes, o.mode == .open ? 0 : o.concurrency.max()!)
        if o.signers < need { o.signers = need }
        let keys = try SignerKeys.load(count: o.signers, dir: dir)
        let factory = TransactionFactory(community: try community(o.community), kind: o.kind, targetSize: o.txSize)
        let sample = factory.transaction(signer: keys[0], nonce: 1).encoded().count
        let sample2 = factory.transaction(signer: keys[0], nonce: 100_000).encoded().count
        print("civitas: \(o.kind.rawValue) transactions of \(sample)-\(sample2) bytes (nonce 1 to 100,000), \(keys.count) signers, community \(o.community)")
        let target = try CivitasTarget(nodeURLs: o.nodes, signers: keys, factory: factory, firstNonce: o.firstNonce,
                                       timeout: .milliseconds(Int64(o.timeout * 1000)))
        do {
            try await runPlan(target, options: o)
        } catch {
            await target.shutdown()
            throw error
        }
        await target.shutdown()
    case "keys":
        guard let dir = o.keyDir else { throw LoadError.usage("keys: --key-dir is required") }
        _ = try SignerKeys.create(count: o.signers, dir: dir, publicKeysFile: o.publicKeysFile)
    case "ceiling":
        let factory = TransactionFactory(community: try community(o.community), kind: o.kind, targetSize: o.txSize)
        let ok = Ceiling.run(seconds: o.secondsGiven ? o.seconds : 5, factory: factory, signers: min(o.signers, 64))
        if !ok { throw LoadError.usage("ceiling: some signatures did not verify") }
    case "summary":
        try Summary.run(files: o.files)
    default:
        throw LoadError.usage("unknown command '\(argv[1])' (etcd, civitas, keys, ceiling, summary)")
    }
}

do {
    try await run(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("OrderingLoad: \(error)\n".utf8))
    exit(1)
}
