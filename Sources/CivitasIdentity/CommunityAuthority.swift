public import CivitasLedger
public import Crypto
public import Foundation
public import X509

/// A community CA with its private key: creates itself, issues node certificates and
/// signs revocation lists. Keys are ECDSA P-256, which BoringSSL (NIOSSL) accepts for
/// TLS 1.3 client and server authentication and every OpenSSL verifies.
///
/// Pure apart from key generation: every time is an argument.
public struct CommunityAuthority: @unchecked Sendable {
    // @unchecked: P256.Signing.PrivateKey is immutable but not marked Sendable on Linux.

    /// The CA certificate.
    public let ca: CommunityCACertificate
    /// The CA's private key.
    public let privateKey: P256.Signing.PrivateKey

    /// How far before `now` a new certificate's window starts, so a peer whose clock
    /// lags a little does not see it as "not yet valid".
    public static let clockSkewAllowance: TimeInterval = 300

    /// The community this CA serves.
    public var community: CommunityID { ca.community }

    /// Pairs a CA certificate with its key; refuses a key that is not the certificate's.
    public init(ca: CommunityCACertificate, privateKey: P256.Signing.PrivateKey) throws(IdentityError) {
        guard ca.certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw .keyDoesNotMatchCertificate(key: "the CA key", certificate: "the CA certificate")
        }
        self.ca = ca
        self.privateKey = privateKey
    }

    /// A new self-signed CA for `community`, valid for `days` from `now`.
    public static func create(
        community: CommunityID, days: Int, now: Date, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()
    ) throws(IdentityError) -> CommunityAuthority {
        guard (1...36_500).contains(days) else { throw .invalidArgument("--days must be between 1 and 36500") }
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName {
                OrganizationName(community.name)
                CommonName("Civitas community CA \(community.name)")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                SubjectAlternativeNames([.uniformResourceIdentifier(CertificateNames.communityURI(community))])
                // URIs this CA signs must have the community as their host, so OpenSSL and
                // BoringSSL too refuse a node URI of another community (RFC 5280 §4.2.1.10).
                if Self.canConstrainNames(of: community) {
                    Critical(NameConstraints(permittedURIDomains: [community.name]))
                }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - clockSkewAllowance, notValidAfter: now + TimeInterval(days) * 86_400,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(key))
            return try CommunityAuthority(ca: CommunityCACertificate(certificate), privateKey: key)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .invalidArgument("cannot build the CA certificate: \(error)")
        }
    }

    /// True if TLS stacks accept `community` as a URI host in a name constraint.
    /// BoringSSL requires a DNS-style host: labels of at most 63 characters, and a
    /// last label that is not all digits or `0x` hex (it would read as an IP address).
    /// Community names outside that (`1024`, a 64-character name) get no name
    /// constraints; the validator's own community check (step 9) still applies.
    public static func canConstrainNames(of community: CommunityID) -> Bool {
        let name = community.name
        guard name.utf8.count <= 63 else { return false }
        if name.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return false }
        if name.hasPrefix("0x"), name.dropFirst(2).allSatisfy(\.isHexDigit) { return false }
        return true
    }

    /// Issues a certificate for the node whose ledger key is `nodeKey`, binding the
    /// node ID derived from it, this community and `role` to the TLS key `tlsKey`.
    public func issue(
        nodeKey: CivitasLedger.PublicKey, role: NodeRole, tlsKey: P256.Signing.PublicKey, days: Int, now: Date
    ) throws(IdentityError) -> Certificate {
        guard (1...3650).contains(days) else { throw .invalidArgument("--days must be between 1 and 3650") }
        guard now < ca.certificate.notValidAfter else {
            throw .invalidArgument("the CA of '\(community)' expired at \(IdentityTime.format(ca.certificate.notValidAfter)); create a new CA with `civitas ca init` and add it to the bundle")
        }
        let nodeID = nodeKey.nodeID
        let notAfter = min(now + TimeInterval(days) * 86_400, ca.certificate.notValidAfter)
        let publicKey = Certificate.PublicKey(tlsKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName(community.name)
                OrganizationalUnitName(role.description)
                CommonName(nodeID.description)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: ArraySlice(ca.keyID))
                SubjectAlternativeNames([
                    .uniformResourceIdentifier(CertificateNames.nodeURI(community: community, node: nodeID)),
                    .uniformResourceIdentifier(CertificateNames.roleURI(community: community, role: role)),
                ])
            }
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - Self.clockSkewAllowance, notValidAfter: notAfter,
                issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(privateKey))
        } catch {
            throw .invalidArgument("cannot build the node certificate: \(error)")
        }
    }

    /// Signs a revocation list naming `entries`, numbered `number`, valid until `now + days`.
    public func revocationList(entries: [RevocationList.Entry], number: UInt64, now: Date, days: Int) throws(IdentityError) -> RevocationList {
        guard (1...3650).contains(days) else { throw .invalidArgument("--days must be between 1 and 3650") }
        do {
            return try RevocationList.make(
                issuer: ca.certificate.subject, authorityKeyID: ca.keyID, key: privateKey,
                number: number, entries: entries, thisUpdate: now, nextUpdate: now + TimeInterval(days) * 86_400)
        } catch {
            throw .invalidArgument("cannot sign the revocation list: \(error)")
        }
    }

    /// `previous` with `certificate` added (if it is not already listed), renumbered and re-signed.
    public func revoking(_ certificate: Certificate, in previous: RevocationList, now: Date, days: Int) throws(IdentityError) -> RevocationList {
        guard certificate.issuer == ca.certificate.subject, ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw .notIssuedByThisCA(path: "the certificate", ca: community.name)
        }
        var entries = previous.entries
        if previous.entry(forSerial: certificate.serialNumber.bytes) == nil {
            entries.append(RevocationList.Entry(serial: Array(certificate.serialNumber.bytes), revokedAt: now))
        }
        return try revocationList(entries: entries, number: previous.number + 1, now: now, days: days)
    }
}
