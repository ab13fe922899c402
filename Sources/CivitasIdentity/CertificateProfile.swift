public import CivitasLedger
public import Foundation
public import X509
internal import SwiftASN1

/// A community CA certificate that follows the Civitas profile: self-signed,
/// basicConstraints CA:true (critical, path length 0), keyUsage keyCertSign + cRLSign
/// (critical), a subject key identifier, and the URI `civitas://<community>`.
/// (`CommunityAuthority` also adds nameConstraints permitting only URIs of the
/// community; it is not required here, the validator checks the community itself.)
public struct CommunityCACertificate: Hashable, Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// The community it serves.
    public let community: CommunityID
    /// Its subject key identifier (node certificates name it as their authority key ID).
    public let keyID: [UInt8]

    /// Checks `certificate` against the CA profile; the error says which part is missing.
    public init(_ certificate: Certificate) throws(ProfileViolation) {
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw ProfileViolation("basicConstraints CA:true is missing")
        }
        guard let usage = try? certificate.extensions.keyUsage, usage.keyCertSign else {
            throw ProfileViolation("keyUsage keyCertSign is missing")
        }
        guard let ski = try? certificate.extensions.subjectKeyIdentifier else {
            throw ProfileViolation("subjectKeyIdentifier is missing")
        }
        let names = try Self.civitasNames(certificate)
        let communities = names.compactMap { if case let .community(c) = $0 { c } else { nil } }
        guard communities.count == 1, names.count == 1 else {
            throw ProfileViolation("a community CA must carry exactly one URI civitas://<community>, found \(names.count)")
        }
        self.certificate = certificate
        self.community = communities[0]
        self.keyID = Array(ski.keyIdentifier)
    }

    /// The SHA-256 fingerprint of the DER, as `openssl x509 -fingerprint -sha256` prints it.
    public var fingerprint: String { CertificateDER.fingerprint(certificate) }

    static func civitasNames(_ certificate: Certificate) throws(ProfileViolation) -> [CertificateNames.Parsed] {
        let san: SubjectAlternativeNames?
        do { san = try certificate.extensions.subjectAlternativeNames } catch {
            throw ProfileViolation("the subjectAltName extension cannot be read: \(error)")
        }
        var result: [CertificateNames.Parsed] = []
        for name in san ?? SubjectAlternativeNames() {
            guard case let .uniformResourceIdentifier(uri) = name, uri.hasPrefix(CertificateNames.scheme + "://") else { continue }
            guard let parsed = CertificateNames.parse(uri) else { throw ProfileViolation("malformed Civitas URI '\(uri)'") }
            result.append(parsed)
        }
        return result
    }
}

/// Who a node certificate says its holder is: node ID, community and role, with the
/// certificate's serial number and validity window.
public struct NodeIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The node ID (derived from the node's Ed25519 ledger key).
    public let nodeID: NodeID
    /// The node's community.
    public let community: CommunityID
    /// What the node does.
    public let role: NodeRole
    /// The certificate's serial number (big-endian bytes).
    public let serial: [UInt8]
    /// Start of the validity window.
    public let notBefore: Date
    /// End of the validity window.
    public let notAfter: Date

    /// Reads the identity of a node certificate, checking the node profile:
    /// not a CA, keyUsage digitalSignature, extendedKeyUsage serverAuth and clientAuth,
    /// exactly one node URI and one role URI in the same community.
    public init(_ certificate: Certificate) throws(ProfileViolation) {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints {
            throw ProfileViolation("it is a CA certificate (basicConstraints CA:true), not a node certificate")
        }
        guard let usage = try? certificate.extensions.keyUsage, usage.digitalSignature else {
            throw ProfileViolation("keyUsage digitalSignature is missing")
        }
        guard let eku = try? certificate.extensions.extendedKeyUsage, eku.contains(.serverAuth), eku.contains(.clientAuth) else {
            throw ProfileViolation("extendedKeyUsage must allow both serverAuth and clientAuth (mutual TLS)")
        }
        var nodes: [(CommunityID, NodeID)] = [], roles: [(CommunityID, NodeRole)] = []
        for name in try CommunityCACertificate.civitasNames(certificate) {
            switch name {
            case let .node(c, n): nodes.append((c, n))
            case let .role(c, r): roles.append((c, r))
            case .community: throw ProfileViolation("a node certificate must not carry a bare community URI")
            }
        }
        guard nodes.count == 1 else { throw ProfileViolation("expected one URI civitas://<community>/node/<id>, found \(nodes.count)") }
        guard roles.count == 1 else { throw ProfileViolation("expected one URI civitas://<community>/role/<role>, found \(roles.count)") }
        guard nodes[0].0 == roles[0].0 else {
            throw ProfileViolation("the node URI names community '\(nodes[0].0)' but the role URI names '\(roles[0].0)'")
        }
        nodeID = nodes[0].1
        community = nodes[0].0
        role = roles[0].1
        serial = Array(certificate.serialNumber.bytes)
        notBefore = certificate.notValidBefore
        notAfter = certificate.notValidAfter
    }

    /// The serial in hex, as `openssl x509 -serial` prints it.
    public var serialHex: String { RevocationList.Entry.hex(serial) }

    public var description: String { "\(nodeID) (\(role) of \(community))" }

    /// Checks that a signed peer record belongs to the holder of this certificate:
    /// the record's signature is valid, its key hashes to this node ID, and it names
    /// the same community and role. The TLS key and the ledger key stay separate;
    /// the node ID (SHA-256 of the ledger key, truncated) is what ties them together.
    public func matches(_ record: PeerRecord) -> Bool {
        record.hasValidSignature() && record.nodeID == nodeID && record.community == community && record.role == role
    }
}

/// A certificate that does not follow the Civitas profile, and the part that is wrong.
public struct ProfileViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Certificate encodings shared by the CA, the bundle and the tools.
public enum CertificateDER {
    /// Reads one DER certificate; the error says what is wrong with the bytes.
    public static func certificate(_ der: [UInt8]) throws(PeerCertificateError) -> Certificate {
        guard !der.isEmpty else { throw .unreadableCertificate(reason: "no bytes") }
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw .unreadableCertificate(reason: "\(error)")
        }
    }

    /// The certificate's DER bytes.
    public static func der(_ certificate: Certificate) -> [UInt8] {
        var s = DER.Serializer()
        // Serializing a parsed or freshly built certificate cannot fail.
        try! s.serialize(certificate)
        return s.serializedBytes
    }

    /// The certificate as one PEM block.
    public static func pem(_ certificate: Certificate) -> String {
        PEMText.wrap(der(certificate), label: "CERTIFICATE")
    }

    /// Every `CERTIFICATE` block of a PEM text, parsed.
    public static func certificates(pem text: String, path: String) throws(IdentityError) -> [Certificate] {
        var result: [Certificate] = []
        for (i, der) in try PEMText.blocks(in: text, label: "CERTIFICATE", path: path).enumerated() {
            do {
                result.append(try Certificate(derEncoded: der))
            } catch {
                throw .brokenPEM(path: path, label: "CERTIFICATE", reason: "block \(i + 1) is not an X.509 certificate: \(error)")
            }
        }
        return result
    }

    /// SHA-256 of the DER in colon-separated upper-case hex.
    public static func fingerprint(_ certificate: Certificate) -> String {
        IdentityDigest.sha256(der(certificate)).map { RevocationList.Entry.hex([$0]) }.joined(separator: ":")
    }
}
