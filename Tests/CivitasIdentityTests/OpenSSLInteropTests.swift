import CivitasIdentity
import CivitasLedger
import CivitasTestSupport
import Foundation
import Testing

/// The files `civitas ca` writes are what OpenSSL expects: it prints them, verifies
/// node certificates against the CA for TLS client and server use, and with our CRL
/// refuses a revoked certificate. OpenSSL checks times against its own clock, so these
/// tests issue certificates valid now.
@Suite("OpenSSL interoperability", .enabled(if: OpenSSL.available, "needs /usr/bin/openssl"))
struct OpenSSLInteropTests {
    @Test func opensslReadsAndVerifiesOurCAAndNodeCertificates() throws {
        let dir = try scratchDirectory("identity-openssl-verify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = try CADirectory.initialize(at: dir.path + "/ca", community: Fixture.ward7, days: 30, now: Date())
        let issued = try CADirectory(path: dir.path + "/ca").issue(
            nodeKey: SigningKey.generate().publicKey, role: .gateway, days: 10, now: Date(), into: dir.path + "/node")
        let caPEM = dir.path + "/ca/ca.pem", nodePEM = dir.path + "/node/node.pem"

        let caText = OpenSSL.text(try OpenSSL.run(["x509", "-noout", "-text", "-in", caPEM]))
        #expect(caText.contains("CA:TRUE"))
        #expect(caText.contains("Certificate Sign, CRL Sign"))
        #expect(caText.contains("URI:civitas://ward-7"))
        #expect(caText.contains("Subject Key Identifier"))

        let nodeText = OpenSSL.text(try OpenSSL.run(["x509", "-noout", "-text", "-in", nodePEM]))
        #expect(nodeText.contains("CA:FALSE"))
        #expect(nodeText.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(nodeText.contains("URI:\(CertificateNames.nodeURI(community: Fixture.ward7, node: issued.identity.nodeID))"))
        #expect(nodeText.contains("URI:civitas://ward-7/role/gateway"))
        #expect(nodeText.contains("OU = gateway"))
        #expect(nodeText.contains("Authority Key Identifier"))

        for purpose in ["sslclient", "sslserver"] {
            let verify = try OpenSSL.run(["verify", "-purpose", purpose, "-CAfile", caPEM, nodePEM])
            #expect(verify.status == 0, "openssl verify -purpose \(purpose): \(OpenSSL.text(verify))")
        }
        // The CA's key and the TLS key are PKCS#8 PEM that openssl loads, and private.
        for key in [dir.path + "/ca/ca.key", dir.path + "/node/tls.key"] {
            #expect(try OpenSSL.run(["pkey", "-in", key, "-noout"]).status == 0, "\(key)")
            let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600, "\(key) mode \(String(mode?.intValue ?? 0, radix: 8))")
        }
        #expect(ca.ca.community == Fixture.ward7)
    }

