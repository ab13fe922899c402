public import CivitasLedger
public import Foundation

/// Why a peer's certificate was refused at the handshake. Each description names the
/// fault and what the operator on either side can do about it.
public enum PeerCertificateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which certificate of a chain a fault concerns.
    public enum Subject: String, Hashable, Sendable {
        /// The peer's own (leaf) certificate.
        case node = "node certificate"
        /// The community CA that issued it.
        case communityCA = "community CA certificate"
    }

    /// The peer sent no certificate at all (mutual TLS requires one).
    case missingClientCertificate
    /// The bytes the peer sent are not a DER X.509 certificate.
    case unreadableCertificate(reason: String)
    /// The leaf is a CA certificate (basicConstraints CA:true), not a node certificate.
    case notANodeCertificate(subject: String)
    /// No CA in the federation trust bundle has the leaf's issuer name.
    case unknownCA(issuer: String)
    /// A CA with the issuer's name is trusted, but its key did not sign this certificate.
    case badSignature(issuer: String)
    /// The certificate's validity window ended before `now`.
    case expired(Subject, notAfter: Date, now: Date)
    /// The certificate's validity window starts after `now`.
    case notYetValid(Subject, notBefore: Date, now: Date)
    /// The issuing community's revocation list names the certificate's serial number.
    case revoked(serial: String, community: CommunityID, revokedAt: Date)
    /// The certificate lacks, repeats or garbles part of the Civitas profile.
    case malformedIdentity(reason: String)
    /// The certificate names a community other than the one its CA serves.
    case communityNotServedByCA(certificate: CommunityID, ca: CommunityID)
    /// The certificate's community is not one this connection accepts.
    case wrongCommunity(CommunityID, allowed: [CommunityID])
    /// The certificate's role is not one this connection accepts.
    case roleNotAllowed(NodeRole, allowed: [NodeRole])
    /// The node ID in the certificate differs from the one the peer claimed in its hello.
    case nodeIDMismatch(certificate: NodeID, claimed: NodeID)
    /// swift-certificates' RFC 5280 verifier refused the chain for the reasons given.
    case chainRejected(reasons: [String])

    public var description: String {
        switch self {
        case .missingClientCertificate:
            return "the peer presented no certificate; every Civitas node must present its node certificate (mutual TLS)"
        case let .unreadableCertificate(reason):
            return "the peer's certificate is not a readable DER X.509 certificate: \(reason)"
        case let .notANodeCertificate(subject):
            return "the peer presented a CA certificate (\(subject)) instead of a node certificate; issue one with `civitas ca issue`"
        case let .unknownCA(issuer):
            return "the certificate was issued by '\(issuer)', which is not in the federation trust bundle; add that community's CA with `civitas ca bundle`"
        case let .badSignature(issuer):
            return "the certificate claims issuer '\(issuer)' but that CA's key did not sign it (tampered or forged certificate)"
        case let .expired(subject, notAfter, now):
            return "the \(subject.rawValue) expired at \(IdentityTime.format(notAfter)) (now \(IdentityTime.format(now))); issue a new one"
        case let .notYetValid(subject, notBefore, now):
            return "the \(subject.rawValue) is not valid before \(IdentityTime.format(notBefore)) (now \(IdentityTime.format(now))); check both clocks"
        case let .revoked(serial, community, revokedAt):
            return "the certificate with serial \(serial) was revoked by community '\(community)' at \(IdentityTime.format(revokedAt))"
        case let .malformedIdentity(reason):
            return "the certificate does not follow the Civitas node profile: \(reason)"
        case let .communityNotServedByCA(certificate, ca):
            return "the certificate names community '\(certificate)' but was issued by the CA of community '\(ca)'; a CA may only certify its own community's nodes"
        case let .wrongCommunity(community, allowed):
            return "the peer belongs to community '\(community)', but this link accepts only \(allowed.map(\.name).sorted().joined(separator: ", "))"
        case let .roleNotAllowed(role, allowed):
            return "the peer's role is \(role), but this link accepts only \(allowed.map(\.description).sorted().joined(separator: ", "))"
        case let .nodeIDMismatch(certificate, claimed):
            return "the peer's hello claims \(claimed) but its certificate names \(certificate)"
        case let .chainRejected(reasons):
            return "the certificate chain fails RFC 5280 verification: \(reasons.isEmpty ? "no valid chain" : reasons.joined(separator: "; "))"
        }
    }
}
