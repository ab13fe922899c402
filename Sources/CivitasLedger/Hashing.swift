internal import Crypto
public import CivitasCodec

/// SHA-256 in the forms the ledger uses.
public enum Hashing {
    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> Hash {
        var h = SHA256()
        h.update(bufferPointer: bytes)
        return finish(h)
    }

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// SHA-256 of `prefix ‖ bytes` without concatenating.
    public static func sha256(prefix: UInt8, _ parts: UnsafeRawBufferPointer...) -> Hash {
        var h = SHA256()
        withUnsafeBytes(of: prefix) { h.update(bufferPointer: $0) }
        for p in parts { h.update(bufferPointer: p) }
        return finish(h)
    }

    /// SHA-256 of `domain ‖ 0x00 ‖ message`: the digest every signature covers.
    public static func domainDigest(_ domain: String, _ message: UnsafeRawBufferPointer) -> Hash {
        var h = SHA256()
        var d = domain
        d.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { h.update(bufferPointer: $0) }
        h.update(bufferPointer: message)
        return finish(h)
    }

    static func finish(_ h: SHA256) -> Hash {
        let digest = h.finalize()
        var out = Hash()
        out.withUnsafeMutableBytes { dst in digest.withUnsafeBytes { dst.copyMemory(from: $0) } }
        return out
    }

    static func truncatedID(domain: String, key: PublicKey) -> Bytes16 {
        let full = key.raw.withUnsafeBytes { domainDigest(domain, $0) }
        var out = Bytes16()
        out.withUnsafeMutableBytes { dst in full.withUnsafeBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<16])) } }
        return out
    }
}

extension CanonicalObject {
    /// SHA-256 of the object's full encoding (type and version bytes included).
    public var canonicalHash: Hash { Hashing.sha256(encoded()) }
}
