import CivitasIdentity
import CivitasLedger
import CivitasTestSupport
import Crypto
import Foundation
import Testing

/// Loading a node's identity files, refusing broken ones with the file's name, and
/// reloading them into a new snapshot that says what changed.
@Suite("Trust store")
struct TrustStoreTests {
    /// A community CA directory, a node directory and a bundle, as an operator lays them out.
    struct Layout {
        let root: URL
        var ca: CADirectory { CADirectory(path: root.path + "/ca") }
        var nodeDir: String { root.path + "/node" }
        var bundle: String { root.path + "/bundle.pem" }
        var paths: IdentityPaths { IdentityPaths(nodeDirectory: nodeDir, trustBundle: bundle, revocationLists: [ca.revocationListPath]) }

        init(_ name: String) throws {
            root = try scratchDirectory(name)
            let authority = try CADirectory.initialize(at: root.path + "/ca", community: Fixture.ward7, days: 3650, now: Fixture.now)
            _ = try ca.issue(nodeKey: SigningKey.generate().publicKey, role: .validator, days: 365, now: Fixture.now, into: nodeDir)
            try IdentityFiles.write(TrustBundle([authority.ca]).pemString, to: bundle, mode: IdentityFiles.publicMode, replace: false)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func loadingReturnsTheNodesIdentityAndAWorkingValidator() async throws {
        let layout = try Layout("identity-store-load")
        defer { layout.remove() }
        let snapshot = try TrustStore(paths: layout.paths).load()
        #expect(snapshot.node.identity.community == Fixture.ward7)
        #expect(snapshot.node.identity.role == .validator)
        #expect(snapshot.bundle.communities == [Fixture.ward7])
        #expect(snapshot.revocations.count == 1)
        #expect(snapshot.node.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // The node accepts its own certificate, as its peers will.
        let identity = try await snapshot.validator.validate(
            chain: [snapshot.node.certificate], claimedNodeID: snapshot.node.identity.nodeID,
            requirements: .sameCommunity(Fixture.ward7), now: Fixture.now)
        #expect(identity == snapshot.node.identity)
    }

    @Test func reloadReportsEachChangeAndTheNewSnapshotEnforcesIt() async throws {
        let layout = try Layout("identity-store-reload")
        defer { layout.remove() }
        let store = TrustStore(paths: layout.paths)
        let before = try store.load()
        #expect(try store.reload(replacing: before).changes.isEmpty)

        // A peer of the community, then revoked; a second community joins the bundle;
        // the node's own certificate is renewed with a new key.
        let peer = try layout.ca.issue(nodeKey: SigningKey.generate().publicKey, role: .observer, days: 30, now: Fixture.now, into: layout.root.path + "/peer")
        _ = try layout.ca.revoke(certificateFile: layout.root.path + "/peer/node.pem", now: Fixture.now + 60)
        let ward8 = try CADirectory.initialize(at: layout.root.path + "/ca8", community: Fixture.ward8, days: 3650, now: Fixture.now)
        try IdentityFiles.write(TrustBundle(before.bundle.authorities + [ward8.ca]).pemString, to: layout.bundle, mode: IdentityFiles.publicMode, replace: true)
        let renewed = try layout.ca.issue(nodeKey: SigningKey.generate().publicKey, role: .validator, days: 365, now: Fixture.now + 60, into: layout.root.path + "/renewed")
        for file in ["node.pem", "tls.key"] {
            let text = try IdentityFiles.readText(layout.root.path + "/renewed/" + file)
            try IdentityFiles.write(text, to: layout.nodeDir + "/" + file, mode: IdentityFiles.privateMode, replace: true)
        }

        let (after, changes) = try store.reload(replacing: before)
        #expect(changes.count == 4, "\(changes)")
        #expect(changes.contains(.nodeCertificateReplaced(oldSerial: before.node.identity.serialHex, newSerial: renewed.identity.serialHex, notAfter: renewed.identity.notAfter)))
        #expect(changes.contains(.privateKeyReplaced))
        #expect(changes.contains(.authorityAdded(community: Fixture.ward8, fingerprint: ward8.ca.fingerprint)))
        #expect(changes.contains(.revocationListUpdated(community: Fixture.ward7, number: 2, newlyRevoked: [peer.identity.serialHex])))
        #expect(changes.allSatisfy { !$0.description.isEmpty })

        let der = CertificateDER.der(peer.certificate)
        let old = await outcome(before.validator, chain: [der], requirements: PeerRequirements(communities: nil))
        let new = await outcome(after.validator, chain: [der], requirements: PeerRequirements(communities: nil))
        #expect(old.kind == "accepted")
        #expect(new.kind == "revoked")
    }

    @Test func brokenFilesAreRefusedWithTheFileNamed() throws {
        let layout = try Layout("identity-store-broken")
        defer { layout.remove() }
        let store = TrustStore(paths: layout.paths)
        let good = try IdentityFiles.readText(layout.bundle)
        let goodCert = try IdentityFiles.readText(layout.nodeDir + "/node.pem")

        func refusal(_ text: String, in path: String) -> IdentityError? {
            let original = try? IdentityFiles.readText(path)
            let mode = path.hasSuffix(".key") ? IdentityFiles.privateMode : IdentityFiles.publicMode
            defer { if let original { try? IdentityFiles.write(original, to: path, mode: mode, replace: true) } }
            try? IdentityFiles.write(text, to: path, mode: IdentityFiles.publicMode, replace: true)
            do { _ = try store.load(); return nil } catch { return error }
        }

        #expect(refusal("garbage\n", in: layout.bundle) == .noPEMBlock(path: layout.bundle, expected: "CERTIFICATE"))
        let truncated = String(good.prefix(good.count / 2))
        #expect(refusal(truncated, in: layout.bundle).map { "\($0)" }?.contains("has no '-----END CERTIFICATE-----' line") == true)
        let badBase64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
        #expect(refusal(badBase64, in: layout.bundle).map { "\($0)" }?.contains("not valid base64") == true)
        let notACert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        #expect(refusal(notACert, in: layout.bundle).map { "\($0)" }?.contains("not an X.509 certificate") == true)
        // A node certificate in the bundle is not a CA.
        guard case .notACommunityCA = refusal(goodCert, in: layout.bundle) else { Issue.record("node cert accepted as CA"); return }
        // The CA in place of the node certificate.
        guard case .notANodeCertificate = refusal(good, in: layout.nodeDir + "/node.pem") else { Issue.record("CA accepted as node"); return }
        // Another key beside the certificate.
        let mismatch = P256.Signing.PrivateKey().pemRepresentation
        #expect(refusal(mismatch, in: layout.nodeDir + "/tls.key") == .keyDoesNotMatchCertificate(key: layout.nodeDir + "/tls.key", certificate: layout.nodeDir + "/node.pem"))
        // The Ed25519 ledger key where the TLS key belongs.
        let ledger = SigningKey.generate().pemRepresentation
        guard case .wrongKeyType = refusal(ledger, in: layout.nodeDir + "/tls.key") else { Issue.record("Ed25519 accepted as TLS key"); return }
        // A revocation list that is garbage, or from a CA outside the bundle.
        guard case .badRevocationList = refusal("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n", in: layout.ca.revocationListPath) else {
            Issue.record("garbage CRL accepted"); return
        }
        let stranger = try Fixture.authority(Fixture.ward8).revocationList(entries: [], number: 1, now: Fixture.now, days: 30)
        guard case .badRevocationList = refusal(stranger.pemString, in: layout.ca.revocationListPath) else {
            Issue.record("foreign CRL accepted"); return
        }
        // A missing file.
        let missing = TrustStore(paths: IdentityPaths(nodeDirectory: layout.root.path + "/absent", trustBundle: layout.bundle, revocationLists: []))
        #expect(throws: IdentityError.self) { try missing.load() }
        // After all that, the repaired files load again.
        #expect(throws: Never.self) { try store.load() }
    }

    @Test func expiryIsReportedLongBeforeItHappens() throws {
        let layout = try Layout("identity-store-expiry")
        defer { layout.remove() }
        let snapshot = try TrustStore(paths: layout.paths).load()
        let nodeExpiry = snapshot.node.certificate.notValidAfter

        let early = snapshot.expiry(now: Fixture.now)
        #expect(early.allSatisfy { $0.level == .ok }, "\(early)")
        #expect(early.first?.item == .revocationList(Fixture.ward7))  // the 30-day list runs out first

        let late = snapshot.expiry(now: nodeExpiry - 10 * Fixture.day)
        let node = try #require(late.first { $0.item == .nodeCertificate(snapshot.node.identity.nodeID) })
        #expect(node.level == .warning)
        #expect(abs(node.remaining - 10 * Fixture.day) < 1)
        #expect(node.description.contains("expires in 10 days") && node.description.contains("civitas ca issue"))
        #expect(late.first { $0.item == .communityCA(Fixture.ward7) }?.level == .ok)

        let past = snapshot.expiry(now: nodeExpiry + Fixture.day)
        #expect(past.first { $0.item == .nodeCertificate(snapshot.node.identity.nodeID) }?.level == .expired)
    }
}
