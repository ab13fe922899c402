import CivitasCodec
import CivitasIdentity
import CivitasLedger
import Crypto
import Foundation
import Testing
import X509

/// The handshake check: every way a peer certificate can be wrong is refused with the
/// error that names it, and a correct one yields the node ID, community and role.
@Suite("Peer certificate validator")
struct PeerCertificateValidatorTests {
    @Test func aValidNodeCertificateYieldsItsIdentity() async throws {
        let ca = try Fixture.authority()
        let node = try Fixture.node(ca, role: .observer)
        let result = await outcome(Fixture.validator([ca]), chain: [node.der], claimed: node.nodeID)
        let identity = try result.get()
        #expect(identity.nodeID == node.nodeID)
        #expect(identity.community == Fixture.ward7)
        #expect(identity.role == .observer)
        #expect(identity.serial == Array(node.certificate.serialNumber.bytes))
    }

    @Test func extraCertificatesAfterTheLeafGrantNoTrust() async throws {
        // A peer may send its CA along; trust still comes only from the bundle.
        let ca = try Fixture.authority(), stranger = try Fixture.authority(Fixture.ward8)
        let node = try Fixture.node(stranger)
        let result = await outcome(Fixture.validator([ca]), chain: [node.der, CertificateDER.der(stranger.ca.certificate)])
        #expect(result.kind == "unknownCA")
        let own = try Fixture.node(ca)
        #expect(await outcome(Fixture.validator([ca]), chain: [own.der, CertificateDER.der(ca.ca.certificate)]).kind == "accepted")
    }

    @Test func noCertificateIsRefused() async throws {
        let result = await outcome(Fixture.validator([try Fixture.authority()]), chain: [])
        #expect(result == .failure(.missingClientCertificate))
        #expect("\(PeerCertificateError.missingClientCertificate)".contains("mutual TLS"))
    }

