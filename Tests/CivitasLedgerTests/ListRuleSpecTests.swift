import CivitasCodec
import CivitasLedger
import Testing

/// docs/codec.md, section 2, the list rule: a count `n` is refused unless
/// `n × minSize(T)` ≤ the bytes remaining. These pin the values the doc's
/// `minSize` table gives where they decide something.
@Suite struct ListRuleSpecTests {
    static let key = SigningKey(seed: Bytes32(Array(repeating: 1, count: 32))!)

    /// A kind-16 transaction of community "a" adopting a document with no
    /// communities: 2 + 32 + 1 + 1 + 1 + 2 + 64 = 103 bytes of fields, the
    /// smallest a transaction can be and so `minSize(Transaction)`.
    static let smallest = UnsignedTransaction(
        community: CommunityID("a")!, signer: key.publicKey, nonce: 1, time: 1,
        payload: .federationAdoption(FederationAdoption(document: try! FederationDocument(sequence: 1, communities: []))))
        .signed(with: key)

    @Test func theSmallestTransactionIs103BytesAndDecodesAlone() throws {
        #expect(Self.smallest.canonicalBytes().count == 103)
        #expect(Transaction.minEncodedSize == 103)
        #expect(try Transaction(encoded: Self.smallest.encoded()) == Self.smallest)
    }

    /// Found in #16: `minSize(Transaction)` was 104, so a block of this
    /// transaction alone encoded but did not decode.
    @Test func aBlockOfTheSmallestTransactionDecodes() throws {
        let block = Block(community: CommunityID("a")!, height: 1, previous: Hashing.sha256([]), time: 1, proposer: 0,
                          transactions: [Self.smallest])
        #expect(try Block(encoded: block.encoded()) == block)
    }
}
