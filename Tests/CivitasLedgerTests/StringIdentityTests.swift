import CivitasCodec
import CivitasLedger
import Testing

/// docs/codec.md §2: "Strings are compared and hashed as bytes; no Unicode normalisation is applied."
@Suite("Strings are bytes")
struct StringIdentityTests {
    static let composed = "caf\u{E9}"        // é as one scalar (NFC)
    static let decomposed = "cafe\u{301}"    // e + combining acute (NFD)

    @Test func valuesWhoseStringsDifferOnlyInNormalisationAreDistinct() {
        #expect(Array(Self.composed.utf8) != Array(Self.decomposed.utf8))
        let a = Notice(category: .general, title: Self.composed, body: "")
        let b = Notice(category: .general, title: Self.decomposed, body: "")
        #expect(a.canonicalBytes() != b.canonicalBytes())
        #expect(a != b, "different encodings, different transaction IDs, yet == says equal")
        let key = Keys.pool[0]
        let ta = UnsignedTransaction(community: Wire.community, signer: key.publicKey, nonce: 1, time: 1, payload: .notice(a))
        let tb = UnsignedTransaction(community: Wire.community, signer: key.publicKey, nonce: 1, time: 1, payload: .notice(b))
        #expect(ta.id != tb.id)
        #expect(ta != tb, "two transactions with different IDs compare equal")
    }

    @Test func aDecodedSetHoldsNoTwoEqualElements() {
        let deadlines = [ResponseDeadline(serviceCode: Self.composed, seconds: 60), ResponseDeadline(serviceCode: Self.decomposed, seconds: 60)].sorted()
        var g = Gen(seed: 54)
        var doc = g.genesis()
        doc.parameters.responseDeadlines = deadlines
        // Bytewise the two codes are ascending, so the decoder may accept both entries; if it does, they must
        // be two distinct values (a set whose elements compare equal breaks Set and Dictionary(uniqueKeysWithValues:)).
        guard let decoded = try? GenesisDocument(encoded: doc.encoded()) else { return }
        #expect(Set(decoded.parameters.responseDeadlines).count == decoded.parameters.responseDeadlines.count,
                "the decoded set of response deadlines holds two elements that == considers the same")
    }
}