    @Test func aCertificateFromAnUnknownCAIsRefused() async throws {
        let trusted = try Fixture.authority(), other = try Fixture.authority(Fixture.ward8)
        let node = try Fixture.node(other)
        let result = await outcome(Fixture.validator([trusted]), chain: [node.der], requirements: PeerRequirements(communities: nil))
        #expect(result.kind == "unknownCA")
        if case let .failure(error) = result { #expect(error.description.contains("ward-8") && error.description.contains("not in the federation trust bundle")) }
    }

    @Test func anImpostorCAWithTheSameNameIsABadSignature() async throws {
        // Anyone can make a CA called "ward-7"; only the real one's key counts.
        let real = try Fixture.authority(), impostor = try Fixture.authority()
        #expect(real.ca.certificate.subject == impostor.ca.certificate.subject)
        let node = try Fixture.node(impostor)
        #expect(await outcome(Fixture.validator([real]), chain: [node.der]).kind == "badSignature")
    }

    @Test func aTamperedCertificateIsABadSignature() async throws {
        let ca = try Fixture.authority()
        let node = try Fixture.node(ca, role: .observer)
        // Claim another node ID by editing one hex digit of the node URI inside the signed bytes.
        var der = node.der
        let at = try #require(der.firstRange(of: Array("/node/".utf8))).upperBound
        der[at] = der[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(try NodeIdentity(Certificate(derEncoded: der)).nodeID != node.nodeID, "the edit still parses, as another node")
        #expect(await outcome(Fixture.validator([ca]), chain: [der]).kind == "badSignature")
        // Change the signature's last byte instead (still well-formed DER).
        var sig = node.der
        sig[sig.count - 1] ^= 0x01
        #expect(await outcome(Fixture.validator([ca]), chain: [sig]).kind == "badSignature")
    }

    @Test func garbageBytesAreUnreadableNotACrash() async throws {
        let ca = try Fixture.authority()
        let validator = Fixture.validator([ca])
        let node = try Fixture.node(ca)
        for garbage in [[0x00], Array("hello".utf8), Array(node.der.prefix(100)), node.der + [0x00], [0x30, 0x82, 0xff, 0xff]] as [[UInt8]] {
            let result = await outcome(validator, chain: [garbage])
            #expect(result.kind == "unreadableCertificate", "\(garbage.prefix(8))")
        }
        #expect(await outcome(validator, chain: [[]]).kind == "unreadableCertificate")
    }

    @Test func anExpiredNodeCertificateIsRefused() async throws {
        let ca = try Fixture.authority(now: Fixture.now - 1000 * Fixture.day)
        let node = try Fixture.node(ca, now: Fixture.now - 400 * Fixture.day, days: 365)
        let result = await outcome(Fixture.validator([ca]), chain: [node.der])
        guard case let .failure(.expired(which, notAfter, _)) = result else {
            Issue.record("expected expired, got \(result)"); return
        }
        #expect(which == .node)
        #expect(notAfter == node.certificate.notValidAfter)
    }

    @Test func aNodeCertificateNotYetValidIsRefused() async throws {
        let ca = try Fixture.authority(now: Fixture.now - Fixture.day)
        let node = try Fixture.node(ca, now: Fixture.now + 2 * Fixture.day)
        let result = await outcome(Fixture.validator([ca]), chain: [node.der])
        guard case .failure(.notYetValid(.node, _, _)) = result else { Issue.record("got \(result)"); return }
        // The issuing CA allows five minutes of clock skew: a certificate issued "now" is valid at once.
        let fresh = try Fixture.node(ca, now: Fixture.now + 60)
        #expect(await outcome(Fixture.validator([ca]), chain: [fresh.der]).kind == "accepted")
    }

    @Test func anExpiredCommunityCAIsNamedAsTheFault() async throws {
        let ca = try Fixture.authority(now: Fixture.now - 20 * Fixture.day, days: 10)
        let node = try Fixture.node(ca, now: Fixture.now - 19 * Fixture.day, days: 365)
        // The CA never issues past its own expiry.
        #expect(node.certificate.notValidAfter <= ca.ca.certificate.notValidAfter)
        let result = await outcome(Fixture.validator([ca]), chain: [node.der])
        guard case .failure(.expired(.communityCA, _, _)) = result else { Issue.record("got \(result)"); return }
        // An expired CA issues nothing more.
        #expect(throws: IdentityError.self) { try Fixture.node(ca, now: Fixture.now) }
    }

    @Test func aRevokedCertificateIsRefusedAndOthersAreNot() async throws {
        let ca = try Fixture.authority()
        let revoked = try Fixture.node(ca, seed: 1), kept = try Fixture.node(ca, seed: 2)
        let empty = try ca.revocationList(entries: [], number: 1, now: Fixture.now, days: 30)
        let list = try ca.revoking(revoked.certificate, in: empty, now: Fixture.now, days: 30)
        let validator = Fixture.validator([ca], revocations: [list])
        let result = await outcome(validator, chain: [revoked.der])
        guard case let .failure(.revoked(serial, community, _)) = result else { Issue.record("got \(result)"); return }
        #expect(community == Fixture.ward7)
        #expect(serial == (try NodeIdentity(revoked.certificate)).serialHex)
        #expect(await outcome(validator, chain: [kept.der]).kind == "accepted")
    }

    @Test func aListSignedByAnotherCARevokesNothing() async throws {
        // Otherwise one community could revoke another's nodes.
        let ca = try Fixture.authority(), other = try Fixture.authority(Fixture.ward8)
        let node = try Fixture.node(ca)
        let entry = RevocationList.Entry(serial: Array(node.certificate.serialNumber.bytes), revokedAt: Fixture.now)
        let foreign = try other.revocationList(entries: [entry], number: 1, now: Fixture.now, days: 30)
        #expect(await outcome(Fixture.validator([ca, other], revocations: [foreign]), chain: [node.der]).kind == "accepted")
    }

    @Test func aPeerFromAnotherCommunityIsRefusedOnACommunityLink() async throws {
        let ward7 = try Fixture.authority(), ward8 = try Fixture.authority(Fixture.ward8)
        let node = try Fixture.node(ward8)
        let result = await outcome(Fixture.validator([ward7, ward8]), chain: [node.der], requirements: .sameCommunity(Fixture.ward7))
        #expect(result == .failure(.wrongCommunity(Fixture.ward8, allowed: [Fixture.ward7])))
    }

    @Test func aCACannotCertifyANodeOfAnotherCommunity() async throws {
        let ward7 = try Fixture.authority(), ward8 = try Fixture.authority(Fixture.ward8)
        let forged = try Fixture.custom(ward7, uris: [
            CertificateNames.nodeURI(community: Fixture.ward8, node: NodeID(raw: .init())),
            CertificateNames.roleURI(community: Fixture.ward8, role: .gateway),
        ])
        let result = await outcome(Fixture.validator([ward7, ward8]), chain: [CertificateDER.der(forged)], requirements: .federationGateway)
        #expect(result == .failure(.communityNotServedByCA(certificate: Fixture.ward8, ca: Fixture.ward7)))
    }

    @Test func aRoleTheLinkDoesNotAcceptIsRefused() async throws {
        let ward7 = try Fixture.authority(), ward8 = try Fixture.authority(Fixture.ward8)
        let observer = try Fixture.node(ward8, role: .observer), gateway = try Fixture.node(ward8, role: .gateway, seed: 9)
        let validator = Fixture.validator([ward7, ward8])
        let result = await outcome(validator, chain: [observer.der], requirements: .federationGateway)
        #expect(result == .failure(.roleNotAllowed(.observer, allowed: [.gateway])))
        #expect(await outcome(validator, chain: [gateway.der], requirements: .federationGateway).kind == "accepted")
    }

    @Test func aGatewayAcceptsItsCommunityAndOtherCommunitiesGatewaysOnly() async throws {
        let ward7 = try Fixture.authority(), ward8 = try Fixture.authority(Fixture.ward8)
        let validator = Fixture.validator([ward7, ward8])
        let requirements = PeerRequirements.gateway(of: Fixture.ward7)
        let localObserver = try Fixture.node(ward7, role: .observer, seed: 3)
        let foreignGateway = try Fixture.node(ward8, role: .gateway, seed: 4)
        let foreignValidator = try Fixture.node(ward8, role: .validator, seed: 5)
        #expect(await outcome(validator, chain: [localObserver.der], requirements: requirements).kind == "accepted")
        #expect(await outcome(validator, chain: [foreignGateway.der], requirements: requirements).kind == "accepted")
        let refused = await outcome(validator, chain: [foreignValidator.der], requirements: requirements)
        #expect(refused == .failure(.roleNotAllowed(.validator, allowed: [.gateway])))
        // Every other role links inside its community only.
        #expect(PeerRequirements.node(of: Fixture.ward7, role: .validator) == .sameCommunity(Fixture.ward7))
        let fromValidator = await outcome(validator, chain: [foreignGateway.der], requirements: .node(of: Fixture.ward7, role: .observer))
        #expect(fromValidator == .failure(.wrongCommunity(Fixture.ward8, allowed: [Fixture.ward7])))
    }

    @Test func aNodeIDOtherThanTheHelloClaimsIsRefused() async throws {
        let ca = try Fixture.authority()
        let node = try Fixture.node(ca, seed: 1)
        let claimed = SigningKey(seed: Bytes32(Array(repeating: 2, count: 32))!).publicKey.nodeID
        let result = await outcome(Fixture.validator([ca]), chain: [node.der], claimed: claimed)
        #expect(result == .failure(.nodeIDMismatch(certificate: node.nodeID, claimed: claimed)))
    }

    @Test func aCACertificateUsedAsALeafIsRefused() async throws {
        let ca = try Fixture.authority()
        let result = await outcome(Fixture.validator([ca]), chain: [CertificateDER.der(ca.ca.certificate)])
        #expect(result.kind == "notANodeCertificate")
    }

    @Test func certificatesOutsideTheProfileAreMalformed() async throws {
        let ca = try Fixture.authority()
        let validator = Fixture.validator([ca])
        let id = NodeID(raw: .init())
        let cases: [(String, Certificate)] = [
            ("no SAN", try Fixture.custom(ca, uris: [])),
            ("no role", try Fixture.custom(ca, uris: [CertificateNames.nodeURI(community: Fixture.ward7, node: id)])),
            ("two nodes", try Fixture.custom(ca, uris: [
                CertificateNames.nodeURI(community: Fixture.ward7, node: id),
                CertificateNames.nodeURI(community: Fixture.ward7, node: NodeID(raw: Bytes16(Array(repeating: 1, count: 16))!)),
                CertificateNames.roleURI(community: Fixture.ward7, role: .validator),
            ])),
            ("bad URI", try Fixture.custom(ca, uris: ["civitas://ward-7/node/XYZ", CertificateNames.roleURI(community: Fixture.ward7, role: .validator)])),
            ("server only", try Fixture.custom(ca, uris: [
                CertificateNames.nodeURI(community: Fixture.ward7, node: id),
                CertificateNames.roleURI(community: Fixture.ward7, role: .validator),
            ], eku: [.serverAuth])),
        ]
        for (name, certificate) in cases {
            let result = await outcome(validator, chain: [CertificateDER.der(certificate)])
            #expect(result.kind == "malformedIdentity", "\(name): \(result)")
        }
    }

    @Test func aTwoCommunityBundleAcceptsGatewaysOfBoth() async throws {
        let ward7 = try Fixture.authority(), ward8 = try Fixture.authority(Fixture.ward8)
        let bundle = TrustBundle([ward7.ca, ward8.ca])
        let reread = try TrustBundle(pemEncoded: bundle.pemString, path: "bundle.pem")
        #expect(reread == bundle)
        #expect(reread.communities == [Fixture.ward7, Fixture.ward8])
        let validator = PeerCertificateValidator(bundle: reread, revocations: [])
        for ca in [ward7, ward8] {
            let node = try Fixture.node(ca, role: .gateway)
            let identity = try await validator.validate(chainDER: [node.der], claimedNodeID: node.nodeID, requirements: .federationGateway, now: Fixture.now)
            #expect(identity.community == ca.community)
        }
    }

    @Test func theCertificateAndASignedPeerRecordBelongTogetherThroughTheNodeID() throws {
        let ca = try Fixture.authority()
        let node = try Fixture.node(ca, role: .validator, seed: 5)
        let identity = try NodeIdentity(node.certificate)
        let record = PeerRecord(key: node.ledger, community: Fixture.ward7, role: .validator, addresses: ["10.0.0.5:7400"], sequence: 1, time: 1)
        #expect(identity.matches(record))
        let other = PeerRecord(key: SigningKey(seed: Bytes32(Array(repeating: 6, count: 32))!), community: Fixture.ward7, role: .validator, addresses: ["10.0.0.6:7400"], sequence: 1, time: 1)
        #expect(!identity.matches(other))
        let promoted = PeerRecord(key: node.ledger, community: Fixture.ward7, role: .gateway, addresses: ["10.0.0.5:7400"], sequence: 2, time: 2)
        #expect(!identity.matches(promoted))
    }
}
