public import CivitasIdentity
public import Foundation
import NIOSSL
import Synchronization

/// Why a connection was refused or closed, in words an operator can act on.
public struct LinkRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The TLS side of a node: its certificate and key, the federation trust
/// bundle and revocation lists, as NIOSSL contexts for accepting and for
/// connecting, plus the check every handshake runs on the peer's chain.
///
/// Immutable; `TLSCredentialStore` swaps in a new one on reload. A
/// connection keeps the credentials it started with, so a reload never
/// drops a healthy link; new handshakes use the new ones (and a peer whose
/// certificate was revoked in the meantime is refused on its next
/// connection, and when `TLSCredentialStore.reload` finds open links it
/// asks the transport to re-check them).
public final class TLSCredentials: Sendable {
    /// Files, certificate, key, bundle and revocation lists as loaded.
    public let snapshot: IdentitySnapshot
    /// Whom this node accepts on its links.
    public let requirements: PeerRequirements
    let serverContext: NIOSSLContext
    let clientContext: NIOSSLContext

    /// Builds TLS 1.3-only contexts that demand a certificate from the peer
    /// (both ways) and leave its verification to `verify`.
    public init(snapshot: IdentitySnapshot, requirements: PeerRequirements) throws(LinkRejection) {
        self.snapshot = snapshot
        self.requirements = requirements
        do {
            let certificate = try NIOSSLCertificate(bytes: Array(snapshot.node.certificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(snapshot.node.privateKeyPEM.utf8), format: .pem)
            let roots = try snapshot.bundle.authorities.map { ca in
                try NIOSSLCertificate(bytes: Array(CertificateDER.pem(ca.certificate).utf8), format: .pem)
            }
            var server = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateChain = [.certificate(certificate)]
            client.privateKey = .privateKey(key)
            server.minimumTLSVersion = .tlsv13
            client.minimumTLSVersion = .tlsv13
            server.maximumTLSVersion = .tlsv13
            client.maximumTLSVersion = .tlsv13
            // Peers are named by node ID, not host name; `verify` does the checking.
            server.certificateVerification = .noHostnameVerification
            client.certificateVerification = .noHostnameVerification
            server.trustRoots = .certificates(roots)
            client.trustRoots = .certificates(roots)
            server.sendCANameList = true
            serverContext = try NIOSSLContext(configuration: server)
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw LinkRejection("cannot set up TLS with \(snapshot.node.identity): \(error)")
        }
    }

    /// Checks a peer's chain (leaf first, DER) at `now`: trust bundle,
    /// validity, revocation, community and role. The node ID is checked
    /// against the hello later.
    public func verify(chainDER: [[UInt8]], now: Date) async throws(PeerCertificateError) -> NodeIdentity {
        try await snapshot.validator.validate(chainDER: chainDER, claimedNodeID: nil, requirements: requirements, now: now)
    }
}

/// Holds the current `TLSCredentials` and reloads them from their files.
public final class TLSCredentialStore: Sendable {
    private let store: TrustStore
    private let requirements: PeerRequirements
    private let current: Mutex<TLSCredentials>

    /// Loads the files named by `paths`; throws with the file and the problem.
    public init(paths: IdentityPaths, requirements: PeerRequirements) throws(LinkRejection) {
        store = TrustStore(paths: paths)
        self.requirements = requirements
        let snapshot: IdentitySnapshot
        do { snapshot = try store.load() } catch { throw LinkRejection("cannot load the node's identity: \(error)") }
        current = Mutex(try TLSCredentials(snapshot: snapshot, requirements: requirements))
    }

    /// Wraps credentials already loaded (tests, the simulator's live mode).
    public init(credentials: TLSCredentials) {
        store = TrustStore(paths: IdentityPaths(certificate: "", privateKey: "", trustBundle: "", revocationLists: []))
        requirements = credentials.requirements
        current = Mutex(credentials)
    }

    /// The credentials new handshakes use.
    public var credentials: TLSCredentials { current.withLock { $0 } }

    /// Re-reads the files. On success new handshakes use them and the
    /// changes are returned; on failure the old credentials stay in force
    /// and the error says which file is wrong.
    @discardableResult
    public func reload() throws(LinkRejection) -> [TrustChange] {
        let old = credentials
        let result: (snapshot: IdentitySnapshot, changes: [TrustChange])
        do { result = try store.reload(replacing: old.snapshot) } catch {
            throw LinkRejection("reload failed, keeping the certificates in use: \(error)")
        }
        let next = try TLSCredentials(snapshot: result.snapshot, requirements: requirements)
        current.withLock { $0 = next }
        return result.changes
    }

    /// Replaces the credentials (tests; `reload` for files).
    public func replace(with credentials: TLSCredentials) {
        current.withLock { $0 = credentials }
    }
}
