import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasTestSupport
import Crypto
import Foundation
import X509

/// Communities, CAs and node certificates for the identity tests. Times are fixed
/// (validation takes the time as input), except where openssl checks against its own clock.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
    static let day: TimeInterval = 86_400
    static let ward7 = CommunityID("ward-7")!
    static let ward8 = CommunityID("ward-8")!

    static func authority(_ community: CommunityID = ward7, now: Date = now, days: Int = 3650) throws -> CommunityAuthority {
        try CommunityAuthority.create(community: community, days: days, now: now)
    }

    /// A node: its ledger key (from `seed`), its TLS key and the certificate `ca` issues.
    struct Node {
        let ledger: SigningKey
        let tls: P256.Signing.PrivateKey
        let certificate: Certificate
        var nodeID: NodeID { ledger.publicKey.nodeID }
        var der: [UInt8] { CertificateDER.der(certificate) }
    }

    static func node(_ ca: CommunityAuthority, role: NodeRole = .validator, seed: UInt8 = 1, now: Date = now, days: Int = 365) throws -> Node {
        let ledger = SigningKey(seed: Bytes32(Array(repeating: seed, count: 32))!)
        let tls = P256.Signing.PrivateKey()
        let certificate = try ca.issue(nodeKey: ledger.publicKey, role: role, tlsKey: tls.publicKey, days: days, now: now)
        return Node(ledger: ledger, tls: tls, certificate: certificate)
    }

    static func validator(_ cas: [CommunityAuthority], revocations: [RevocationList] = []) -> PeerCertificateValidator {
        PeerCertificateValidator(bundle: TrustBundle(cas.map(\.ca)), revocations: revocations)
    }

    /// A certificate signed by `ca` with any extensions the test wants (for profile violations).
    static func custom(
        _ ca: CommunityAuthority, subject: String = "custom", uris: [String], now: Date = now,
        eku: [ExtendedKeyUsage.Usage] = [.serverAuth, .clientAuth]
    ) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage(eku)
            if !uris.isEmpty {
                SubjectAlternativeNames(uris.map { GeneralName.uniformResourceIdentifier($0) })
            }
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - day, notValidAfter: now + 30 * day,
            issuer: ca.ca.certificate.subject, subject: try DistinguishedName { CommonName(subject) },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(ca.privateKey))
    }
}

/// The case name of a refusal, so tests can say which check fired without restating every payload.
func kind(_ error: PeerCertificateError) -> String {
    Mirror(reflecting: error).children.first?.label ?? "\(error)"
}

/// The validator's answer as a value: the identity, or the refusal.
func outcome(
    _ validator: PeerCertificateValidator, chain: [[UInt8]], claimed: NodeID? = nil,
    requirements: PeerRequirements = .sameCommunity(Fixture.ward7), now: Date = Fixture.now
) async -> Result<NodeIdentity, PeerCertificateError> {
    do {
        return .success(try await validator.validate(chainDER: chain, claimedNodeID: claimed, requirements: requirements, now: now))
    } catch {
        return .failure(error)
    }
}

extension Result where Failure == PeerCertificateError {
    /// The refusal's case name, or "accepted".
    var kind: String {
        switch self {
        case .success: return "accepted"
        case let .failure(error): return CivitasIdentityTests.kind(error)
        }
    }
}

enum OpenSSL {
    static let path = "/usr/bin/openssl"
    static let available = isExecutable(path)

    static func run(_ arguments: [String]) throws -> ToolResult { try runTool(path, arguments) }
    static func text(_ r: ToolResult) -> String { String(decoding: r.stdout, as: UTF8.self) + r.stderr }
}
