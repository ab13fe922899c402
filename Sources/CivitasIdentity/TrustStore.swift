public import CivitasLedger
public import Crypto
public import Foundation
public import X509

/// Where a node's identity files are.
public struct IdentityPaths: Hashable, Sendable {
    /// The node certificate (`node.pem`).
    public var certificate: String
    /// The node's TLS private key (`tls.key`, P-256, PKCS#8 PEM).
    public var privateKey: String
    /// The federation trust bundle (`bundle.pem`).
    public var trustBundle: String
    /// Revocation lists (PEM `X509 CRL`), one per community that publishes one.
    public var revocationLists: [String]

    /// Paths given one by one.
    public init(certificate: String, privateKey: String, trustBundle: String, revocationLists: [String]) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustBundle = trustBundle
        self.revocationLists = revocationLists
    }

    /// The layout `civitas ca issue` writes: `<dir>/node.pem`, `<dir>/tls.key`, plus a bundle and lists.
    public init(nodeDirectory dir: String, trustBundle: String, revocationLists: [String]) {
        self.init(certificate: dir + "/node.pem", privateKey: dir + "/tls.key", trustBundle: trustBundle, revocationLists: revocationLists)
    }
}

/// The node's own certificate and TLS key, checked to belong together.
public struct NodeCredentials: @unchecked Sendable {
    // @unchecked: P256.Signing.PrivateKey is immutable but not marked Sendable on Linux.

    /// The node certificate.
    public let certificate: Certificate
    /// Who it says the node is.
    public let identity: NodeIdentity
    /// The TLS private key.
    public let privateKey: P256.Signing.PrivateKey

    /// The certificate as PEM (for `NIOSSLCertificate(bytes:format: .pem)`).
    public var certificatePEM: String { CertificateDER.pem(certificate) }
    /// The key as PKCS#8 PEM (for `NIOSSLPrivateKey(bytes:format: .pem)`).
    public var privateKeyPEM: String { privateKey.pemRepresentation }
}

/// One consistent, immutable view of a node's identity files: its credentials, the
/// trust bundle and the revocation lists. The transport swaps whole snapshots.
public struct IdentitySnapshot: Sendable {
    /// The node's own certificate and key.
    public let node: NodeCredentials
    /// The federation trust bundle.
    public let bundle: TrustBundle
    /// The revocation lists, each verified against a CA of the bundle.
    public let revocations: [RevocationList]

    /// The validator for this snapshot's bundle and lists.
    public var validator: PeerCertificateValidator { PeerCertificateValidator(bundle: bundle, revocations: revocations) }

    /// When each of the node certificate, the node's own CA, every other CA and every
    /// revocation list stops being usable, soonest first.
    /// Certificates warn `warnWithin` ahead; revocation lists, which live for weeks, `listWarnWithin` ahead.
    public func expiry(
        now: Date, warnWithin: TimeInterval = ExpiryNotice.defaultWarning, listWarnWithin: TimeInterval = ExpiryNotice.defaultListWarning
    ) -> [ExpiryNotice] {
        var notices = [ExpiryNotice(item: .nodeCertificate(node.identity.nodeID), expiresAt: node.certificate.notValidAfter, now: now, warnWithin: warnWithin)]
        for ca in bundle.authorities {
            notices.append(ExpiryNotice(item: .communityCA(ca.community), expiresAt: ca.certificate.notValidAfter, now: now, warnWithin: warnWithin))
        }
        for list in revocations {
            guard let next = list.nextUpdate, let ca = bundle.authorities.first(where: { list.isSigned(by: $0.certificate) }) else { continue }
            notices.append(ExpiryNotice(item: .revocationList(ca.community), expiresAt: next, now: now, warnWithin: listWarnWithin))
        }
        return notices.sorted { $0.expiresAt < $1.expiresAt }
    }
}

/// Loads identity files into snapshots, and reloads them while the node runs.
///
/// `reload` re-reads every file and returns a new snapshot with the list of changes;
/// if any file is broken it throws and the caller keeps serving with the old snapshot,
/// so a half-finished copy by an operator never takes a node off the network.
public struct TrustStore: Sendable {
    /// The files.
    public let paths: IdentityPaths

