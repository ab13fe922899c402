import CivitasCodec
import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The CLI's HTTP client (`civitas tx`, `query`) against a live client API.
@Suite struct NodeHTTPClientTests {
    let chain = TestChain()

    @Test func fetchesTheNextNonceAndSubmits() async throws {
        let service = try FakeNodeService(chain: chain)
        let tx = chain.freshTransaction("owners", nonce: 3)
        let app = Application(router: ClientAPI.router(service: service),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { live in
            let client = try #require(NodeHTTPClient(base: "http://127.0.0.1:\(live.port!)/"))
            let subject = try await client.get("/v1/subjects/\(chain.key("owners").publicKey.raw.hex)")
            #expect(subject.status == 200)
            #expect(try JSONDecoder().decode(SubjectBody.self, from: subject.body).nextNonce == 3)

            let answer = try await client.post("/v1/transactions", body: Data(tx.encoded()), contentType: "application/octet-stream")
            #expect(answer.status == 202)
            #expect(try JSONDecoder().decode(SubmitBody.self, from: answer.body).id == tx.id.hex)

            let refused = try await client.post("/v1/transactions", body: Data([1, 2, 3]), contentType: "application/octet-stream")
            #expect(refused.status == 400)
            #expect(refused.reason.hasPrefix("not a transaction"))
        }
        #expect(service.submissions == [tx])
        #expect(NodeHTTPClient(base: "ftp://x") == nil && NodeHTTPClient(base: "nonsense") == nil)
    }
}
