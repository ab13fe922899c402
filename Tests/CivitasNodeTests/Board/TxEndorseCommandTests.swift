import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Testing

/// `civitas tx draft|endorse|reward|redeem` sign the new kinds from the command
/// line with a key file and submit them, as the board does in the page.
@Suite(.serialized) struct TxEndorseCommandTests {
    let chain = TestChain()

    @Test func theNewKindsAreSignedAndSubmittedFromTheCommandLine() async throws {
        let service = try FakeNodeService(chain: chain)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-tx-kinds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for who in ["li", "elders"] {
            try Data(chain.key(who).pemRepresentation.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(who).key"))
        }
        let draft = Hashing.sha256(Array("draft".utf8)), offer = Hashing.sha256(Array("offer".utf8))
        try await HostileHTTPClientTests.withServer(service, limits: HTTPServerLimits()) { port in
            // A pending directory each: an accepted transaction stays pending (nothing says it committed),
            // and `civitas tx` sends a signer's pending one again before a new one.
            func tx(_ who: String, _ arguments: [String]) async throws -> String {
                let (status, output) = try await runProgram(try CivitasBinary.locate(), ["tx"] + arguments + [
                    "--key", "\(dir)/\(who).key", "--node", "http://127.0.0.1:\(port)", "--community", TestChain.community.name,
                    "--pending-dir", "\(dir)/pending-\(arguments[0])"])
                #expect(status == 0, "\(arguments): \(output)")
                return output
            }
            #expect(try await tx("li", ["endorse", "--draft", draft.hex]).contains("accepted"))
            _ = try await tx("li", ["draft", "--title", "Brighter lamps", "--description", "", "--option", "yes", "--option", "no",
                                    "--closes-at-height", "100"])
            _ = try await tx("elders", ["reward", "--title", "Cinema ticket", "--price", "30", "--quantity", "2"])
            _ = try await tx("li", ["redeem", "--offer", offer.hex])
        }
        let sent = service.submissions
        #expect(sent.allSatisfy { $0.hasValidSignature() })
        #expect(sent.map(\.payload) == [
            .endorsement(DraftEndorsement(draft: draft)),
            .proposalDraft(ProposalDraft(terms: ProposalTerms(title: "Brighter lamps", description: "", options: ["yes", "no"],
                                                              eligibleRoles: RoleSet([.resident]), closing: .height(100),
                                                              quorumBasisPoints: 5_000, passBasisPoints: 5_001))),
            .rewardOffer(RewardOffer(title: "Cinema ticket", description: "", price: 30, quantity: 2)),
            .redemption(Redemption(offer: offer)),
        ])
        #expect(sent.map(\.signer) == [chain.key("li"), chain.key("li"), chain.key("elders"), chain.key("li")].map(\.publicKey))
    }

    @Test func aBadDraftIDOrPriceIsRefusedBeforeAnythingIsSent() async throws {
        let service = try FakeNodeService(chain: chain)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-tx-kinds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(chain.key("li").pemRepresentation.utf8).write(to: URL(fileURLWithPath: "\(dir)/li.key"))
        try await HostileHTTPClientTests.withServer(service, limits: HTTPServerLimits()) { port in
            for (arguments, reason) in [(["endorse", "--draft", "xyz"], "--draft 'xyz' is not a hash"),
                                        (["reward", "--title", "t", "--price", "0", "--quantity", "1"], "--price must be 1 to 1000000")] {
                let (status, output) = try await runProgram(try CivitasBinary.locate(), ["tx"] + arguments + [
                    "--key", "\(dir)/li.key", "--node", "http://127.0.0.1:\(port)", "--community", TestChain.community.name,
                    "--pending-dir", "\(dir)/pending"])
                #expect(status != 0 && output.contains(reason), "\(arguments): \(output)")
            }
        }
        #expect(service.submissions.isEmpty)
    }
}