    /// A store reading `paths`.
    public init(paths: IdentityPaths) { self.paths = paths }

    /// Reads and checks every file: the key matches the certificate, a CA of the bundle
    /// issued the certificate, and every revocation list is signed by a CA of the bundle.
    public func load() throws(IdentityError) -> IdentitySnapshot {
        let bundle = try TrustBundle(pemEncoded: IdentityFiles.readText(paths.trustBundle), path: paths.trustBundle)

        let certificates = try CertificateDER.certificates(pem: IdentityFiles.readText(paths.certificate), path: paths.certificate)
        let certificate = certificates[0]
        let identity: NodeIdentity
        do { identity = try NodeIdentity(certificate) } catch {
            throw .notANodeCertificate(path: paths.certificate, reason: error.description)
        }
        guard bundle.issuer(of: certificate) != nil else {
            throw .notIssuedByThisCA(path: paths.certificate, ca: "of any community in \(paths.trustBundle)")
        }
        let key = try KeyFiles.tlsKey(pem: IdentityFiles.readText(paths.privateKey), path: paths.privateKey)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw .keyDoesNotMatchCertificate(key: paths.privateKey, certificate: paths.certificate)
        }

        var lists: [RevocationList] = []
        for path in paths.revocationLists {
            let list = try RevocationList(pemEncoded: IdentityFiles.readText(path), path: path)
            guard bundle.authorities.contains(where: { list.isSigned(by: $0.certificate) }) else {
                throw .badRevocationList(path: path, reason: "not signed by any CA in \(paths.trustBundle) (issuer \(list.issuer))")
            }
            lists.append(list)
        }
        return IdentitySnapshot(node: NodeCredentials(certificate: certificate, identity: identity, privateKey: key), bundle: bundle, revocations: lists)
    }

    /// Re-reads the files; returns the new snapshot and what differs from `old`.
    public func reload(replacing old: IdentitySnapshot) throws(IdentityError) -> (snapshot: IdentitySnapshot, changes: [TrustChange]) {
        let new = try load()
        return (new, TrustChange.between(old, new))
    }
}

/// One difference between two identity snapshots, for the log and for the transport
/// (which re-checks open connections when a list revokes something).
public enum TrustChange: Hashable, Sendable, CustomStringConvertible {
    /// The node's own certificate was replaced (renewal or re-issue).
    case nodeCertificateReplaced(oldSerial: String, newSerial: String, notAfter: Date)
    /// The node's TLS key changed.
    case privateKeyReplaced
    /// A community CA was added to the bundle.
    case authorityAdded(community: CommunityID, fingerprint: String)
    /// A community CA was removed from the bundle.
    case authorityRemoved(community: CommunityID, fingerprint: String)
    /// A community's revocation list was added or changed; `newlyRevoked` lists serials not revoked before.
    case revocationListUpdated(community: CommunityID, number: UInt64, newlyRevoked: [String])
    /// A community's revocation list is no longer loaded.
    case revocationListRemoved(community: CommunityID)

    public var description: String {
        switch self {
        case let .nodeCertificateReplaced(old, new, notAfter):
            return "node certificate replaced: serial \(old) -> \(new), valid until \(IdentityTime.format(notAfter))"
        case .privateKeyReplaced:
            return "TLS private key replaced"
        case let .authorityAdded(community, fingerprint):
            return "trust bundle: added the CA of '\(community)' (SHA-256 \(fingerprint))"
        case let .authorityRemoved(community, fingerprint):
            return "trust bundle: removed the CA of '\(community)' (SHA-256 \(fingerprint))"
        case let .revocationListUpdated(community, number, newlyRevoked):
            let revoked = newlyRevoked.isEmpty ? "no new revocations" : "newly revoked serials \(newlyRevoked.joined(separator: ", "))"
            return "revocation list of '\(community)' is now number \(number): \(revoked)"
        case let .revocationListRemoved(community):
            return "revocation list of '\(community)' removed"
        }
    }

