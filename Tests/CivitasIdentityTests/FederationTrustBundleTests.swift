import CivitasCodec
import CivitasIdentity
import CivitasLedger
import Testing
import X509

/// The federation document carries each community's CA certificate; the trust
/// bundle gateways need is read from it, and must name each CA's own community.
@Suite struct FederationTrustBundleTests {
    static func member(_ ca: CommunityAuthority, der: [UInt8]? = nil) -> FederationMember {
        FederationMember(community: ca.community, genesisHash: Hashing.sha256(Array(ca.community.name.utf8)),
                         validators: [SigningKey(seed: Bytes32(Array(repeating: 1, count: 32))!).publicKey],
                         caCertificate: der ?? CertificateDER.der(ca.ca.certificate))
    }

    @Test func theBundleOfADocumentHoldsEachCommunitysCA() throws {
        let ward7 = try Fixture.authority(Fixture.ward7), ward8 = try Fixture.authority(Fixture.ward8)
        let document = try FederationDocument(sequence: 1, communities: [Self.member(ward8), Self.member(ward7)])
        let bundle = try TrustBundle(federation: document)
        #expect(bundle.authorities == [ward7.ca, ward8.ca])
        #expect(bundle.communities == [Fixture.ward7, Fixture.ward8])
        // A peer of either community is trusted through it.
        let node = try Fixture.node(ward8)
        #expect(bundle.issuer(of: node.certificate) == ward8.ca)
    }

    @Test func aCACertificateFitsTheDocumentsLimitWithRoomToSpare() throws {
        // What `civitas ca init` writes: P-256, the community named in the subject, the SAN and the name constraints.
        let typical = CertificateDER.der(try Fixture.authority(CommunityID("lianhua-east")!).ca.certificate)
        let longest = CertificateDER.der(try Fixture.authority(CommunityID(String(repeating: "a", count: 64))!).ca.certificate)
        #expect(typical.count <= 600, "\(typical.count) bytes")
        #expect(longest.count <= 800 && 2 * longest.count <= FieldLimits.caCertificate, "\(longest.count) bytes")
    }

    @Test func aCAListedForAnotherCommunityOrBytesThatAreNoCAAreRefused() throws {
        let ward7 = try Fixture.authority(Fixture.ward7), ward8 = try Fixture.authority(Fixture.ward8)
        let swapped = FederationMember(community: Fixture.ward7, genesisHash: Hashing.sha256([1]), validators: Self.member(ward7).validators,
                                       caCertificate: CertificateDER.der(ward8.ca.certificate))
        #expect(throws: IdentityError.notACommunityCA(path: "federation document 1",
                                                       reason: "the CA certificate listed for 'ward-7' serves 'ward-8'")) {
            try TrustBundle(federation: try FederationDocument(sequence: 1, communities: [swapped]))
        }
        let garbage = try FederationDocument(sequence: 1, communities: [Self.member(ward7, der: Array("not DER".utf8))])
        #expect {
            try TrustBundle(federation: garbage)
        } throws: { error in
            guard case let .notACommunityCA(path, reason)? = error as? IdentityError else { return false }
            return path == "federation document 1" && reason.hasPrefix("the CA certificate of 'ward-7':")
        }
        // A node certificate is not a CA.
        let node = try Fixture.node(ward7)
        #expect(throws: IdentityError.self) {
            try TrustBundle(federation: try FederationDocument(sequence: 1, communities: [Self.member(ward7, der: node.der)]))
        }
    }
}
