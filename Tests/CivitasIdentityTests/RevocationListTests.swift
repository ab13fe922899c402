import CivitasIdentity
import Foundation
import Testing

/// The hand-written CRL codec: what it writes it reads back, and it refuses damage.
@Suite("Revocation lists")
struct RevocationListTests {
    @Test func aListRoundTripsThroughDERAndPEM() throws {
        let ca = try Fixture.authority()
        let entries = [
            RevocationList.Entry(serial: [0x01, 0x02], revokedAt: Fixture.now),
            RevocationList.Entry(serial: [0x80, 0x00, 0x01], revokedAt: Fixture.now + 1.5),  // top bit set: needs a 0x00 in DER
        ]
        let list = try ca.revocationList(entries: entries, number: 7, now: Fixture.now, days: 30)
        for reread in [try RevocationList(derEncoded: list.derBytes), try RevocationList(pemEncoded: list.pemString)] {
            #expect(reread == list)
            #expect(reread.number == 7)
            #expect(reread.thisUpdate == Fixture.now)
            #expect(reread.nextUpdate == Fixture.now + 30 * Fixture.day)
            #expect(reread.entries.map(\.serialHex) == ["0102", "800001"])
            #expect(reread.entries[1].revokedAt == Fixture.now + 1)  // whole seconds
            #expect(reread.authorityKeyID == ca.ca.keyID)
            #expect(reread.isSigned(by: ca.ca.certificate))
        }
        #expect(list.entry(forSerial: [0x00, 0x01, 0x02]) != nil)  // a leading zero does not change the number
        #expect(list.entry(forSerial: [0x01, 0x03]) == nil)
    }

    @Test func datesFrom2050AreGeneralizedTime() throws {
        let ca = try Fixture.authority()
        let late = Date(timeIntervalSince1970: 2_600_000_000)  // 2052
        let list = try ca.revocationList(entries: [], number: 1, now: late, days: 1)
        let reread = try RevocationList(derEncoded: list.derBytes)
        #expect(reread.thisUpdate == late)
        #expect(list.derBytes.contains(0x18))  // GeneralizedTime tag
    }

    @Test func onlyTheIssuingCAsKeyVerifiesAList() throws {
        let ca = try Fixture.authority(), impostor = try Fixture.authority()
        let list = try impostor.revocationList(entries: [], number: 1, now: Fixture.now, days: 30)
        #expect(!list.isSigned(by: ca.ca.certificate))
        #expect(list.isSigned(by: impostor.ca.certificate))
    }

    @Test func aTamperedListNoLongerVerifies() throws {
        let ca = try Fixture.authority()
        let list = try ca.revocationList(entries: [.init(serial: [0x42], revokedAt: Fixture.now)], number: 1, now: Fixture.now, days: 30)
        var der = list.derBytes
        let at = try #require(der.firstIndex(of: 0x42))  // the revoked serial
        der[at] = 0x43
        let tampered = try RevocationList(derEncoded: der)
        #expect(tampered.entries[0].serial == [0x43])
        #expect(!tampered.isSigned(by: ca.ca.certificate))
    }

    @Test func damagedListsAreRefusedWithAReason() throws {
        let ca = try Fixture.authority()
        let good = try ca.revocationList(entries: [], number: 1, now: Fixture.now, days: 30).derBytes
        for bad in [[], [0x30, 0x00], Array(good.dropLast()), good + [0x00], Array("not a crl".utf8)] as [[UInt8]] {
            #expect(throws: IdentityError.self) { try RevocationList(derEncoded: bad) }
        }
        #expect(throws: IdentityError.noPEMBlock(path: "x.pem", expected: "X509 CRL")) {
            try RevocationList(pemEncoded: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", path: "x.pem")
        }
    }
}
