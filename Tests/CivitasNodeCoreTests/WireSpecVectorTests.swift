import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasRaft
import CivitasTestSupport
import Foundation
import Testing

/// The hex vectors of docs/codec.md for what validators put in the Raft log
/// and send each other (0x52 BlockProposal, 0x53 ChainPosition, 0x60 Raft
/// Message, 0x61 ConsensusMessage, 0x54 TransactionOffer): each named block
/// must equal what this build encodes and decode back to the same value.
/// Keys are `key(n)`, seeds of one repeated byte, as in CivitasSpecTests.
/// Set CIVITAS_PRINT_VECTORS=1 to print them.
@Suite struct WireSpecVectorTests {
    static func key(_ n: UInt8) -> SigningKey {
        SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!)
    }

    static let community = CommunityID("lianhua-east")!

    /// The minimal genesis of docs/codec.md (vector `genesis`).
    static let genesis = GenesisDocument(
        community: community, time: 1_767_225_600_000,
        validators: [ValidatorEntry(name: "RC", subject: key(1).publicKey, nodeKey: key(11).publicKey)],
        registrars: [key(1).publicKey], subjects: [],
        parameters: GenesisParameters(responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 14_400)]))

    /// The ballot of docs/codec.md (vector `ballot-transaction`).
    static let ballot = UnsignedTransaction(
        community: community, signer: key(2).publicKey, nonce: 7, time: 1_767_225_660_000,
        payload: .ballot(Ballot(proposal: Hashing.sha256(Array("proposal".utf8)), choice: 1)))
        .signed(with: key(2))

    /// Block 1 of docs/codec.md (vector `block-header`): the registration and the ballot.
    static var block1Hash: Hash {
        let registration = UnsignedTransaction(
            community: community, signer: key(1).publicKey, nonce: 1, time: 1_767_225_600_000,
            payload: .registration(Registration(action: .register, subject: key(2).publicKey,
                                                displayName: "Wang", unit: "3-201", roles: RoleSet([.resident]))))
            .signed(with: key(1))
        return Block(community: community, height: 1, previous: Hashing.sha256(Array("genesis".utf8)),
                     time: 1_767_225_700_000, proposer: 0, transactions: [registration, ballot]).header.hash
    }

    static let proposal = BlockProposal(time: 1_767_225_700_000, proposer: 0, transactions: [ballot])
    static let emptyProposal = BlockProposal(time: 1_767_225_900_000, proposer: 0, transactions: [])
    static let position = ChainPosition.genesis(genesis)

    static var append: Message {
        var m = Message(type: .append, from: 1, to: 2, term: 2)
        m.logTerm = 1
        m.index = 1
        m.commit = 1
        m.entries = [
            Entry(term: 2, index: 2, payload: .noop),
            Entry(term: 2, index: 3, payload: .data(emptyProposal.encoded())),
            Entry(term: 2, index: 4, payload: .config(.addLearner(1_001))),
        ]
        return m
    }

    static var snapshotMessage: Message {
        var m = Message(type: .snapshot, from: 1, to: 1_001, term: 2)
        m.snapshot = Snapshot(index: 4, term: 2, configuration: Configuration(voters: [1, 2, 3], learners: [1_001]),
                              data: position.encoded())
        return m
    }

    static var heartbeat: Message {
        var m = Message(type: .heartbeat, from: 1, to: 2, term: 2)
        m.commit = 4
        return m
    }

    static var vote: VoteMessage {
        let hash = block1Hash
        return VoteMessage(height: 1, headerHash: hash, vote: BlockVote(index: 0, key: key(11), headerHash: hash))
    }

    static let offer = TransactionOffer(time: 120_000, transactions: [ballot])

    static func vectors() -> [(String, [UInt8])] {
        [
            ("block-proposal", proposal.encoded()),
            ("chain-position", position.encoded()),
            ("raft-append", append.encoded()),
            ("raft-snapshot", snapshotMessage.encoded()),
            ("consensus-raft", ConsensusMessage.raft(heartbeat).encoded()),
            ("consensus-vote", ConsensusMessage.vote(vote).encoded()),
            ("transaction-offer", offer.encoded()),
        ]
    }

    @Test func everyWireVectorMatchesThisBuild() throws {
        let expected = Self.vectors()
        if ProcessInfo.processInfo.environment["CIVITAS_PRINT_VECTORS"] != nil {
            for (name, bytes) in expected { print(SpecDocument.format(name, bytes)) }
        }
        let spec = try SpecDocument.hexBlocks("docs/codec.md")
        for (name, bytes) in expected {
            let documented = try #require(spec[name], "docs/codec.md has no ```hex \(name) block")
            #expect(Hex.encode(documented) == Hex.encode(bytes), "vector \(name) differs from docs/codec.md")
        }
    }

    @Test func wireVectorsDecodeToTheirValues() throws {
        let spec = try SpecDocument.hexBlocks("docs/codec.md")
        #expect(try BlockProposal(encoded: try #require(spec["block-proposal"])) == Self.proposal)
        #expect(try ChainPosition(encoded: try #require(spec["chain-position"])) == Self.position)
        let append = try Message(encoded: try #require(spec["raft-append"]))
        #expect(append == Self.append)
        // The data entry of a Civitas log is a BlockProposal, header bytes included.
        guard case let .data(bytes) = append.entries[1].payload else { Issue.record("entry 3 is not data"); return }
        #expect(try BlockProposal(encoded: bytes) == Self.emptyProposal)
        let snapshot = try Message(encoded: try #require(spec["raft-snapshot"]))
        #expect(snapshot == Self.snapshotMessage)
        #expect(try ChainPosition(encoded: try #require(snapshot.snapshot).data) == Self.position)
        #expect(try ConsensusMessage(encoded: try #require(spec["consensus-raft"])) == .raft(Self.heartbeat))
        let vote = try ConsensusMessage(encoded: try #require(spec["consensus-vote"]))
        #expect(vote == .vote(Self.vote))
        // The vote's signature is validator 0's in the `commit-certificate` vector.
        #expect(Self.genesis.validators[0].nodeKey.isValidSignature(Self.vote.vote.signature, for: Self.block1Hash.bytes, domain: .blockVote))
        #expect(try TransactionOffer(encoded: try #require(spec["transaction-offer"])) == Self.offer)
        // A proposal's transactions are fields-of-Transaction: the ballot vector without its two header bytes.
        let ballot = try #require(try SpecDocument.hexBlocks("docs/codec.md")["ballot-transaction"])
        #expect(Array(try #require(spec["block-proposal"]).suffix(ballot.count - 2)) == Array(ballot.dropFirst(2)))
    }

    /// docs/codec.md, section 2: `minSize(T)` of every list element type the
    /// table gives, as the decoder uses it in the list rule.
    @Test func minSizeTableMatchesTheDecoder() throws {
        let text = try SpecDocument.text("docs/codec.md")
        let table = SpecDocument.minSizes(text)
        let code: [(String, Int)] = [
            ("Hash", Hash.minEncodedSize),
            ("PublicKey", PublicKey.minEncodedSize),
            ("Endorsement", Endorsement.minEncodedSize),
            ("BlockVote", BlockVote.minEncodedSize),
            ("ValidatorEntry", ValidatorEntry.minEncodedSize),
            ("GenesisSubject", GenesisSubject.minEncodedSize),
            ("ResponseDeadline", ResponseDeadline.minEncodedSize),
            ("FederationMember", FederationMember.minEncodedSize),
            ("Transaction", Transaction.minEncodedSize),
            ("Entry", Entry.minEncodedSize),
            ("varint", UInt64.minEncodedSize),
        ]
        for (name, size) in code {
            #expect(table[name] == size, "minSize(\(name)): docs/codec.md says \(table[name].map(String.init) ?? "nothing"), the decoder uses \(size)")
        }
    }

    /// The list rule refuses a count whose elements, at `minSize(Transaction)`
    /// bytes each, would not fit the bytes left: the doc's 103 is what decides.
    @Test func aTransactionListIsBoundedByMinSize103() throws {
        // A count of 2 with 205 bytes after it: 2 × 103 > 205, refused before any transaction is read.
        var bytes: [UInt8] = [0x52, 0x01, 0x00, 0x00, 0x02]
        bytes += [UInt8](repeating: 0, count: 205)
        let error = try #require(decodeError { () throws(CodecError) in _ = try BlockProposal(encoded: bytes) })
        #expect(error.kind == .lengthAboveInput(length: 2, remaining: 205))
        // With 206 bytes the count passes and the first transaction is read (and fails on its own bytes).
        bytes.append(0)
        let later = try #require(decodeError { () throws(CodecError) in _ = try BlockProposal(encoded: bytes) })
        #expect(later.kind != .lengthAboveInput(length: 2, remaining: 206))
    }

    func decodeError(_ body: () throws(CodecError) -> Void) -> CodecError? {
        do throws(CodecError) { try body(); return nil } catch { return error }
    }
}

extension SpecDocument {
    /// The rows `| \`T\` | n |` of the table under "minSize" in section 2.
    static func minSizes(_ text: String) -> [String: Int] {
        var sizes: [String: Int] = [:]
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("| element type `T` |") { inTable = true; continue }
            guard inTable else { continue }
            guard line.hasPrefix("|") else { if !sizes.isEmpty { break } else { continue } }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let size = Int(cells[1]) else { continue }
            for name in cells[0].split(separator: ",") {
                let t = name.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                sizes[t] = size
            }
        }
        return sizes
    }
}
