import ArgumentParser
import CivitasCodec
import CivitasLedger
import Foundation

/// `civitas inspect FILE`: decode any Civitas object and print it as JSON.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode an encoded Civitas object (binary, or hex with --hex) and print it as JSON.",
        discussion: "The first byte names the type (docs/codec.md). Non-canonical input is refused with the offset and the rule it breaks."
    )

    @Argument(help: "The file to read, or - for standard input.")
    var path: String

    @Flag(help: "The input is hex text rather than binary.")
    var hex = false

    func run() throws {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read \(path)") }
            data = d
        }
        var bytes = [UInt8](data)
        if hex {
            guard let decoded = Hex.decode(String(decoding: bytes, as: UTF8.self)) else { throw ToolError("input is not hex") }
            bytes = decoded
        }
        guard let type = bytes.first else { throw ToolError("input is empty") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let (name, json) = try Self.decode(type: type, bytes: bytes, encoder: encoder)
            print("\(name) (\(bytes.count) bytes)")
            print(String(decoding: json, as: UTF8.self))
        } catch let error as CodecError {
            throw ToolError("refused: \(error)")
        }
    }

    static func decode(type: UInt8, bytes: [UInt8], encoder: JSONEncoder) throws -> (String, Data) {
        switch type {
        case Transaction.typeTag: return ("transaction", try encoder.encode(try Transaction(encoded: bytes)))
        case BlockHeader.typeTag: return ("block header", try encoder.encode(try BlockHeader(encoded: bytes)))
        case Block.typeTag: return ("block", try encoder.encode(try Block(encoded: bytes)))
        case SealedBlock.typeTag: return ("sealed block", try encoder.encode(try SealedBlock(encoded: bytes)))
        case CommitCertificate.typeTag: return ("commit certificate", try encoder.encode(try CommitCertificate(encoded: bytes)))
        case Checkpoint.typeTag: return ("checkpoint", try encoder.encode(try Checkpoint(encoded: bytes)))
        case PeerRecord.typeTag: return ("peer record", try encoder.encode(try PeerRecord(encoded: bytes)))
        case GenesisDocument.typeTag: return ("genesis document", try encoder.encode(try GenesisDocument(encoded: bytes)))
        case FederationDocument.typeTag: return ("federation document", try encoder.encode(try FederationDocument(encoded: bytes)))
        case InclusionProof.typeTag: return ("inclusion proof", try encoder.encode(try InclusionProof(encoded: bytes)))
        default: throw ToolError("unknown object type byte 0x\(String(type, radix: 16)) (see docs/codec.md)")
        }
    }
}
