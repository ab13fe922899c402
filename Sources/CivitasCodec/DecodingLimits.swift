/// Upper bounds a decoder enforces before it allocates anything.
///
/// Protocol rules fix per-field maxima (see docs/codec.md); these limits are the
/// node's own, usually tighter, caps on whole collections and bodies. Every
/// length read from the input is checked against both these and the bytes left.
public struct DecodingLimits: Sendable, Equatable {
    /// Largest byte string or UTF-8 string accepted in any single field.
    public var maxFieldBytes: Int
    /// Largest number of elements accepted in any single list.
    public var maxElements: Int
    /// Largest decompressed block body accepted (bounds zstd output: a bomb is an error, not an allocation).
    public var maxBodyBytes: Int

    public init(maxFieldBytes: Int, maxElements: Int, maxBodyBytes: Int) {
        self.maxFieldBytes = maxFieldBytes
        self.maxElements = maxElements
        self.maxBodyBytes = maxBodyBytes
    }

    /// Defaults sized for a community ledger: 1 MiB per field, 100,000 list
    /// elements, 16 MiB per block body.
    public static let `default` = DecodingLimits(
        maxFieldBytes: 1 << 20,
        maxElements: 100_000,
        maxBodyBytes: 16 << 20
    )
}
