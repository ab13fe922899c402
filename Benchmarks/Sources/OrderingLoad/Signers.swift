// Signer keys and the benchmark's signed transactions (~250 bytes encoded).
import CivitasCodec
import CivitasLedger
import Foundation

enum TxKind: String, Sendable {
    case notice, volunteerRecord
}

enum LoadError: Error, CustomStringConvertible {
    case usage(String)
    case keys(String)

    var description: String {
        switch self {
        case let .usage(s): return s
        case let .keys(s): return s
        }
    }
}

/// Key files: `<dir>/signer-NNN.pem` (PKCS#8 Ed25519, as `civitas keys new` writes).
enum SignerKeys {
    static func path(_ dir: String, _ i: Int) -> String { "\(dir)/signer-\(String(format: "%03d", i)).pem" }

    /// Creates the keys that are missing (keeps existing ones), writes the public
    /// keys (one lowercase hex key per line, in signer order) if asked.
    static func create(count: Int, dir: String, publicKeysFile: String?) throws -> [SigningKey] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var keys: [SigningKey] = []
        var made = 0
        for i in 0..<count {
            let p = path(dir, i)
            if FileManager.default.fileExists(atPath: p) {
                keys.append(try load(p))
            } else {
                let k = SigningKey.generate()
                try k.pemRepresentation.write(toFile: p, atomically: true, encoding: .utf8)
                chmod(p, 0o600)
                keys.append(k)
                made += 1
            }
        }
        if let publicKeysFile {
            let text = keys.map { hex($0.publicKey.raw.bytes) }.joined(separator: "\n") + "\n"
            try text.write(toFile: publicKeysFile, atomically: true, encoding: .utf8)
        }
        print("signers: \(count) keys in \(dir) (\(made) new)" + (publicKeysFile.map { "; public keys (hex, one a line) in \($0)" } ?? ""))
        return keys
    }

    static func load(count: Int, dir: String) throws -> [SigningKey] {
        try (0..<count).map { try load(path(dir, $0)) }
    }

    static func load(_ p: String) throws -> SigningKey {
        guard let text = try? String(contentsOfFile: p, encoding: .utf8) else { throw LoadError.keys("cannot read signer key \(p)") }
        do { return try SigningKey(pem: text) } catch { throw LoadError.keys("\(p): \(error)") }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Builds the benchmark's transactions: the payload is padded so that the
/// encoded, signed transaction is `targetSize` bytes at a 2-byte nonce; the
/// size moves by a byte or two with the nonce's varint length.
struct TransactionFactory: Sendable {
    let community: CommunityID
    let kind: TxKind
    let targetSize: Int
    let time: Timestamp
    let padding: Int

    init(community: CommunityID, kind: TxKind, targetSize: Int) {
        self.community = community
        self.kind = kind
        self.targetSize = targetSize
        time = Timestamp(Date().timeIntervalSince1970 * 1000)
        // Encoded size grows one byte per padding byte (within a varint length band).
        let probeKey = SigningKey(seed: Bytes32([UInt8](repeating: 7, count: 32))!)
        var pad = 0
        for _ in 0..<4 {
            let size = Self.build(community, kind, time, probeKey, nonce: 200, padding: pad).encoded().count
            pad = Swift.max(0, pad + targetSize - size)
        }
        padding = pad
    }

    func transaction(signer: SigningKey, nonce: UInt64) -> Transaction {
        Self.build(community, kind, time, signer, nonce: nonce, padding: padding)
    }

    private static func build(_ community: CommunityID, _ kind: TxKind, _ time: Timestamp, _ key: SigningKey, nonce: UInt64, padding: Int) -> Transaction {
        let filler = String(repeating: "x", count: padding)
        let payload: TransactionPayload
        switch kind {
        case .notice:
            payload = .notice(Notice(category: .general, title: "Ordering benchmark", body: "Load \(filler)"))
        case .volunteerRecord:
            payload = .volunteerRecord(VolunteerRecord(
                volunteer: SubjectID(deriving: key.publicKey), activity: "benchmark \(filler)", minutes: 30, day: UInt32(time / 86_400_000)))
        }
        let body = UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce, time: time + nonce, payload: payload)
        return body.signed(with: key)
    }
}

/// Runs `body(i)` for i in 0..<count on every core; results in order.
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let out = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
    defer { out.deallocate() }
    nonisolated(unsafe) let slots = out
    let cores = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
    let chunk = (count + cores - 1) / cores
    // Each iteration writes a disjoint range of slots.
    DispatchQueue.concurrentPerform(iterations: cores) { c in
        let lo = c * chunk, hi = Swift.min(count, lo + chunk)
        if lo < hi { for i in lo..<hi { (slots.baseAddress! + i).initialize(to: body(i)) } }
    }
    let result = Array(out)
    _ = out.deinitialize()
    return result
}
