import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore
import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ClientAPITests {
    let chain = TestChain()

    // MARK: Submission

    @Test func submitCanonicalBytesIsAccepted() async throws {
        let service = try FakeNodeService(chain: chain)
        let tx = chain.freshTransaction()
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(bytes: tx.encoded()))
            #expect(r.status == .accepted)
            let body = try r.decode(SubmitBody.self)
            #expect(body.status == "accepted" && body.id == tx.id.hex)
        }
        #expect(service.submissions == [tx])
    }

    @Test func submitJSONHexIsAccepted() async throws {
        let service = try FakeNodeService(chain: chain)
        let tx = chain.freshTransaction()
        let json = "{\"transaction\":\"\(Hex.encode(tx.encoded()))\"}"
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: json))
            #expect(r.status == .accepted)
        }
        #expect(service.submissions == [tx])
    }

    @Test(arguments: [
        (SubmitOutcome.alreadyKnown(id: Hash()), 202, "alreadyKnown"),
        (SubmitOutcome.pending(id: Hash()), 202, "pending"),
        (SubmitOutcome.committed(id: Hash(), height: 4, index: 2, applied: true, reason: nil), 200, "committed"),
        (SubmitOutcome.rejected(id: Hash(), reason: "nonce 3 is below the next nonce 5", replay: false), 422, "rejected"),
        (SubmitOutcome.rejected(id: Hash(), reason: "already committed in block 2", replay: true), 409, "rejected"),
        (SubmitOutcome.unavailable(reason: "mempool full"), 503, "unavailable"),
    ])
    func submitOutcomesMapToStatusCodes(outcome: SubmitOutcome, code: Int, status: String) async throws {
        let service = try FakeNodeService(chain: chain)
        service.answer { _ in outcome }
        let metrics = NodeMetrics()
        try await withClientAPI(service, metrics: metrics) { client in
            let r = try await client.execute(uri: "/v1/transactions?wait=committed&timeout_ms=500", method: .post,
                                             headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(bytes: chain.freshTransaction().encoded()))
            #expect(r.status.code == code)
            let body = try r.decode(SubmitBody.self)
            #expect(body.status == status)
            if case let .rejected(_, reason, _) = outcome { #expect(body.reason == reason) }
        }
        #expect(metrics.render().contains("civitas_transactions_submitted_total"))
    }

    @Test(arguments: [
        ("application/octet-stream", [UInt8](), "the body is empty"),
        ("application/octet-stream", [0x10, 0x01, 0x02], "not a transaction"),
        ("application/octet-stream", [0x99, 0x01], "not a transaction"),
        ("application/json", Array("{\"tx\":\"00\"}".utf8), "the JSON body is not"),
        ("application/json", Array("{\"transaction\":\"zz\"}".utf8), "transaction is not hex"),
        ("application/json", Array("{\"transaction\":\"1001\"}".utf8), "not a transaction"),
        ("application/json", Array("not json".utf8), "the JSON body is not"),
    ])
    func malformedBodiesAreRefused(type: String, bytes: [UInt8], reason: String) async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: type],
                                             body: ByteBuffer(bytes: bytes))
            #expect(r.status == .badRequest)
            #expect(r.reason.hasPrefix(reason), "\(r.reason)")
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func trailingBytesAreRefused() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(bytes: chain.freshTransaction().encoded() + [0]))
            #expect(r.status == .badRequest)
            #expect(r.reason.hasPrefix("not a transaction"))
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func oversizedBodyIsRefused() async throws {
        let service = try FakeNodeService(chain: chain)
        var settings = ClientAPI.Settings()
        settings.maxBodyBytes = 1_024
        try await withClientAPI(service, settings: settings) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(bytes: [UInt8](repeating: 0x10, count: 4_096)))
            #expect(r.status == .contentTooLarge)
            #expect(r.reason == "the body is 4096 bytes, larger than 1024")
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func wrongContentTypeAndBadWaitAreRefused() async throws {
        let service = try FakeNodeService(chain: chain)
        let bytes = chain.freshTransaction().encoded()
        try await withClientAPI(service) { client in
            let plain = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "text/plain"],
                                                 body: ByteBuffer(bytes: bytes))
            #expect(plain.status == .unsupportedMediaType)
            #expect(plain.reason.contains("text/plain"))
            for (query, reason) in [("wait=soon", "wait 'soon' is not 'committed'"),
                                    ("wait=committed&timeout_ms=40000", "timeout_ms '40000' is not a number from 1 to 30000"),
                                    ("wait=committed&timeout_ms=abc", "timeout_ms 'abc' is not a number from 1 to 30000"),
                                    ("timeout_ms=10", "timeout_ms needs wait=committed"),
                                    ("force=1", "unknown query parameter 'force' (allowed: timeout_ms, wait)")] {
                let r = try await client.execute(uri: "/v1/transactions?\(query)", method: .post,
                                                 headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes))
                #expect(r.status == .badRequest)
                #expect(r.reason == reason)
            }
        }
        #expect(service.submissions.isEmpty)
    }

    // MARK: Transaction status

    @Test func committedTransactionHasAVerifiableProof() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/transactions/\(chain.notice.hex)", method: .get)
            #expect(r.status == .ok)
            let body = try r.decode(TransactionStatusBody.self)
            #expect(body.status == "committed" && body.height == 1 && body.index == 0 && body.applied == true)
            #expect(body.kind == "notice" && body.nonce == 1)
            let proof = try #require(body.proof)
            let block = chain.blocks[0]
            #expect(proof.root == block.header.transactionRoot.hex)
            let inclusion = InclusionProof(leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path.compactMap { Hash(hex: $0) })
            #expect(inclusion.verify(leafHash: Block.leafHashes(block.block.transactions)[0], root: block.header.transactionRoot))
        }
    }

    @Test func pendingUnknownAndBadTransactionIDs() async throws {
        let fresh = chain.freshTransaction()
        let service = try FakeNodeService(chain: chain, pending: [fresh.id])
        try await withClientAPI(service) { client in
            let pending = try await client.execute(uri: "/v1/transactions/\(fresh.id.hex)", method: .get)
            #expect(pending.status == .ok)
            #expect(try pending.decode(TransactionStatusBody.self).status == "pending")
            let unknown = try await client.execute(uri: "/v1/transactions/\(String(repeating: "0", count: 64))", method: .get)
            #expect(unknown.status == .notFound)
            for bad in ["xyz", String(repeating: "a", count: 63), String(repeating: "g", count: 64)] {
                let r = try await client.execute(uri: "/v1/transactions/\(bad)", method: .get)
                #expect(r.status == .badRequest)
                #expect(r.reason == "id '\(bad)' is not a hash (64 hex digits)")
            }
        }
    }

    // MARK: Subjects

    @Test func subjectByIDAndByKeyWithNextNonce() async throws {
        let service = try FakeNodeService(chain: chain)
        let owners = chain.key("owners").publicKey
        try await withClientAPI(service) { client in
            for path in [owners.subjectID.raw.hex, "sub_" + owners.subjectID.raw.hex, owners.raw.hex] {
                let r = try await client.execute(uri: "/v1/subjects/\(path)", method: .get)
                #expect(r.status == .ok)
                let body = try r.decode(SubjectBody.self)
                #expect(body.publicKey == owners.raw.hex && body.roles == ["ownersCommittee"])
                #expect(body.nonce == 2 && body.nextNonce == 3)
            }
            let outsider = try await client.execute(uri: "/v1/subjects/\(chain.key("outsider").publicKey.raw.hex)", method: .get)
            #expect(outsider.status == .notFound)
            let bad = try await client.execute(uri: "/v1/subjects/1234", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.reason.contains("is neither a subject ID"))
        }
    }

    // MARK: Notices

    @Test func noticesListAndSupersedeChain() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let list = try await client.execute(uri: "/v1/notices?category=finance&limit=10", method: .get)
            #expect(list.status == .ok)
            let items = try list.decode(ListBody<NoticeBody>.self).items
            #expect(items.map(\.id) == [chain.correction.hex])
            let one = try await client.execute(uri: "/v1/notices/\(chain.notice.hex)", method: .get)
            let notice = try one.decode(NoticeBody.self)
            #expect(notice.supersededBy == chain.correction.hex && !notice.current)
            #expect(notice.chain?.map(\.id) == [chain.notice.hex, chain.correction.hex])
            let general = try await client.execute(uri: "/v1/notices?category=general", method: .get)
            #expect(try general.decode(ListBody<NoticeBody>.self).items.isEmpty)

            for (query, reason) in [("category=gossip", "category 'gossip' is not one of"), ("limit=0", "limit '0' is not a number from 1 to 500"),
                                    ("limit=501", "limit '501'"), ("limit=ten", "limit 'ten'"), ("sort=asc", "unknown query parameter 'sort'")] {
                let r = try await client.execute(uri: "/v1/notices?\(query)", method: .get)
                #expect(r.status == .badRequest)
                #expect(r.reason.hasPrefix(reason), "\(r.reason)")
            }
            #expect(try await client.execute(uri: "/v1/notices/\(String(repeating: "1", count: 64))", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/notices/nothex", method: .get).status == .badRequest)
        }
    }

    // MARK: Proposals

    @Test func proposalsOpenAndClosedWithTally() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let list = try await client.execute(uri: "/v1/proposals?status=open", method: .get)
            #expect(try list.decode(ListBody<ProposalBody>.self).items.map(\.id) == [chain.openProposal.hex])
            let closed = try await client.execute(uri: "/v1/proposals/\(chain.closedProposal.hex)", method: .get)
            let body = try closed.decode(ProposalBody.self)
            #expect(body.status == "closed" && body.options == ["yes", "no"])
            #expect(body.electorateSize == 3)
            #expect(body.tally?.votes == [2, 0] && body.tally?.outcome == "passed")
            let open = try await client.execute(uri: "/v1/proposals/\(chain.openProposal.hex)", method: .get)
            #expect(try open.decode(ProposalBody.self).tally == nil)

            let bad = try await client.execute(uri: "/v1/proposals?status=closed", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.reason == "status 'closed' is not one of open")
            #expect(try await client.execute(uri: "/v1/proposals/\(String(repeating: "2", count: 64))", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/proposals/12", method: .get).status == .badRequest)
        }
    }

    // MARK: Service requests, providers, volunteers

    @Test func serviceRequestsProvidersAndVolunteers() async throws {
        let service = try FakeNodeService(chain: chain)
        let lifts = chain.subject("lifts").raw.hex
        let zhao = chain.subject("zhao").raw.hex
        try await withClientAPI(service) { client in
            let list = try await client.execute(uri: "/v1/service-requests?status=resolved&limit=5", method: .get)
            #expect(try list.decode(ListBody<ServiceRequestBody>.self).items.map(\.id) == [chain.request.hex])
            let open = try await client.execute(uri: "/v1/service-requests?status=open", method: .get)
            #expect(try open.decode(ListBody<ServiceRequestBody>.self).items.isEmpty)
            let one = try await client.execute(uri: "/v1/service-requests/\(chain.request.hex)", method: .get)
            let request = try one.decode(ServiceRequestBody.self)
            #expect(request.provider == lifts && request.resolution == "fixed")

            let providers = try await client.execute(uri: "/v1/providers", method: .get)
            #expect(try providers.decode(ListBody<ProviderBody>.self).items.map(\.provider) == [lifts])
            let provider = try await client.execute(uri: "/v1/providers/\(lifts)", method: .get)
            let figures = try provider.decode(ProviderBody.self)
            #expect(figures.assignments == 1 && figures.resolved == 1 && figures.fixed == 1)
            #expect(try await client.execute(uri: "/v1/providers/\(zhao)", method: .get).status == .notFound)

            let ranking = try await client.execute(uri: "/v1/volunteers?limit=3", method: .get)
            let items = try ranking.decode(ListBody<VolunteerBody>.self).items
            #expect(items.map(\.volunteer) == [zhao] && items[0].minutes == 90 && items[0].points == 15)
            let volunteer = try await client.execute(uri: "/v1/volunteers/\(zhao)", method: .get)
            #expect(try volunteer.decode(VolunteerBody.self).points == 15)
            let unregistered = chain.key("outsider").publicKey.subjectID.raw.hex
            #expect(try await client.execute(uri: "/v1/volunteers/\(unregistered)", method: .get).status == .notFound)

            for uri in ["/v1/service-requests?status=lost", "/v1/service-requests?limit=-1", "/v1/service-requests/xyz",
                        "/v1/providers/xyz", "/v1/providers?limit=5", "/v1/volunteers?limit=1000", "/v1/volunteers/zz"] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .badRequest, "\(uri)")
                #expect(!r.reason.isEmpty)
            }
            #expect(try await client.execute(uri: "/v1/service-requests/\(String(repeating: "3", count: 64))", method: .get).status == .notFound)
        }
    }

    // MARK: Blocks and checkpoints

    @Test func blocksAsJSONAndBinary() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let head = try await client.execute(uri: "/v1/blocks/head", method: .get)
            let body = try head.decode(BlockBody.self)
            #expect(body.height == 3 && body.hash == chain.blocks[2].header.hash.hex && body.votes.count == 3)
            let second = try await client.execute(uri: "/v1/blocks/2", method: .get)
            #expect(try second.decode(BlockBody.self).transactions.map(\.kind) == ["notice", "ballot", "ballot", "assignment", "volunteerRecord"])
            let binary = try await client.execute(uri: "/v1/blocks/2?format=binary", method: .get)
            #expect(binary.headers[.contentType] == "application/octet-stream")
            #expect(try SealedBlock(encoded: Array(binary.body.readableBytesView)) == chain.blocks[1])

            #expect(try await client.execute(uri: "/v1/blocks/4", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/blocks/0", method: .get).status == .notFound)
            for uri in ["/v1/blocks/-1", "/v1/blocks/abc", "/v1/blocks/99999999999999999999999", "/v1/blocks/1?format=xml",
                        "/v1/blocks/head?x=1"] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .badRequest, "\(uri)")
                #expect(!r.reason.isEmpty)
            }
        }
    }

    @Test func checkpointsAndCommunityValidation() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let own = try await client.execute(uri: "/v1/checkpoints", method: .get)
            #expect(own.status == .ok)
            #expect(try own.decode(ListBody<CheckpointBody>.self).items.isEmpty)
            let other = try await client.execute(uri: "/v1/checkpoints?community=hehua-north", method: .get)
            #expect(other.status == .ok)
            let bad = try await client.execute(uri: "/v1/checkpoints?community=Not%20A%20Name", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.reason == "community 'Not A Name' is not a community name")
        }
    }

    /// The referrals this community made, newest first, filtered by the community they went to.
    @Test func referralsAreListedAndFilteredByCommunity() async throws {
        let referring = TestChain(referrals: true)
        let service = try FakeNodeService(chain: referring)
        try await withClientAPI(service) { client in
            let all = try await client.execute(uri: "/v1/referrals", method: .get)
            #expect(all.status == .ok)
            let items = try all.decode(ListBody<ReferralBody>.self).items
            #expect(items.map(\.toCommunity) == ["pine-row", "hehua-north"])
            let north = try await client.execute(uri: "/v1/referrals?to=hehua-north", method: .get).decode(ListBody<ReferralBody>.self).items
            #expect(north.count == 1)
            #expect(north.first?.id == referring.referral.hex && north.first?.kind == "request")
            #expect(north.first?.reference == referring.request.hex && north.first?.referenceKind == "serviceRequest")
            #expect(north.first?.referrer == referring.subject("committee").description)
            #expect(north.first?.status == "referred" && north.first?.delivered == nil && north.first?.answer == nil)
            #expect(try await client.execute(uri: "/v1/referrals?limit=1", method: .get).decode(ListBody<ReferralBody>.self).items.count == 1)
            let bad = try await client.execute(uri: "/v1/referrals?to=Not%20A%20Name", method: .get)
            #expect(bad.status == .badRequest && bad.reason == "to 'Not A Name' is not a community name")
            #expect(try await client.execute(uri: "/v1/referrals?from=x", method: .get).status == .badRequest)
        }
    }

    /// Neighbours' referrals to this community: none on this chain; bad filters are refused with the reason.
    @Test func incomingReferralsAreListedAndBadFiltersRefused() async throws {
        let service = try FakeNodeService(chain: TestChain(referrals: true))
        try await withClientAPI(service) { client in
            let all = try await client.execute(uri: "/v1/referrals/incoming?from=hehua-north&limit=5", method: .get)
            #expect(all.status == .ok)
            #expect(try all.decode(ListBody<IncomingReferralBody>.self).items.isEmpty)
            let bad = try await client.execute(uri: "/v1/referrals/incoming?from=Not%20A%20Name", method: .get)
            #expect(bad.status == .badRequest && bad.reason == "from 'Not A Name' is not a community name")
            #expect(try await client.execute(uri: "/v1/referrals/incoming?to=x", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/v1/referrals/incoming?limit=0", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/v1/referrals/incoming?limit=100000", method: .get).status == .badRequest)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerJSON() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(r.status == .notFound)
            #expect(r.reason == "no such endpoint: GET /v1/nothing")
            let post = try await client.execute(uri: "/v1/notices", method: .post, body: ByteBuffer(string: "{}"))
            #expect(post.status.code >= 400 && post.status.code < 500)
            #expect(!post.reason.isEmpty)
        }
        #expect(service.submissions.isEmpty)
    }
}

@Suite struct ClientAPIStorageFailureTests {
    @Test func aClosedStateDatabaseAnswers503WithTheReason() async throws {
        let service = try FakeNodeService(chain: TestChain())
        try service.state.close()
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/v1/notices", method: .get)
            #expect(r.status == .serviceUnavailable)
            #expect(r.reason.hasPrefix("the state database cannot answer"))
        }
    }
}
