import ArgumentParser
import CivitasCodec
import CivitasGovernance
import CivitasLedger

/// `civitas demo`: a city of three pilot communities (`demo city`, the
/// default; what `make demo` runs), one pilot community (`demo pilot`) or,
/// without any node, one block built and checked in memory (`demo offline`).
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Demonstrations: a federation of 3 communities of real nodes (default), one pilot community, or one block built offline.",
        subcommands: [CityDemo.self, PilotDemo.self, OfflineDemo.self], defaultSubcommand: CityDemo.self)
}

/// `civitas demo offline`: encode, sign, seal and verify a block of governance
/// records. Every step is real: real Ed25519 signatures, a real majority
/// certificate, a real zstd frame.
struct OfflineDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offline",
        abstract: "Build, sign, seal and verify a sample block of governance records, printing each step.")

    @Option(help: "Seed for the sample community's keys (the same seed gives the same output).")
    var seed: UInt64 = 1

    func run() throws {
        let c = OfflineCommunity(seed: seed)
        let genesis = c.genesis
        let genesisBytes = genesis.encoded()
        step("1. Genesis of community '\(c.community)'")
        print("   \(genesis.validators.count) validators: \(genesis.validators.map(\.name).joined(separator: ", "))")
        print("   \(genesis.subjects.count) subjects, \(genesis.registrars.count) registrar; genesis hash \(short(genesis.hash)), \(genesisBytes.count) bytes")

        // A neighbour's checkpoint, certified by its own three validators.
        let neighbour = OfflineCommunity(seed: seed &+ 1_000)
        let neighbourHeader = BlockHeader(
            community: CommunityID("hehua-north")!, height: 40, previous: Hashing.sha256([1]), time: c.startTime,
            proposer: 0, transactionCount: 0, transactionRoot: Merkle.emptyRoot)
        let neighbourCheckpoint = Checkpoint(
            community: neighbourHeader.community, genesisHash: neighbour.genesis.hash,
            certificate: certify(neighbourHeader, by: neighbour.validatorNodes))

        // The city's federation document: both communities' chains and validators. (The CA
        // certificates are stand-ins: the rules never read them; a real document carries each ca.pem.)
        let federation = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: genesis, caCertificate: Array("CA of \(c.community)".utf8)),
            FederationMember(community: neighbourHeader.community, genesisHash: neighbour.genesis.hash,
                             validators: neighbour.validatorNodes.map(\.publicKey), caCertificate: Array("CA of hehua-north".utf8)),
        ])

        let txs = c.sampleTransactions(federation: federation, neighbourCheckpoint: neighbourCheckpoint)
        step("2. Signed \(txs.count) governance records (Ed25519, domain-separated)")
        for tx in txs {
            let who = c.displayName(of: tx.signer) ?? tx.signer.description
            print("   \(pad(tx.kind.description, 18)) nonce \(tx.nonce)  \(pad(who, 30)) id \(short(tx.id))  \(tx.encoded().count) B")
        }

        let block = Block(community: c.community, height: 1, previous: genesis.hash,
                          time: c.startTime + 4 * 3_600_000, proposer: 0, transactions: txs)
        let headerHash = block.header.hash
        step("3. Block 1: \(txs.count) transactions, Merkle root \(short(block.header.transactionRoot)), header hash \(short(headerHash))")

        let certificate = certify(block.header, by: c.validatorNodes)
        let sealed = SealedBlock(block: block, certificate: certificate)
        let raw = block.encoded()
        let wire = sealed.encoded()
        step("4. Sealed with \(certificate.votes.count) of \(genesis.validators.count) validator votes")
        print("   canonical block \(raw.count) B; sealed block with zstd body \(wire.count) B (threshold \(SealedBlock.compressionThreshold) B)")

        let decoded = try SealedBlock(encoded: wire)
        try decoded.verify(validators: genesis.validatorKeys)
        guard decoded == sealed else { throw ToolError("decoded block differs from the original") }
        step("5. Decoded the wire bytes and verified: certificate, Merkle root, \(decoded.block.transactions.count) signatures - OK")

        // The governance rules (docs/governance.md): every sample record is signed
        // by a subject entitled to it, so the state machine applies them all.
        var state = GovernanceState(genesis: genesis)
        guard let applied = state.apply(decoded.block) else { throw ToolError("block 1 does not follow genesis") }
        let refused = applied.outcomes.enumerated().compactMap { i, o in o.rejectionReason.map { "#\(i): \($0)" } }
        guard refused.isEmpty else { throw ToolError("the governance rules refused sample records: " + refused.joined(separator: "; ")) }
        let wang = c.key("wang")
        let intruder = UnsignedTransaction(
            community: c.community, signer: wang.publicKey, nonce: state.latestNonce(of: wang.publicKey) + 1, time: block.header.time,
            payload: .notice(Notice(category: .partyAffairs, title: "Branch meeting", body: "Thursday 7pm."))).signed(with: wang)
        step("5b. Governance rules: \(applied.outcomes.count) of \(applied.outcomes.count) records applied; state digest \(short(state.digest))")
        print("   a resident's party-affairs notice -> refused: \(state.check(intruder) ?? "ALLOWED")")

        let index = txs.firstIndex { $0.kind == .closure }!
        let proof = decoded.block.inclusionProof(index: index)
        let leaf = Merkle.leafHash(txs[index].encoded())
        let proofOK = proof.verify(leafHash: leaf, root: decoded.header.transactionRoot)
        step("6. Inclusion proof for the closure record: \(proof.path.count) hashes, \(proof.encoded().count) B - \(proofOK ? "verifies" : "FAILS")")
        guard proofOK else { throw ToolError("inclusion proof failed") }

        let checkpoint = Checkpoint(community: c.community, genesisHash: genesis.hash, certificate: certificate)
        try checkpoint.certificate.verify(validators: genesis.validatorKeys)
        step("7. Checkpoint for the city federation: height \(checkpoint.height), \(checkpoint.encoded().count) B, verifies against genesis")

        step("8. Tampering is caught")
        var tampered = sealed
        if case var .notice(n) = tampered.block.transactions[1].payload {
            n.body = n.body.replacingOccurrences(of: "61,200", with: "16,200")
            tampered.block.transactions[1].body.payload = .notice(n)
        }
        report("edited notice body", { try tampered.verify(validators: genesis.validatorKeys) })
        var forged = sealed
        forged.certificate.votes.removeLast(2)
        report("certificate with 1 of 3 votes", { try forged.verify(validators: genesis.validatorKeys) })
        var flipped = wire
        flipped[flipped.count / 2] ^= 0x01
        report("one flipped bit in the wire bytes", {
            try SealedBlock(encoded: flipped).verify(validators: genesis.validatorKeys)
        })
        var trailing = wire
        trailing.append(0)
        report("a trailing byte", { _ = try SealedBlock(encoded: trailing) })
        print("\nDone. `civitas demo` runs the same community as real nodes on this machine; docs/architecture.md says where each part lives.")
    }

    func certify(_ header: BlockHeader, by nodes: [SigningKey]) -> CommitCertificate {
        let hash = header.hash
        return CommitCertificate(height: header.height, headerHash: hash,
                                 votes: nodes.enumerated().map { BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash) })
    }

    func report(_ what: String, _ body: () throws -> Void) {
        do {
            try body()
            print("   \(pad(what, 36)) -> NOT DETECTED")
        } catch {
            print("   \(pad(what, 36)) -> refused: \(error)")
        }
    }

    func step(_ s: String) { print("\n" + s) }
    func short(_ h: Hash) -> String { String(h.hex.prefix(16)) }
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
