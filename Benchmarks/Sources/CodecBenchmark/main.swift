// Codec benchmark: the Civitas canonical encoding of a realistic 500-transaction
// block against swift-protobuf (same schema, Proto/civitas_bench.proto) and
// Foundation JSON (the ledger types' Codable conformance).
//
//   CodecBenchmark                      full run (about 25 s)
//   CodecBenchmark --quick              fewer, shorter rounds (smoke test)
//   CodecBenchmark --rounds 9 --round-ms 300
//   CodecBenchmark --profile civitas-decode 2000
//                                       only that operation, N times (for callgrind/perf)
import CivitasCodec
import CivitasLedger
import Foundation
import SwiftProtobuf

#if canImport(Glibc)
import Glibc
#endif

// MARK: arguments

var settings = Settings()
var profile: (op: String, iterations: Int)? = nil
do {
    var args = CommandLine.arguments.dropFirst()
    func number(_ flag: String) -> Int {
        guard let s = args.popFirst(), let v = Int(s), v > 0 else { fatalError("\(flag) needs a positive number") }
        return v
    }
    while let a = args.popFirst() {
        switch a {
        case "--quick": settings.rounds = 3; settings.minRoundSeconds = 0.05; settings.warmupSeconds = 0.05
        case "--rounds": settings.rounds = number(a)
        case "--round-ms": settings.minRoundSeconds = Double(number(a)) / 1000
        case "--profile":
            guard let op = args.popFirst() else { fatalError("--profile needs an operation name") }
            profile = (op, number(a))
        default:
            FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
            exit(2)
        }
    }
}

func check(_ condition: Bool, _ what: String) {
    guard condition else {
        FileHandle.standardError.write(Data("correctness check failed: \(what)\n".utf8))
        exit(1)
    }
}

// MARK: the block and its encodings (all outside timing)

let fixture = BlockFactory.make()
let block = fixture.block
let sealed = fixture.sealed

let civitasBytes = block.encoded()
let sealedBytes = sealed.encoded()
let protoMessage = Civitas_Bench_Block(block)
let protoBytes: [UInt8] = try protoMessage.serializedBytes()
let jsonEncoder = JSONEncoder()
let jsonDecoder = JSONDecoder()
let jsonBytes = try jsonEncoder.encode(block)

// MARK: correctness, before anything is timed

do {
    // Real signatures, and a body that matches its header.
    try block.verifyBody(checkSignatures: true)
    let validators = (0..<4).map { BlockFactory.key("validator-\($0)").publicKey }
    try sealed.verify(validators: validators, checkSignatures: false)

    check(civitasBytes.first == Block.typeTag && civitasBytes[1] == Block.formatVersion, "Civitas header bytes")
    check(block.encoded() == civitasBytes, "Civitas encoding is deterministic")
    check(try Block(encoded: civitasBytes) == block, "Civitas decode == block")
    check(sealedBytes.first == SealedBlock.typeTag, "SealedBlock header byte")
    check(try SealedBlock(encoded: sealedBytes) == sealed, "SealedBlock decode == sealed block")

    let protoBack = try Civitas_Bench_Block(serializedBytes: protoBytes)
    check(protoBack == protoMessage, "protobuf round trip == message")
    check(try protoBack.toCivitas() == block, "protobuf decode carries the same block")
    let protoAgain: [UInt8] = try protoMessage.serializedBytes()
    check(protoAgain == protoBytes, "protobuf encoding is deterministic here")

    check(try jsonDecoder.decode(Block.self, from: jsonBytes) == block, "JSON decode == block")
} catch {
    FileHandle.standardError.write(Data("correctness check threw: \(error)\n".utf8))
    exit(1)
}

// MARK: operations

var sink: UInt64 = 0

let operations: [(String, () throws -> UInt64)] = [
    ("civitas-encode", {
        let b = block.encoded()
        return UInt64(b.count) &+ UInt64(b[b.count >> 1])
    }),
    ("civitas-decode", {
        let b = try Block(encoded: civitasBytes)
        return UInt64(b.transactions.count) &+ b.transactions[b.transactions.count - 1].nonce
    }),
    ("sealed-decode", {
        let s = try SealedBlock(encoded: sealedBytes)
        return UInt64(s.block.transactions.count) &+ s.block.transactions[s.block.transactions.count - 1].nonce
    }),
    ("protobuf-encode", {
        let b: [UInt8] = try protoMessage.serializedBytes()
        return UInt64(b.count) &+ UInt64(b[b.count >> 1])
    }),
    ("protobuf-decode", {
        let m = try Civitas_Bench_Block(serializedBytes: protoBytes)
        return UInt64(m.transactions.count) &+ m.transactions[m.transactions.count - 1].body.nonce
    }),
    ("json-encode", {
        let d = try jsonEncoder.encode(block)
        return UInt64(d.count)
    }),
    ("json-decode", {
        let b = try jsonDecoder.decode(Block.self, from: jsonBytes)
        return UInt64(b.transactions.count) &+ b.transactions[b.transactions.count - 1].nonce
    }),
]

if let profile {
    guard let op = operations.first(where: { $0.0 == profile.op }) else {
        fatalError("unknown operation \(profile.op); one of \(operations.map(\.0).joined(separator: ", "))")
    }
    for _ in 0..<profile.iterations { consume(try op.1(), into: &sink) }
    print("\(profile.op) x\(profile.iterations), checksum \(sink)")
    exit(0)
}

