import CivitasCodec
import CivitasIdentity
import CivitasLedger
import Testing

/// The URIs that carry identities in certificates parse back to what was written, and nothing else parses.
@Suite("Certificate names")
struct CertificateNamesTests {
    let id = NodeID(raw: Bytes16(hex: "00112233445566778899aabbccddeeff")!)

    @Test func namesRoundTrip() {
        #expect(CertificateNames.nodeURI(community: Fixture.ward7, node: id) == "civitas://ward-7/node/00112233445566778899aabbccddeeff")
        #expect(CertificateNames.parse(CertificateNames.nodeURI(community: Fixture.ward7, node: id)) == .node(Fixture.ward7, id))
        for role in NodeRole.allCases {
            #expect(CertificateNames.parse(CertificateNames.roleURI(community: Fixture.ward8, role: role)) == .role(Fixture.ward8, role))
        }
        #expect(CertificateNames.parse("civitas://ward-7") == .community(Fixture.ward7))
    }

    @Test func everythingElseIsRefused() {
        for uri in [
            "https://ward-7/node/00112233445566778899aabbccddeeff",
            "civitas://Ward-7/node/00112233445566778899aabbccddeeff",
            "civitas://ward-7/node/00112233445566778899AABBCCDDEEFF",
            "civitas://ward-7/node/00112233",
            "civitas://ward-7/node/00112233445566778899aabbccddeeff/x",
            "civitas://ward-7/role/mayor",
            "civitas://ward-7/",
            "civitas://",
            "civitas://-bad/role/validator",
        ] {
            #expect(CertificateNames.parse(uri) == nil, "\(uri)")
        }
    }
}
