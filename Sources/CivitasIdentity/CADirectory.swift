public import CivitasLedger
public import Foundation
public import X509

/// A community CA on disk, as `civitas ca init` lays it out:
///
///     <dir>/ca.pem             the CA certificate (public; goes into the federation bundle)
///     <dir>/ca.key             the CA's P-256 private key, PKCS#8 PEM, mode 0600
///     <dir>/crl.pem            the current revocation list, signed by ca.key
///     <dir>/issued/<node>-<serial>.pem   a copy of every certificate issued
///
/// and a node directory, as `civitas ca issue` writes it:
///
///     <dir>/node.pem           the node certificate
///     <dir>/tls.key            the node's P-256 TLS private key, mode 0600
///     <dir>/ca.pem             the community CA certificate (for `openssl verify -CAfile`)
///     <dir>/ledger.key         the Ed25519 ledger key, mode 0600 (only if the CA generated it)
public struct CADirectory: Sendable {
    /// The directory.
    public let path: String

    /// The CA directory at `path`.
    public init(path: String) { self.path = path }

    /// `<dir>/ca.pem`
    public var certificatePath: String { path + "/ca.pem" }
    /// `<dir>/ca.key`
    public var keyPath: String { path + "/ca.key" }
    /// `<dir>/crl.pem`
    public var revocationListPath: String { path + "/crl.pem" }
    /// `<dir>/issued`
    public var issuedPath: String { path + "/issued" }

    /// Default validity of a revocation list: 30 days, then `civitas ca crl` re-signs it.
    public static let defaultCRLDays = 30

    /// Creates a new CA in `path` (which must not hold one yet) with an empty revocation list.
    @discardableResult
    public static func initialize(
        at path: String, community: CommunityID, days: Int, crlDays: Int = defaultCRLDays, now: Date
    ) throws(IdentityError) -> CommunityAuthority {
        let dir = CADirectory(path: path)
        for existing in [dir.certificatePath, dir.keyPath] where FileManager.default.fileExists(atPath: existing) {
            throw .alreadyExists(path: existing)
        }
        let authority = try CommunityAuthority.create(community: community, days: days, now: now)
        let list = try authority.revocationList(entries: [], number: 1, now: now, days: crlDays)
        try IdentityFiles.makeDirectory(path)
        try IdentityFiles.makeDirectory(dir.issuedPath)
        try IdentityFiles.write(authority.privateKey.pemRepresentation, to: dir.keyPath, mode: IdentityFiles.privateMode, replace: false)
        try IdentityFiles.write(CertificateDER.pem(authority.ca.certificate), to: dir.certificatePath, mode: IdentityFiles.publicMode, replace: false)
        try IdentityFiles.write(list.pemString, to: dir.revocationListPath, mode: IdentityFiles.publicMode, replace: true)
        return authority
    }

    /// Reads the CA certificate and key and checks they belong together.
    public func load() throws(IdentityError) -> CommunityAuthority {
        let certificate = try CertificateDER.certificates(pem: IdentityFiles.readText(certificatePath), path: certificatePath)[0]
        let ca: CommunityCACertificate
        do { ca = try CommunityCACertificate(certificate) } catch {
            throw .notACommunityCA(path: certificatePath, reason: error.description)
        }
        let key = try KeyFiles.tlsKey(pem: IdentityFiles.readText(keyPath), path: keyPath)
        do {
            return try CommunityAuthority(ca: ca, privateKey: key)
        } catch {
            throw .keyDoesNotMatchCertificate(key: keyPath, certificate: certificatePath)
        }
    }

    /// The current revocation list, checked against the CA.
    public func revocationList(of authority: CommunityAuthority) throws(IdentityError) -> RevocationList {
        let list = try RevocationList(pemEncoded: IdentityFiles.readText(revocationListPath), path: revocationListPath)
        guard list.isSigned(by: authority.ca.certificate) else {
            throw .badRevocationList(path: revocationListPath, reason: "not signed by \(certificatePath)")
        }
        return list
    }

    /// What `issue` wrote.
    public struct IssuedNode: Sendable {
        /// The node certificate.
        public let certificate: Certificate
        /// Its identity.
        public let identity: NodeIdentity
        /// Files written, in order.
        public let files: [String]
    }

    /// Issues a node certificate with a fresh TLS key into `nodeDirectory` (which must
    /// not already hold `node.pem` or `tls.key`).
    public func issue(
        nodeKey: CivitasLedger.PublicKey, role: NodeRole, days: Int, now: Date, into nodeDirectory: String
    ) throws(IdentityError) -> IssuedNode {
        let authority = try load()
        let nodePath = nodeDirectory + "/node.pem", keyPath = nodeDirectory + "/tls.key", caCopy = nodeDirectory + "/ca.pem"
        for existing in [nodePath, keyPath] where FileManager.default.fileExists(atPath: existing) {
            throw .alreadyExists(path: existing)
        }
        let tlsKey = P256SigningKey.generate()
        let certificate = try authority.issue(nodeKey: nodeKey, role: role, tlsKey: tlsKey.publicKey, days: days, now: now)
        let identity: NodeIdentity
        do { identity = try NodeIdentity(certificate) } catch {
            throw .notANodeCertificate(path: nodePath, reason: error.description)
        }
        try IdentityFiles.makeDirectory(nodeDirectory)
        try IdentityFiles.write(tlsKey.pemRepresentation, to: keyPath, mode: IdentityFiles.privateMode, replace: false)
        try IdentityFiles.write(CertificateDER.pem(certificate), to: nodePath, mode: IdentityFiles.publicMode, replace: false)
        try IdentityFiles.write(CertificateDER.pem(authority.ca.certificate), to: caCopy, mode: IdentityFiles.publicMode, replace: true)
        let record = issuedPath + "/\(identity.nodeID.raw.hex)-\(identity.serialHex).pem"
        try IdentityFiles.makeDirectory(issuedPath)
        try IdentityFiles.write(CertificateDER.pem(certificate), to: record, mode: IdentityFiles.publicMode, replace: true)
        return IssuedNode(certificate: certificate, identity: identity, files: [keyPath, nodePath, caCopy, record])
    }

    /// Adds the certificate in `certificateFile` to the revocation list and re-signs it.
    public func revoke(certificateFile: String, now: Date, crlDays: Int = defaultCRLDays) throws(IdentityError) -> RevocationList {
        let authority = try load()
        let certificate = try CertificateDER.certificates(pem: IdentityFiles.readText(certificateFile), path: certificateFile)[0]
        let previous = try revocationList(of: authority)
        let list: RevocationList
        do {
            list = try authority.revoking(certificate, in: previous, now: now, days: crlDays)
        } catch IdentityError.notIssuedByThisCA {
            throw .notIssuedByThisCA(path: certificateFile, ca: certificatePath)
        }
        try IdentityFiles.write(list.pemString, to: revocationListPath, mode: IdentityFiles.publicMode, replace: true)
        return list
    }

    /// Re-signs the revocation list unchanged but with a new number and window (run it before nextUpdate).
    public func refreshRevocationList(now: Date, crlDays: Int = defaultCRLDays) throws(IdentityError) -> RevocationList {
        let authority = try load()
        let previous = try revocationList(of: authority)
        let list = try authority.revocationList(entries: previous.entries, number: previous.number + 1, now: now, days: crlDays)
        try IdentityFiles.write(list.pemString, to: revocationListPath, mode: IdentityFiles.publicMode, replace: true)
        return list
    }
}
