import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The board's routes over a fixed chain: the page and its files, the read
/// routes with names, the proof bundles, and bad input on every one of them.
@Suite struct BoardAPITests {
    let chain = TestChain()

    // MARK: The page and its files

    @Test func thePageIsServedInChineseFirstWithAPolicyThatKeepsItOnThisOrigin() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let zh = try await client.execute(uri: "/", method: .get)
            #expect(zh.status == .ok)
            #expect(zh.headers[.contentType] == "text/html; charset=utf-8")
            #expect(zh.text.contains("<html lang=\"zh-CN\">") && zh.text.contains("社区公示板"))
            let policy = try #require(zh.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"))
            #expect(zh.headers[.xContentTypeOptions] == "nosniff")
            let en = try await client.execute(uri: "/?lang=en", method: .get)
            #expect(en.text.contains("<html lang=\"en\">") && en.text.contains("Community board"))
        }
    }

    @Test func boardFilesReferToNothingOutsideTheNode() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let page = try await client.execute(uri: "/", method: .get).text
            let files = ["app.js", "codec.js", "crypto.js", "verify.js", "i18n.js", "selftest.js", "board.css", "icon.svg"]
            for file in files {
                let r = try await client.execute(uri: "/board/\(file)", method: .get)
                #expect(r.status == .ok, "\(file)")
                #expect(r.headers[.contentSecurityPolicy] != nil)
                // No script, style, font or image from elsewhere (the SVG namespace is a name, not a fetch).
                let text = r.text.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
                #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"), "\(file) refers outside the node")
                if file.hasSuffix(".css") { #expect(!text.contains("@import") && !text.contains("url("), "\(file) loads something by URL") }
            }
            for tag in ["<script", "<link"] {
                for part in page.components(separatedBy: tag).dropFirst() {
                    let source = part.components(separatedBy: ">")[0]
                    #expect(source.contains("src=\"/board/") || source.contains("href=\"/board/"), "\(tag)\(source)")
                }
            }
        }
    }

    @Test func anUnchangedFileIsAnsweredWithNotModified() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let first = try await client.execute(uri: "/board/app.js", method: .get)
            let etag = try #require(first.headers[.eTag])
            let again = try await client.execute(uri: "/board/app.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let stale = try await client.execute(uri: "/board/app.js", method: .get, headers: [.ifNoneMatch: "\"0000\""])
            #expect(stale.status == .ok)
        }
    }

    // MARK: Read routes

    @Test func noticesCarryTheirIssuerByNameAndTheirCorrectionTrail() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/board/notices?category=finance", method: .get)
            #expect(r.status == .ok)
            let items = try r.decode(ListBody<BoardNotice>.self).items
            #expect(items.count == 1)
            #expect(items[0].issuer.name == "Owners' Committee" && items[0].issuer.unit == "Unit 1")
            #expect(items[0].notice.chain?.map(\.id) == [chain.notice.hex, chain.correction.hex])
            #expect(items[0].notice.issuer == items[0].issuer.id)
        }
    }

    @Test func proposalsShowTheLiveTallyWhileOpenAndTheRecordedOneOnceClosed() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let items = try await client.execute(uri: "/v1/board/proposals", method: .get).decode(ListBody<BoardProposal>.self).items
            #expect(items.map(\.proposal.id) == [chain.openProposal.hex, chain.closedProposal.hex])
            #expect(items[0].proposal.status == "open" && items[0].votes == [0, 0, 0] && items[0].proposer.name == "Residents' Committee")
            #expect(items[1].proposal.status == "closed" && items[1].votes == [2, 0] && items[1].proposal.tally?.outcome == "passed")
        }
    }

    @Test func serviceRequestsCarryTheirTimelineFromRequestToResolution() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let items = try await client.execute(uri: "/v1/board/service-requests", method: .get)
                .decode(ListBody<BoardServiceRequest>.self).items
            let r = try #require(items.first)
            #expect(r.requester.name == "Wang" && r.provider?.name == "Steady Lift Co.")
            #expect(r.timeline.map(\.kind) == ["request", "assignment", "response"])
            #expect(r.timeline[1].provider?.name == "Steady Lift Co." && r.timeline[1].actor.name == "Residents' Committee")
            #expect(r.timeline[2].status == "resolved(fixed)")
            let resolved = try await client.execute(uri: "/v1/board/service-requests?status=closed", method: .get)
            #expect(try resolved.decode(ListBody<BoardServiceRequest>.self).items.isEmpty)
        }
    }

    @Test func providersVolunteersBlocksAndSubjectsAreByName() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let providers = try await client.execute(uri: "/v1/board/providers", method: .get).decode(ListBody<BoardProvider>.self).items
            #expect(providers.map(\.provider.name) == ["Steady Lift Co."])
            let volunteers = try await client.execute(uri: "/v1/board/volunteers", method: .get).decode(ListBody<BoardVolunteer>.self).items
            #expect(volunteers.map(\.volunteer.name) == ["Zhao"] && volunteers[0].totals.points == 15)
            let blocks = try await client.execute(uri: "/v1/board/blocks?limit=2", method: .get).decode(ListBody<BoardBlock>.self).items
            #expect(blocks.map(\.height) == [3, 2])
            #expect(blocks[0].transactions.map(\.signer.name) == ["Steady Lift Co.", "Residents' Committee"])
            let older = try await client.execute(uri: "/v1/board/blocks?before=2", method: .get).decode(ListBody<BoardBlock>.self).items
            #expect(older.map(\.height) == [1])
            let lifts = try await client.execute(uri: "/v1/board/subjects?role=serviceProvider", method: .get)
                .decode(ListBody<BoardPerson>.self).items
            #expect(lifts.map(\.name) == ["Steady Lift Co."])
        }
    }

    @Test func aProofBundleVerifiesAgainstTheGenesisValidators() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let genesis = try await client.execute(uri: "/v1/board/genesis", method: .get).decode(BoardGenesis.self)
            let document = try GenesisDocument(encoded: try #require(Hex.decode(genesis.document)))
            #expect(document.hash.hex == genesis.hash && document == chain.genesis)
            let r = try await client.execute(uri: "/v1/board/transactions/\(chain.request.hex)", method: .get)
            #expect(r.status == .ok)
            let bundle = try r.decode(BoardVerification.self)
            let tx = try Transaction(encoded: try #require(Hex.decode(bundle.transaction)))
            #expect(tx.id == chain.request && tx.hasValidSignature())
            let h = bundle.header
            let header = BlockHeader(community: try #require(CommunityID(h.community)), height: h.height, previous: try #require(Hash(hex: h.previous)),
                                     time: h.time, proposer: h.proposer, transactionCount: h.transactionCount,
                                     transactionRoot: try #require(Hash(hex: h.transactionRoot)))
            let proof = InclusionProof(leafIndex: bundle.proof.leafIndex, treeSize: bundle.proof.treeSize,
                                       path: bundle.proof.path.compactMap { Hash(hex: $0) })
            #expect(proof.verify(leafHash: Merkle.leafHash(tx.encoded()), root: header.transactionRoot))
            let certificate = CommitCertificate(height: bundle.certificate.height, headerHash: header.hash, votes: bundle.certificate.votes.map {
                BlockVote(validator: $0.validator, signature: Signature(hex: $0.signature)!)
            })
            #expect(throws: Never.self) { try certificate.verify(validators: document.validatorKeys) }
        }
    }

    // MARK: Drafts, rewards and the points supply

    @Test func draftsListTheirEndorsementsAndAnOpenedOneIsAProposalWithItsEndorsers() async throws {
        let rich = TestChain(rewardsAndDrafts: true)
        let service = try FakeNodeService(chain: rich)
        try await withClientAPI(service) { client in
            let drafts = try await client.execute(uri: "/v1/board/drafts", method: .get).decode(ListBody<BoardDraft>.self).items
            #expect(drafts.map(\.id) == [rich.draft.hex])
            #expect(drafts[0].title == "Brighter lamps" && drafts[0].proposer.name == "Zhao" && drafts[0].endorsements.isEmpty && drafts[0].needed == 1)
            let proposals = try await client.execute(uri: "/v1/board/proposals", method: .get).decode(ListBody<BoardProposal>.self).items
            let opened = try #require(proposals.first { $0.proposal.id == rich.openedDraft.hex })
            #expect(opened.proposal.status == "open" && opened.proposal.height == 4 && opened.proposer.name == "Wang")
            #expect(opened.endorsers.map(\.name) == ["Li"] && opened.proposal.endorsements == 1)
            // The page verifies an opened draft's proposal by the draft transaction, which has its ID.
            let bundle = try await client.execute(uri: "/v1/board/transactions/\(rich.openedDraft.hex)", method: .get).decode(BoardVerification.self)
            #expect(try Transaction(encoded: try #require(Hex.decode(bundle.transaction))).kind == .proposalDraft)
        }
    }

    @Test func rewardsRedemptionsAndThePointsSupplyAddUp() async throws {
        let rich = TestChain(rewardsAndDrafts: true)
        let service = try FakeNodeService(chain: rich)
        let zhao = rich.subject("zhao").raw.hex
        try await withClientAPI(service) { client in
            let rewards = try await client.execute(uri: "/v1/board/rewards", method: .get).decode(ListBody<BoardReward>.self).items
            #expect(rewards.count == 1 && rewards[0].id == rich.reward.hex && rewards[0].publisher.name == "Silver Age Volunteers")
            #expect(rewards[0].price == 5 && rewards[0].remaining == 1 && rewards[0].redeemed == 1)
            let redemptions = try await client.execute(uri: "/v1/board/redemptions", method: .get).decode(ListBody<BoardRedemption>.self).items
            #expect(redemptions.map(\.id) == [rich.redemption.hex])
            #expect(redemptions[0].redeemer.name == "Zhao" && redemptions[0].publisher.name == "Silver Age Volunteers")
            #expect(redemptions[0].title == "Cinema ticket" && redemptions[0].points == 5)
            let points = try await client.execute(uri: "/v1/board/points?subject=\(zhao)", method: .get).decode(BoardPoints.self)
            #expect(points.issued == 15 && points.redeemed == 5 && points.outstanding == 10 && points.balances == 10 && points.addsUp)
            #expect(points.holders == 1)
            #expect(points.subject?.subject.name == "Zhao" && points.subject?.earned == 15 && points.subject?.spent == 5
                && points.subject?.balance == 10)
            let volunteers = try await client.execute(uri: "/v1/board/volunteers", method: .get).decode(ListBody<BoardVolunteer>.self).items
            #expect(volunteers.map(\.volunteer.name) == ["Zhao"] && volunteers[0].spent == 5 && volunteers[0].balance == 10)
        }
    }

    // MARK: Bad input: a 4xx with a reason, nothing stored

    @Test(arguments: [
        ("/?lang=fr", 400, "lang 'fr' is not one of zh, en"),
        ("/?lang=", 400, "lang '' is not one of zh, en"),
        ("/?theme=dark", 400, "unknown query parameter 'theme' (allowed: lang)"),
        ("/board/evil.js", 404, "no board file 'evil.js'"),
        ("/board/app.js?v=2", 400, "unknown query parameter 'v' (allowed: none)"),
        ("/board/..%2Fnode.toml", 404, "no board file '..%2Fnode.toml'"),
        ("/v1/board/notices?category=gossip", 400, "category 'gossip' is not one of"),
        ("/v1/board/notices?limit=0", 400, "limit '0' is not a number from 1 to 200"),
        ("/v1/board/notices?limit=99999999999999999999999", 400, "limit '99999999999999999999999' is not a number"),
        ("/v1/board/proposals?status=open", 400, "unknown query parameter 'status' (allowed: limit)"),
        ("/v1/board/service-requests?status=sleeping", 400, "status 'sleeping' is not one of"),
        ("/v1/board/volunteers?limit=-3", 400, "limit '-3' is not a number from 1 to 500"),
        ("/v1/board/blocks?before=0", 400, "before '0' is not a block height above 0"),
        ("/v1/board/blocks?before=x1", 400, "before 'x1' is not a block height above 0"),
        ("/v1/board/blocks?limit=101", 400, "limit '101' is not a number from 1 to 100"),
        ("/v1/board/subjects?role=mayor", 400, "role 'mayor' is not one of"),
        ("/v1/board/genesis?format=binary", 400, "unknown query parameter 'format' (allowed: none)"),
        ("/v1/board/transactions/xyz", 400, "id 'xyz' is not a hash (64 hex digits)"),
        ("/v1/board/transactions/0000000000000000000000000000000000000000000000000000000000000000", 404,
         "transaction 0000000000000000000000000000000000000000000000000000000000000000 is not in a block applied here"),
        ("/v1/board/events?since=3", 400, "unknown query parameter 'since' (allowed: none)"),
        ("/v1/board/nothing", 404, "no such endpoint: GET /v1/board/nothing"),
        ("/v1/board/points?subject=zz", 400, "subject 'zz' is neither a subject ID"),
        ("/v1/board/points?holder=1", 400, "unknown query parameter 'holder' (allowed: subject)"),
        ("/v1/board/points?subject=", 400, "subject '' is neither a subject ID"),
        ("/v1/board/points?subject=00000000000000000000000000000000", 404, "subject 00000000000000000000000000000000 is not registered"),
        ("/v1/board/drafts?limit=0", 400, "limit '0' is not a number from 1 to 200"),
        ("/v1/board/drafts?limit=201", 400, "limit '201' is not a number from 1 to 200"),
        ("/v1/board/drafts?limit=%20", 400, "limit ' ' is not a number from 1 to 200"),
        ("/v1/board/rewards?sort=price", 400, "unknown query parameter 'sort' (allowed: limit)"),
        ("/v1/board/rewards?limit=1.5", 400, "limit '1.5' is not a number from 1 to 200"),
        ("/v1/board/redemptions?limit=abc", 400, "limit 'abc' is not a number from 1 to 200"),
        ("/v1/board/redemptions?limit=-1", 400, "limit '-1' is not a number from 1 to 200"),
    ])
    func badInputIsRefusedWithAReason(path: String, status: Int, reason: String) async throws {
        try await Self.expectRefusal(GET: path, status: status, reason: reason, chain: chain)
    }

    /// `GET path` on the test chain answers `status` with an error containing `reason`, and nothing is submitted.
    static func expectRefusal(GET path: String, status: Int, reason: String, chain: TestChain) async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: path, method: .get)
            #expect(r.status.code == status, "\(path): \(r.status) \(r.text)")
            #expect(r.reason.contains(reason), "\(path): \(r.reason)")
        }
        #expect(service.submissions.isEmpty)
    }

    /// Every route the board and Open311 added (as docs/openapi.yaml names it), a path that reaches it, and the
    /// query parameters it takes.
    static func newRoutes(_ chain: TestChain) -> [(template: String, path: String, parameters: [String])] {
        [("/", "/", ["lang"]),
         ("/board/{file}", "/board/app.js", []),
         ("/v1/board/genesis", "/v1/board/genesis", []),
         ("/v1/board/subjects", "/v1/board/subjects", ["role", "limit"]),
         ("/v1/board/notices", "/v1/board/notices", ["category", "limit"]),
         ("/v1/board/proposals", "/v1/board/proposals", ["limit"]),
         ("/v1/board/service-requests", "/v1/board/service-requests", ["status", "limit"]),
         ("/v1/board/providers", "/v1/board/providers", []),
         ("/v1/board/volunteers", "/v1/board/volunteers", ["limit"]),
         ("/v1/board/drafts", "/v1/board/drafts", ["limit"]),
         ("/v1/board/rewards", "/v1/board/rewards", ["limit"]),
         ("/v1/board/redemptions", "/v1/board/redemptions", ["limit"]),
         ("/v1/board/points", "/v1/board/points", ["subject"]),
         ("/v1/board/blocks", "/v1/board/blocks", ["limit", "before"]),
         ("/v1/board/transactions/{id}", "/v1/board/transactions/\(chain.request.hex)", []),
         ("/v1/board/events", "/v1/board/events", []),
         ("/open311/v2/services.json", "/open311/v2/services.json", ["jurisdiction_id"]),
         ("/open311/v2/requests.json", "/open311/v2/requests.json",
          ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"]),
         ("/open311/v2/requests/{file}", "/open311/v2/requests/\(chain.request.hex).json", ["jurisdiction_id"])]
    }

    @Test func theBadInputTablesCoverEveryRouteTheBoardAndOpen311Added() {
        let added = OpenAPIDocumentTests.served.filter {
            $0 == "/" || $0.hasPrefix("/board/") || $0.hasPrefix("/v1/board/") || $0.hasPrefix("/open311/")
        }
        #expect(Set(Self.newRoutes(chain).map(\.template)) == added)
    }

    @Test func everyNewRouteRefusesAnUnknownLanguageWithAReason() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            for route in Self.newRoutes(chain) {
                let r = try await client.execute(uri: route.path + "?lang=fr", method: .get)
                #expect(r.status == .badRequest, "\(route.path): \(r.status)")
                // The page takes a language; the JSON routes are the same in every language and take none.
                let reason = route.parameters.contains("lang") ? "lang 'fr' is not one of zh, en" : "unknown query parameter 'lang'"
                #expect(r.reason.hasPrefix(reason), "\(route.path): \(r.reason)")
            }
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func everyNewRouteRefusesAnOversizedParameterWithoutEchoingIt() async throws {
        let service = try FakeNodeService(chain: chain)
        let huge = String(repeating: "9", count: 20_000)
        try await withClientAPI(service) { client in
            for route in Self.newRoutes(chain) {
                // Each parameter it takes, too long to be right, and a parameter name as long.
                for query in route.parameters.map({ "\($0)=\(huge)" }) + ["\(huge)=1"] {
                    let r = try await client.execute(uri: route.path + "?" + query, method: .get)
                    #expect(r.status == .badRequest, "\(route.path)?\(query.prefix(20))…: \(r.status)")
                    #expect(!r.reason.isEmpty && r.reason.utf8.count < 300, "\(route.path)?\(query.prefix(20))…: \(r.reason.prefix(300))")
                }
            }
            // Path parameters as long.
            for path in ["/board/\(huge)", "/v1/board/transactions/\(huge)", "/open311/v2/requests/\(huge).json"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .badRequest || r.status == .notFound, "\(path.prefix(30))…: \(r.status)")
                #expect(!r.reason.isEmpty && r.reason.utf8.count < 300, "\(path.prefix(30))…: \(r.reason.prefix(300))")
            }
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func noBoardRouteTakesABodyOrAPrivateKey() async throws {
        let service = try FakeNodeService(chain: chain)
        let pem = TestChain.key(2).pemRepresentation
        try await withClientAPI(service) { client in
            for path in ["/", "/board/app.js", "/v1/board/genesis", "/v1/board/notices", "/v1/board/transactions/\(chain.notice.hex)",
                         "/open311/v2/requests.json"] {
                let r = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-pem-file"],
                                                 body: ByteBuffer(string: pem))
                #expect(r.status == .methodNotAllowed || r.status == .notFound, "\(path): \(r.status)")
                #expect(!r.reason.isEmpty)
            }
            // The one route that takes a body takes transactions only.
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(string: pem))
            #expect(r.status == .badRequest && r.reason.hasPrefix("not a transaction"))
        }
        #expect(service.submissions.isEmpty)
    }
}