    /// The changes from `old` to `new`, in a stable order.
    static func between(_ old: IdentitySnapshot, _ new: IdentitySnapshot) -> [TrustChange] {
        var changes: [TrustChange] = []
        if old.node.certificate != new.node.certificate {
            changes.append(.nodeCertificateReplaced(oldSerial: old.node.identity.serialHex, newSerial: new.node.identity.serialHex, notAfter: new.node.identity.notAfter))
        }
        if old.node.privateKey.rawRepresentation != new.node.privateKey.rawRepresentation {
            changes.append(.privateKeyReplaced)
        }
        let oldCAs = Set(old.bundle.authorities.map(\.certificate)), newCAs = Set(new.bundle.authorities.map(\.certificate))
        for ca in new.bundle.authorities where !oldCAs.contains(ca.certificate) {
            changes.append(.authorityAdded(community: ca.community, fingerprint: ca.fingerprint))
        }
        for ca in old.bundle.authorities where !newCAs.contains(ca.certificate) {
            changes.append(.authorityRemoved(community: ca.community, fingerprint: ca.fingerprint))
        }
        func byCA(_ s: IdentitySnapshot) -> [(CommunityCACertificate, RevocationList)] {
            s.revocations.compactMap { list in s.bundle.authorities.first { list.isSigned(by: $0.certificate) }.map { ($0, list) } }
        }
        let oldLists = byCA(old), newLists = byCA(new)
        for (ca, list) in newLists {
            let before = oldLists.first { $0.0.certificate == ca.certificate }?.1
            guard before?.derBytes != list.derBytes else { continue }
            let newly = list.entries.filter { before?.entry(forSerial: $0.serial) == nil }.map(\.serialHex)
            changes.append(.revocationListUpdated(community: ca.community, number: list.number, newlyRevoked: newly))
        }
        for (ca, _) in oldLists where !newLists.contains(where: { $0.0.certificate == ca.certificate }) {
            changes.append(.revocationListRemoved(community: ca.community))
        }
        return changes
    }
}

/// How long until a certificate or a revocation list stops being usable.
public struct ExpiryNotice: Hashable, Sendable, CustomStringConvertible {
    /// What expires.
    public enum Item: Hashable, Sendable {
        /// The node's own certificate.
        case nodeCertificate(NodeID)
        /// A community CA certificate.
        case communityCA(CommunityID)
        /// A community's revocation list (its nextUpdate).
        case revocationList(CommunityID)
    }

    /// How urgent it is.
    public enum Level: String, Hashable, Sendable {
        /// More than the warning period left.
        case ok
        /// Inside the warning period: renew now.
        case warning
        /// Already past.
        case expired
    }

    /// The default warning period: 30 days, long enough to renew through a holiday.
    public static let defaultWarning: TimeInterval = 30 * 86_400
    /// The default warning period of a revocation list (which `civitas ca crl` re-signs for 30 days): 7 days.
    public static let defaultListWarning: TimeInterval = 7 * 86_400

    /// What expires.
    public let item: Item
    /// When.
    public let expiresAt: Date
    /// Seconds left (negative when past).
    public let remaining: TimeInterval
    /// How urgent.
    public let level: Level

    /// A notice for `item` expiring at `expiresAt`, seen at `now`.
    public init(item: Item, expiresAt: Date, now: Date, warnWithin: TimeInterval = ExpiryNotice.defaultWarning) {
        self.item = item
        self.expiresAt = expiresAt
        remaining = expiresAt.timeIntervalSince(now)
        level = remaining < 0 ? .expired : remaining < warnWithin ? .warning : .ok
    }

    public var description: String {
        let what: String
        switch item {
        case let .nodeCertificate(id): what = "node certificate \(id)"
        case let .communityCA(c): what = "CA of community '\(c)'"
        case let .revocationList(c): what = "revocation list of '\(c)'"
        }
        let days = Int((abs(remaining) / 86_400).rounded(.down))
        let when = remaining < 0 ? "expired \(days) days ago" : "expires in \(days) days"
        let advice: String
        switch (level, item) {
        case (.ok, _): advice = ""
        case (_, .revocationList): advice = "; re-sign it with `civitas ca crl`"
        case (_, .communityCA): advice = "; create a new CA and add it to the bundle before this one expires"
        case (_, .nodeCertificate): advice = "; issue a new one with `civitas ca issue`"
        }
        return "\(level.rawValue): \(what) \(when) (\(IdentityTime.format(expiresAt)))\(advice)"
    }
}