// MARK: timing

let results = try measureAll(operations, settings, sink: &sink)

// MARK: report

func grouped(_ v: Int) -> String {
    let s = String(v)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}
func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
func ns(_ m: Timing) -> String { grouped(Int(m.medianNs.rounded())) }
/// MB/s of Civitas canonical bytes (10^6 bytes) processed.
func mbps(_ m: Timing) -> String { grouped(Int((Double(civitasBytes.count) / m.medianNs * 1000).rounded())) }

let civitasZstd = Zstd.compress(civitasBytes).count
let protoZstd = Zstd.compress(protoBytes).count
let jsonZstd = Zstd.compress(Array(jsonBytes)).count

let ce = results["civitas-encode"]!, cd = results["civitas-decode"]!, sd = results["sealed-decode"]!
let pe = results["protobuf-encode"]!, pd = results["protobuf-decode"]!
let je = results["json-encode"]!, jd = results["json-decode"]!

let decodeRatio = pd.medianNs / cd.medianNs
let encodeRatio = pe.medianNs / ce.medianNs
let sizeRatio = Double(civitasBytes.count) / Double(protoBytes.count)
let zstdRatio = Double(civitasBytes.count) / Double(civitasZstd)
let decodeGBps = Double(civitasBytes.count) / cd.medianNs

let composition = fixture.kindCounts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
print("""
# Civitas codec benchmark

Block: height \(block.header.height), \(block.transactions.count) transactions (\(composition)), \
\(fixture.signerCount) distinct Ed25519 signers, \(fixture.endorsementCount) endorsements, checkpoint with a 3-vote certificate; \
sealed with a 3-vote commit certificate. Deterministic content (seeded), real signatures (verified before timing).
Checks passed before timing: Civitas decode == block, SealedBlock decode == sealed block, \
protobuf round trip == message and converts back to the same block, JSON decode == block.
Method: per operation \(fixed(settings.warmupSeconds, 2)) s warm-up, then \(settings.rounds) rounds of ≥ \(fixed(settings.minRoundSeconds, 2)) s \
(the operations take turns round by round); the median round is reported. Single thread; time is the thread's \
CPU time (CLOCK_THREAD_CPUTIME_ID), so other load on the machine does not count; the wall-clock median is shown beside it.

| Operation | iterations × rounds | median CPU ns/block | min | max | median wall ns/block |
|---|---:|---:|---:|---:|---:|
""")
for name in operations.map(\.0) {
    let m = results[name]!
    print("| \(name) | \(m.iterationsPerRound) × \(m.rounds) | \(ns(m)) | \(grouped(Int(m.minNs))) | \(grouped(Int(m.maxNs))) | \(grouped(Int(m.wallMedianNs))) |")
}

print("""

| Format | Encoded bytes | zstd-3 bytes | Encode ns/block | Encode MB/s* | Decode ns/block | Decode MB/s* |
|---|---:|---:|---:|---:|---:|---:|
| Civitas canonical `Block` (0x21) | \(grouped(civitasBytes.count)) | \(grouped(civitasZstd)) | \(ns(ce)) | \(mbps(ce)) | \(ns(cd)) | \(mbps(cd)) |
| Civitas `SealedBlock` wire (zstd body, 0x22) | \(grouped(sealedBytes.count)) | — | — | — | \(ns(sd)) | \(mbps(sd)) |
| swift-protobuf 1.39.0 (same schema) | \(grouped(protoBytes.count)) | \(grouped(protoZstd)) | \(ns(pe)) | \(mbps(pe)) | \(ns(pd)) | \(mbps(pd)) |
| Foundation JSONEncoder/JSONDecoder | \(grouped(jsonBytes.count)) | \(grouped(jsonZstd)) | \(ns(je)) | \(mbps(je)) | \(ns(jd)) | \(mbps(jd)) |

\\* MB/s = the Civitas canonical size of this block (\(grouped(civitasBytes.count)) bytes; 1 MB = 10^6 bytes) per second \
for every row, so each row is the same work (one block) whatever its own encoded size.

| Target | Measured | Met |
|---|---:|:---:|
| decode ≥ 3× faster than swift-protobuf | \(fixed(decodeRatio, 2))× | \(decodeRatio >= 3 ? "yes" : "no") |
| encode ≥ 3× faster than swift-protobuf | \(fixed(encodeRatio, 2))× | \(encodeRatio >= 3 ? "yes" : "no") |
| encoded size ≤ protobuf | \(fixed(sizeRatio, 3))× (\(grouped(civitasBytes.count)) vs \(grouped(protoBytes.count)) bytes) | \(sizeRatio <= 1 ? "yes" : "no") |
| decode ≥ 1 GB/s | \(fixed(decodeGBps, 2)) GB/s | \(decodeGBps >= 1 ? "yes" : "no") |

checksum: \(sink)
""")

// MARK: machine

func machineArchitecture() -> String {
    var u = utsname()
    guard uname(&u) == 0 else { return "unknown" }
    return withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
}

func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
        if let colon = line.firstIndex(of: ":") {
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
    return "unknown CPU"
}

print("machine: \(machineArchitecture()), \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("codec: decode \(fixed(decodeRatio, 2))x protobuf, encode \(fixed(encodeRatio, 2))x protobuf, size \(fixed(sizeRatio, 2))x protobuf, zstd ratio \(fixed(zstdRatio, 2))")
