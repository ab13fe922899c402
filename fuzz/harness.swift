// libFuzzer harness for the Civitas decoders. One source, one binary per
// decoder: fuzz/build.sh compiles it once per target with `-D FUZZ_<NAME>`.
//
// Every harness decodes the input as one top-level object. A `CodecError` is
// the expected outcome for almost every input and is ignored. When decoding
// succeeds, the harness checks the property that docs/codec.md promises:
//
// - canonical objects: re-encoding the decoded value gives back exactly the
//   input bytes (a decoder that accepts two encodings of one value, or an
//   encoder that disagrees with its decoder, is a crash);
// - SealedBlock: its zstd frame bytes are not canonical, so instead decoding
//   `sealed.encoded()` must give an equal value, and re-encoding that value
//   must give the same bytes again; when the body is below the compression
//   threshold (raw format) the input must round-trip byte for byte as well.
//
// Both decoding entry points (`init(encodedBuffer:)` on libFuzzer's buffer,
// `init(encoded:)` on a copy) must agree: the same value or the same error.
// Any violation traps (`fatalError`), which libFuzzer reports as a crash.
// The harness never reads a clock or a random source.

import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasRaft

#if FUZZ_TRANSACTION
typealias Target = Transaction
#elseif FUZZ_BLOCK_HEADER
typealias Target = BlockHeader
#elseif FUZZ_BLOCK
typealias Target = Block
#elseif FUZZ_SEALED_BLOCK
typealias Target = SealedBlock
#elseif FUZZ_COMMIT_CERTIFICATE
typealias Target = CommitCertificate
#elseif FUZZ_CHECKPOINT
typealias Target = Checkpoint
#elseif FUZZ_PEER_RECORD
typealias Target = PeerRecord
#elseif FUZZ_GENESIS
typealias Target = GenesisDocument
#elseif FUZZ_FEDERATION_DOCUMENT
typealias Target = FederationDocument
#elseif FUZZ_INCLUSION_PROOF
typealias Target = InclusionProof
#elseif FUZZ_RAFT_MESSAGE
typealias Target = CivitasRaft.Message
#elseif FUZZ_GOSSIP_MESSAGE
typealias Target = GossipMessage
#elseif FUZZ_ADDRESS_BOOK
typealias Target = AddressBook
#else
#error("compile with -D FUZZ_<TARGET>, e.g. -D FUZZ_TRANSACTION (see fuzz/build.sh)")
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = decodeBothWays(Target.self, input) else { return 0 }
    checkRoundTrip(value, input: Array(input))
    return 0
}

/// Decodes with both entry points; traps if they disagree. Nil on a `CodecError`.
func decodeBothWays<T: CanonicalObject & Equatable>(_ type: T.Type, _ input: UnsafeRawBufferPointer) -> T? {
    let fromBuffer = Result { () throws(CodecError) -> T in try T(encodedBuffer: input) }
    let fromArray = Result { () throws(CodecError) -> T in try T(encoded: Array(input)) }
    switch (fromBuffer, fromArray) {
    case let (.success(a), .success(b)):
        guard a == b else { fail("\(T.self): init(encodedBuffer:) and init(encoded:) decoded different values") }
        return a
    case let (.failure(a), .failure(b)):
        guard a == b else { fail("\(T.self): the two entry points threw different errors: \(a) / \(b)") }
        return nil
    case let (.success, .failure(e)), let (.failure(e), .success):
        fail("\(T.self): one entry point accepted the input, the other refused it: \(e)")
    }
}

/// Canonical objects: the encoding of the decoded value is the input.
func checkRoundTrip<T: CanonicalObject>(_ value: T, input: [UInt8]) {
    let again = value.encoded()
    guard again == input else {
        fail("\(T.self) is not canonical: the input decodes but re-encodes differently \(firstDifference(input, again))")
    }
}

/// Gossip messages: canonical, except a block-sync response, whose sealed
/// blocks carry zstd frames: for it, decode(encode(x)) == x and a stable encoder.
func checkRoundTrip(_ message: GossipMessage, input: [UInt8]) {
    guard case let .blockResponse(_, blocks) = message else {
        let again = message.encoded()
        guard again == input else { fail("GossipMessage is not canonical \(firstDifference(input, again))") }
        return
    }
    let wire = message.encoded()
    let redecoded: GossipMessage
    do { redecoded = try GossipMessage(encoded: wire) } catch { fail("GossipMessage: decoding message.encoded() failed: \(error)") }
    guard redecoded == message else { fail("GossipMessage: decode(encode(x)) != x for a response of \(blocks.count) blocks") }
    guard redecoded.encoded() == wire else { fail("GossipMessage: encoding is not stable") }
}

/// Sealed blocks: decode(encode(x)) == x, the encoder is stable, and a raw body round-trips byte for byte.
func checkRoundTrip(_ sealed: SealedBlock, input: [UInt8]) {
    let wire = sealed.encoded()
    let redecoded: SealedBlock
    do {
        redecoded = try SealedBlock(encoded: wire)
    } catch {
        fail("SealedBlock: decoding sealed.encoded() failed: \(error)")
    }
    guard redecoded == sealed else { fail("SealedBlock: decode(encode(x)) != x") }
    let wireAgain = redecoded.encoded()
    guard wireAgain == wire else { fail("SealedBlock: encoding is not stable \(firstDifference(wire, wireAgain))") }
    // Block (0x21) = its header's fields + the body; BlockHeader (0x20) = the header's fields.
    let bodyBytes = sealed.block.encoded().count - sealed.block.header.encoded().count
    if bodyBytes < SealedBlock.compressionThreshold {
        guard wire == input else {
            fail("SealedBlock with a raw body (\(bodyBytes) bytes) is not canonical \(firstDifference(input, wire))")
        }
    }
}

func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    let common = zip(a, b).prefix { $0 == $1 }.count
    return "(input \(a.count) bytes, re-encoded \(b.count) bytes, first difference at byte \(common))"
}

func fail(_ message: String) -> Never {
    fatalError("fuzz invariant violated: " + message)
}
