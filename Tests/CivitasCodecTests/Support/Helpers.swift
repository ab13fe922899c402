import CivitasTestSupport
import CivitasCodec

/// Runs `body` on a reader over `bytes` and requires every byte to be read.
func read<T>(
    _ bytes: [UInt8], limits: DecodingLimits = .default,
    _ body: (inout ByteReader) throws(CodecError) -> T
) -> Result<T, CodecError> {
    bytes.withUnsafeBytes { buffer in
        var reader = ByteReader(buffer, limits: limits)
        do throws(CodecError) {
            let value = try body(&reader)
            try reader.finish()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}


extension Result {
    var failure: Failure? {
        if case let .failure(e) = self { return e }
        return nil
    }

    var value: Success? {
        if case let .success(v) = self { return v }
        return nil
    }
}

extension CodecError.Kind {
    /// The field of an `invalidValue` error, nil for every other kind.
    var invalidValueField: String? {
        if case let .invalidValue(field, _) = self { return field }
        return nil
    }

    /// True for `decompressionFailed`, whatever its reason.
    var isDecompressionFailure: Bool {
        if case .decompressionFailed = self { return true }
        return false
    }
}

/// A length-prefixed UTF-8 string as the codec writes it.
func stringBytes(_ s: String) -> [UInt8] { Varint.encode(UInt64(s.utf8.count)) + Array(s.utf8) }

/// A length-prefixed raw byte string.
func lengthPrefixed(_ b: [UInt8]) -> [UInt8] { Varint.encode(UInt64(b.count)) + b }
