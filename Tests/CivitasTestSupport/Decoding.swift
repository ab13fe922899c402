public import CivitasCodec

/// The error decoding `bytes` as an object of type `T` throws, or nil if it decodes.
public func decodeFailure<T: CanonicalObject>(_ type: T.Type, _ bytes: [UInt8], limits: DecodingLimits = .default) -> CodecError? {
    do {
        _ = try T(encoded: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}
