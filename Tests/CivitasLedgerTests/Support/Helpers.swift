import CivitasTestSupport
import CivitasCodec
import CivitasLedger


/// The error decoding `bytes` as the nested (header-less) value `T` throws, or nil.
func fieldsFailure<T: CanonicalCodable>(_ type: T.Type, _ bytes: [UInt8]) -> CodecError? {
    do {
        _ = try T(canonicalBytes: bytes)
        return nil
    } catch {
        return error
    }
}

/// The error `body` throws, or nil.
func ledgerFailure(_ body: () throws(LedgerError) -> Void) -> LedgerError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

extension LedgerError {
    /// The case, without its associated values.
    var caseName: String {
        switch self {
        case .certificate: return "certificate"
        case .badTransactionSignature: return "badTransactionSignature"
        case .blockMismatch: return "blockMismatch"
        case .badPeerRecordSignature: return "badPeerRecordSignature"
        case .genesis: return "genesis"
        case .federation: return "federation"
        case .notInFederation: return "notInFederation"
        case .federationGenesisMismatch: return "federationGenesisMismatch"
        }
    }
}

extension CodecError.Kind {
    /// The field of an `invalidValue` error, nil for every other kind.
    var invalidValueField: String? {
        if case let .invalidValue(field, _) = self { return field }
        return nil
    }
}

/// Builders for hand-made (often deliberately non-canonical) encodings.
enum Wire {
    static func varint(_ v: UInt64) -> [UInt8] { Varint.encode(v) }
    static func string(_ s: String) -> [UInt8] { varint(UInt64(s.utf8.count)) + Array(s.utf8) }
    static func list(_ elements: [[UInt8]]) -> [UInt8] { varint(UInt64(elements.count)) + elements.joined() }
    static func object<T: CanonicalObject>(_ type: T.Type, _ fields: [UInt8]) -> [UInt8] { [T.typeTag, T.formatVersion] + fields }

    static let community = CommunityID("wire-test")!

    /// A transaction of community "wire-test" whose kind byte and payload are `payload`, with a zero signature.
    static func transaction(payload: [UInt8], signer: PublicKey = Keys.pool[0].publicKey, nonce: UInt64 = 1, time: UInt64 = 2) -> [UInt8] {
        object(Transaction.self, community.canonicalBytes() + signer.canonicalBytes() + varint(nonce) + varint(time) + payload + [UInt8](repeating: 0, count: 64))
    }

    /// The offset of the kind byte in `transaction(payload:)`.
    static var kindOffset: Int { 2 + community.canonicalBytes().count + 32 + 1 + 1 }
}

extension TransactionPayload {
    /// The kind byte and fields, as inside a transaction.
    var wire: [UInt8] { canonicalBytes() }
}