    @Test func opensslRefusesACertificateOurCRLRevokes() throws {
        let dir = try scratchDirectory("identity-openssl-crl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let caDir = CADirectory(path: dir.path + "/ca")
        try CADirectory.initialize(at: caDir.path, community: Fixture.ward7, days: 30, now: Date())
        for name in ["a", "b"] {
            _ = try caDir.issue(nodeKey: SigningKey.generate().publicKey, role: .validator, days: 10, now: Date(), into: dir.path + "/" + name)
        }
        let list = try caDir.revoke(certificateFile: dir.path + "/a/node.pem", now: Date())
        #expect(list.number == 2 && list.entries.count == 1)

        let crlText = OpenSSL.text(try OpenSSL.run(["crl", "-in", caDir.revocationListPath, "-noout", "-text"]))
        #expect(crlText.contains("Version 2"))
        #expect(crlText.contains("CRL Number"))
        #expect(crlText.contains(list.entries[0].serialHex))

        let base = ["verify", "-crl_check", "-CAfile", caDir.certificatePath, "-CRLfile", caDir.revocationListPath]
        let revoked = try OpenSSL.run(base + [dir.path + "/a/node.pem"])
        #expect(revoked.status != 0)
        #expect(OpenSSL.text(revoked).contains("certificate revoked"))
        let kept = try OpenSSL.run(base + [dir.path + "/b/node.pem"])
        #expect(kept.status == 0, "\(OpenSSL.text(kept))")
    }

    @Test func opensslVerifiesAgainstATwoCommunityBundleWithComments() throws {
        let dir = try scratchDirectory("identity-openssl-bundle")
        defer { try? FileManager.default.removeItem(at: dir) }
        var cas: [CommunityCACertificate] = []
        for community in [Fixture.ward7, Fixture.ward8] {
            let caDir = dir.path + "/" + community.name
            cas.append(try CADirectory.initialize(at: caDir, community: community, days: 30, now: Date()).ca)
            _ = try CADirectory(path: caDir).issue(nodeKey: SigningKey.generate().publicKey, role: .gateway, days: 10, now: Date(), into: caDir + "-node")
        }
        let bundle = dir.path + "/bundle.pem"
        try IdentityFiles.write(TrustBundle(cas).pemString, to: bundle, mode: IdentityFiles.publicMode, replace: false)
        let verify = try OpenSSL.run(["verify", "-CAfile", bundle, dir.path + "/ward-7-node/node.pem", dir.path + "/ward-8-node/node.pem"])
        #expect(verify.status == 0, "\(OpenSSL.text(verify))")
    }

    @Test func opensslRefusesACACertifyingANodeOfAnotherCommunity() throws {
        // The CA's name constraints let OpenSSL (and BoringSSL) enforce what the validator's step 9 does.
        let dir = try scratchDirectory("identity-openssl-nc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ward7 = try Fixture.authority(now: Date())
        let forged = try Fixture.custom(ward7, uris: [
            CertificateNames.nodeURI(community: Fixture.ward8, node: SigningKey.generate().publicKey.nodeID),
            CertificateNames.roleURI(community: Fixture.ward8, role: .gateway),
        ], now: Date())
        let honest = try Fixture.node(ward7, role: .gateway, now: Date())
        let caPEM = dir.path + "/ca.pem"
        try IdentityFiles.write(CertificateDER.pem(ward7.ca.certificate), to: caPEM, mode: IdentityFiles.publicMode, replace: false)
        try IdentityFiles.write(CertificateDER.pem(forged), to: dir.path + "/forged.pem", mode: IdentityFiles.publicMode, replace: false)
        try IdentityFiles.write(CertificateDER.pem(honest.certificate), to: dir.path + "/honest.pem", mode: IdentityFiles.publicMode, replace: false)

        let refused = try OpenSSL.run(["verify", "-CAfile", caPEM, dir.path + "/forged.pem"])
        #expect(refused.status != 0)
        #expect(OpenSSL.text(refused).contains("permitted subtree violation"), "\(OpenSSL.text(refused))")
        let accepted = try OpenSSL.run(["verify", "-CAfile", caPEM, dir.path + "/honest.pem"])
        #expect(accepted.status == 0, "\(OpenSSL.text(accepted))")
    }

    @Test func communityNamesBoringSSLWouldReadAsAddressesGetNoNameConstraints() throws {
        let dir = try scratchDirectory("identity-openssl-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, constrained) in [("ward-7", true), ("1024", false), ("0x1f", false), ("0xg1", true), (String(repeating: "a", count: 64), false)] {
            let community = try #require(CommunityID(name))
            #expect(CommunityAuthority.canConstrainNames(of: community) == constrained, "\(name)")
            let ca = try Fixture.authority(community, now: Date())
            #expect(ca.ca.certificate.extensions.contains { $0.oid == [2, 5, 29, 30] } == constrained, "\(name)")
            // Either way the CA's own nodes verify.
            let node = try Fixture.node(ca, now: Date())
            try IdentityFiles.write(CertificateDER.pem(ca.ca.certificate), to: dir.path + "/ca.pem", mode: IdentityFiles.publicMode, replace: true)
            try IdentityFiles.write(CertificateDER.pem(node.certificate), to: dir.path + "/node.pem", mode: IdentityFiles.publicMode, replace: true)
            let verify = try OpenSSL.run(["verify", "-CAfile", dir.path + "/ca.pem", dir.path + "/node.pem"])
            #expect(verify.status == 0, "\(name): \(OpenSSL.text(verify))")
        }
    }
}
