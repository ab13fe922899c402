/// Why a decoder refused its input: the first violation found, with the byte offset.
///
/// Every decoding path in Civitas throws this one type, so a caller (a network
/// handler, the storage layer, a fuzzer) can report any refusal the same way.
public struct CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rule that the input broke.
    public enum Kind: Equatable, Sendable {
        /// The input ended before the value did.
        case truncated
        /// A varint used more bytes than its value needs (for example `0x80 0x00` for 0).
        case overlongVarint
        /// A varint does not fit the integer it encodes.
        case varintOverflow
        /// A length or count is above the maximum allowed for that field.
        case lengthAboveLimit(length: UInt64, limit: Int)
        /// A length or count promises more bytes than the input still holds.
        case lengthAboveInput(length: UInt64, remaining: Int)
        /// Bytes are left after the top-level object ended.
        case trailingBytes(count: Int)
        /// A type, kind or enumeration byte that this version does not know.
        case unknownTag(tag: UInt64, field: String)
        /// A top-level object version that this decoder does not know.
        case unknownVersion(type: UInt8, version: UInt8)
        /// A byte that must be 0 or 1 was something else.
        case invalidBool(UInt8)
        /// A string field is not valid UTF-8.
        case invalidUTF8
        /// A field's value is outside its allowed range or breaks a canonical-form rule.
        case invalidValue(field: String, reason: String)
        /// The zstd frame is malformed, or its content does not match what it declares.
        case decompressionFailed(reason: String)
    }

    /// The broken rule.
    public let kind: Kind
    /// Offset in the input (for compressed bodies: in the decompressed bytes) where the problem was found.
    public let offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        switch kind {
        case .truncated:
            return "input truncated at byte \(offset)"
        case .overlongVarint:
            return "non-canonical varint at byte \(offset): it uses more bytes than its value needs"
        case .varintOverflow:
            return "varint at byte \(offset) overflows its integer type"
        case let .lengthAboveLimit(length, limit):
            return "length \(length) at byte \(offset) is above the limit \(limit)"
        case let .lengthAboveInput(length, remaining):
            return "length \(length) at byte \(offset) is above the \(remaining) bytes left in the input"
        case let .trailingBytes(count):
            return "\(count) trailing bytes after the object, at byte \(offset)"
        case let .unknownTag(tag, field):
            return "unknown \(field) tag \(tag) at byte \(offset)"
        case let .unknownVersion(type, version):
            return "unknown version \(version) of object type 0x\(String(type, radix: 16)) at byte \(offset); upgrade this node"
        case let .invalidBool(byte):
            return "boolean at byte \(offset) is \(byte), not 0 or 1"
        case .invalidUTF8:
            return "string at byte \(offset) is not valid UTF-8"
        case let .invalidValue(field, reason):
            return "invalid \(field) at byte \(offset): \(reason)"
        case let .decompressionFailed(reason):
            return "zstd body at byte \(offset) refused: \(reason)"
        }
    }
}
