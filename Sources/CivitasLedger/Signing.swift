internal import Crypto
internal import Foundation
public import CivitasCodec

/// What a signature is for. The domain's name is hashed in front of every
/// signed message, so a signature made for one purpose never verifies as
/// another (a transaction signature is not a block vote, and so on).
public enum SigningDomain: String, Sendable, CaseIterable {
    /// A subject signs a transaction.
    case transaction = "civitas/v1/transaction"
    /// A validator votes for a block header (commit certificates).
    case blockVote = "civitas/v1/block-vote"
    /// A node signs its peer record (discovery).
    case peerRecord = "civitas/v1/peer-record"
    /// A resident endorses (co-signs) a proposal's terms.
    case proposalEndorsement = "civitas/v1/proposal-endorsement"

    /// The 32-byte digest that Ed25519 signs for `message` in this domain.
    public func digest(_ message: UnsafeRawBufferPointer) -> Hash {
        Hashing.domainDigest(rawValue, message)
    }

    /// The 32-byte digest that Ed25519 signs for `message` in this domain.
    public func digest(_ message: [UInt8]) -> Hash {
        message.withUnsafeBytes { digest($0) }
    }
}

/// An Ed25519 private key.
///
/// `@unchecked Sendable`: the wrapped key is immutable after creation; swift-crypto
/// does not mark it Sendable on Linux.
public struct SigningKey: @unchecked Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// A fresh key from the system's secure random source (shells only: cores take keys as input).
    public static func generate() -> SigningKey {
        SigningKey(key: Curve25519.Signing.PrivateKey())
    }

    /// The key whose RFC 8032 seed is `seed` (deterministic; used by simulations and tests).
    public init(seed: Bytes32) {
        // A 32-byte seed is always a valid Ed25519 private key.
        key = seed.withUnsafeBytes { try! Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
    }

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// The 32-byte seed.
    public var seed: Bytes32 { Bytes32(key.rawRepresentation)! }

    /// The public half.
    public var publicKey: PublicKey { PublicKey(raw: Bytes32(key.publicKey.rawRepresentation)!) }

    /// Signs `message` in `domain`.
    public func sign(_ message: [UInt8], domain: SigningDomain) -> Signature {
        sign(digest: domain.digest(message))
    }

    /// Signs a digest produced by `SigningDomain.digest`.
    public func sign(digest: Hash) -> Signature {
        // Ed25519 signing only fails on allocation failure inside BoringSSL.
        let sig = digest.withUnsafeBytes { try! key.signature(for: $0) }
        return Signature(sig)!
    }

    private static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    /// The key as a PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes it.
    public var pemRepresentation: String {
        let der = Data(Self.pkcs8Prefix + seed.bytes)
        return PEM.wrap(der, label: "PRIVATE KEY")
    }

    /// Reads a PKCS#8 Ed25519 private key in PEM.
    public init(pem: String) throws(KeyError) {
        let der = try PEM.unwrap(pem, label: "PRIVATE KEY")
        guard der.count == 48, Array(der.prefix(16)) == Self.pkcs8Prefix, let seed = Bytes32(der.suffix(32)) else {
            throw KeyError.notEd25519PrivateKey
        }
        self.init(seed: seed)
    }
}

extension PublicKey {
    /// True if `signature` is this key's Ed25519 signature over `digest`.
    public func isValidSignature(_ signature: Signature, digest: Hash) -> Bool {
        guard let key = raw.withUnsafeBytes({ try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }) else {
            return false
        }
        return signature.withUnsafeBytes { sig in
            digest.withUnsafeBytes { msg in key.isValidSignature(sig, for: msg) }
        }
    }

    /// True if `signature` is this key's signature over `message` in `domain`.
    public func isValidSignature(_ signature: Signature, for message: [UInt8], domain: SigningDomain) -> Bool {
        isValidSignature(signature, digest: domain.digest(message))
    }

    private static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The key as a SubjectPublicKeyInfo PEM document (`-----BEGIN PUBLIC KEY-----`).
    public var pemRepresentation: String {
        PEM.wrap(Data(Self.spkiPrefix + raw.bytes), label: "PUBLIC KEY")
    }

    /// Reads an Ed25519 SubjectPublicKeyInfo PEM document.
    public init(pem: String) throws(KeyError) {
        let der = try PEM.unwrap(pem, label: "PUBLIC KEY")
        guard der.count == 44, Array(der.prefix(12)) == Self.spkiPrefix, let raw = Bytes32(der.suffix(32)) else {
            throw KeyError.notEd25519PublicKey
        }
        self.init(raw: raw)
    }
}

/// Why a key file was refused.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text has no `-----BEGIN <label>-----` … `-----END <label>-----` block.
    case missingPEMBlock(label: String)
    /// The PEM body is not valid base64.
    case invalidBase64
    /// The DER is not a PKCS#8 Ed25519 private key.
    case notEd25519PrivateKey
    /// The DER is not an Ed25519 SubjectPublicKeyInfo.
    case notEd25519PublicKey

    public var description: String {
        switch self {
        case let .missingPEMBlock(label): return "no '-----BEGIN \(label)-----' block found; expected a PEM file"
        case .invalidBase64: return "the PEM body is not valid base64"
        case .notEd25519PrivateKey: return "not an Ed25519 PKCS#8 private key (make one with `civitas keys new` or `openssl genpkey -algorithm ed25519`)"
        case .notEd25519PublicKey: return "not an Ed25519 public key (SubjectPublicKeyInfo)"
        }
    }
}

enum PEM {
    static func wrap(_ der: Data, label: String) -> String {
        let b64 = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(b64)\n-----END \(label)-----\n"
    }

    static func unwrap(_ text: String, label: String) throws(KeyError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else {
            throw KeyError.missingPEMBlock(label: label)
        }
        let body = text[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)) else { throw KeyError.invalidBase64 }
        return Array(der)
    }
}
