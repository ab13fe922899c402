internal import CZstd

/// Standard zstd frames (RFC 8878) with a bounded decompressor.
///
/// Compressed frames always record their content size and carry zstd's
/// content checksum (so a flipped bit in storage or on the wire is caught when
/// the frame is opened, not later). The decompressor
/// refuses a frame whose declared size is above the caller's maximum or does
/// not match the size the caller expects, before allocating: a decompression
/// bomb costs an error, not memory.
public enum Zstd {
    /// Compression level used for block bodies (zstd's default trade-off).
    public static let defaultLevel: Int32 = 3

    /// Compresses `input` into one frame that records its content size and checksum.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        guard let cctx = ZSTD_createCCtx() else { fatalError("zstd: out of memory creating a compression context") }
        defer { ZSTD_freeCCtx(cctx) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_compress2(cctx, dst.baseAddress, bound, input.baseAddress, input.count)
        }
        // ZSTD_compress fails only on a too-small destination, which compressBound rules out.
        precondition(ZSTD_isError(written) == 0, "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        out.removeLast(out.count - written)
        return out
    }

    /// Compresses `input` into one frame that records its content size.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) -> [UInt8] {
        input.withUnsafeBytes { compress($0, level: level) }
    }

    /// Decompresses a single frame whose content must be exactly `expectedSize`
    /// bytes, with `expectedSize <= maxSize`.
    public static func decompress(
        _ frame: UnsafeRawBufferPointer, expectedSize: Int, maxSize: Int
    ) throws(CodecError) -> [UInt8] {
        guard expectedSize <= maxSize else {
            throw CodecError(.lengthAboveLimit(length: UInt64(expectedSize), limit: maxSize), at: 0)
        }
        guard frame.count > 0, let src = frame.baseAddress else {
            throw CodecError(.decompressionFailed(reason: "empty frame"), at: 0)
        }
        // Exactly one frame, fully consumed.
        let frameSize = ZSTD_findFrameCompressedSize(src, frame.count)
        guard ZSTD_isError(frameSize) == 0 else {
            throw CodecError(.decompressionFailed(reason: String(cString: ZSTD_getErrorName(frameSize))), at: 0)
        }
        guard frameSize == frame.count else {
            throw CodecError(.decompressionFailed(reason: "\(frame.count - frameSize) bytes after the frame"), at: frameSize)
        }
        let declared = ZSTD_getFrameContentSize(src, frame.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest UInt64 values.
        guard declared < UInt64.max - 1 else {
            throw CodecError(.decompressionFailed(reason: "frame does not declare its content size"), at: 0)
        }
        // RFC 8878 §3.1.1: magic 0xFD2FB528, then the frame header descriptor, whose bit 2 is Content_Checksum_flag.
        guard frame.count >= 5, UInt32(littleEndian: frame.loadUnaligned(as: UInt32.self)) == 0xFD2F_B528 else {
            throw CodecError(.decompressionFailed(reason: "not a zstd frame (bad magic number)"), at: 0)
        }
        guard frame[4] & 0x04 != 0 else {
            throw CodecError(.decompressionFailed(reason: "frame has no content checksum"), at: 4)
        }
        guard declared == UInt64(expectedSize) else {
            throw CodecError(.decompressionFailed(reason: "frame declares \(declared) bytes, envelope says \(expectedSize)"), at: 0)
        }
        var failure: String? = nil
        let out = [UInt8](unsafeUninitializedCapacity: expectedSize) { dst, initialized in
            // Output is written only into `dst`; more than `expectedSize` bytes is an error inside zstd.
            let n = ZSTD_decompress(dst.baseAddress, expectedSize, src, frame.count)
            if ZSTD_isError(n) != 0 {
                failure = String(cString: ZSTD_getErrorName(n))
                initialized = 0
            } else if n != expectedSize {
                failure = "frame produced \(n) bytes, expected \(expectedSize)"
                initialized = 0
            } else {
                initialized = n
            }
        }
        if let failure { throw CodecError(.decompressionFailed(reason: failure), at: 0) }
        return out
    }
}
