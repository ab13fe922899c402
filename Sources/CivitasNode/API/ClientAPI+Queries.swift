import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasStorage
import Hummingbird

/// The read-only query endpoints of the client API.
extension ClientAPI {
    static func addQueries(to router: Router<BasicRequestContext>, service: any NodeService) {
        let state = service.state
        func get(_ path: RouterPath, _ handler: @escaping @Sendable (Parameters) async throws -> Response) {
            router.get(path) { request, context in try await handler(Parameters(request: request, context: context)) }
        }

        get("/v1/subjects/:subject") { p in
            try p.allowQuery([])
            let record = try registeredSubject(try p.subject("subject"), state: state)
            return JSONBody.response(SubjectBody(record, nonce: try state.latestNonce(of: record.publicKey)))
        }

        get("/v1/notices") { p in
            try p.allowQuery(["category", "limit"])
            let category = try p.choice("category", from: Notice.Category.allCases.map { ($0.description, $0) })
            let limit = try p.limit(default: 50, max: 500)
            let items = try state.currentNotices(category: category, limit: limit).map { NoticeBody($0) }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/notices/:id") { p in
            try p.allowQuery([])
            let id = try p.hash("id")
            guard let notice = try state.notice(id) else { throw APIError.notFound("notice \(id.hex) does not exist") }
            return JSONBody.response(NoticeBody(notice, chain: try state.noticeChain(containing: id)))
        }

        get("/v1/proposals") { p in
            try p.allowQuery(["status"])
            _ = try p.choice("status", from: [("open", true)])
            let items = try state.openProposals().compactMap { id throws(StorageError) in try state.proposal(id) }.map { ProposalBody($0) }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/proposals/:id") { p in
            try p.allowQuery([])
            let id = try p.hash("id")
            guard let proposal = try state.proposal(id) else { throw APIError.notFound("proposal \(id.hex) does not exist") }
            return JSONBody.response(ProposalBody(proposal))
        }

        get("/v1/service-requests") { p in
            try p.allowQuery(["status", "limit"])
            let status = try p.choice("status", from: ServiceRequestStatus.allCases.map { ($0.rawValue, $0) })
            let limit = try p.limit(default: 50, max: 500)
            return JSONBody.response(ListBody(items: try state.serviceRequests(status: status, limit: limit).map { ServiceRequestBody($0) }))
        }
        get("/v1/service-requests/:id") { p in
            try p.allowQuery([])
            let id = try p.hash("id")
            guard let r = try state.serviceRequest(id) else { throw APIError.notFound("service request \(id.hex) does not exist") }
            return JSONBody.response(ServiceRequestBody(r))
        }

        get("/v1/providers") { p in
            try p.allowQuery([])
            return JSONBody.response(ListBody(items: try state.providerSupervision().map { ProviderBody($0) }))
        }
        get("/v1/providers/:subject") { p in
            try p.allowQuery([])
            let (id, _) = try p.subject("subject")
            guard let figures = try state.providerSupervision(id).first else {
                throw APIError.notFound("subject \(id.raw.hex) has had no assignment")
            }
            return JSONBody.response(ProviderBody(figures))
        }

        get("/v1/volunteers") { p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 20, max: 500)
            return JSONBody.response(ListBody(items: try state.volunteerRanking(limit: limit).map { VolunteerBody($0) }))
        }
        get("/v1/volunteers/:subject") { p in
            try p.allowQuery([])
            let (id, _) = try p.subject("subject")
            guard try state.subject(id) != nil else { throw APIError.notFound("subject \(id.raw.hex) is not registered") }
            return JSONBody.response(VolunteerBody(try state.volunteerTotals(id)))
        }

        get("/v1/blocks/head") { p in
            try p.allowQuery(["format"])
            let height = try state.head().height
            guard height > 0 else { throw APIError.notFound("the chain holds only its genesis document (height 0)") }
            return try await blockResponse(height: height, p, service: service)
        }
        get("/v1/blocks/:height") { p in
            try p.allowQuery(["format"])
            return try await blockResponse(height: try p.height("height"), p, service: service)
        }

        get("/v1/referrals") { p in
            try p.allowQuery(["to", "limit"])
            var community: CommunityID?
            if let name = p.query("to") {
                guard let c = CommunityID(name) else { throw APIError.badRequest("to '\(Parameters.clip(name))' is not a community name") }
                community = c
            }
            let limit = try p.limit(default: 100, max: 1_000)
            return JSONBody.response(ListBody(items: try state.referrals(to: community, limit: limit).map { ReferralBody($0) }))
        }

        get("/v1/referrals/incoming") { p in
            try p.allowQuery(["from", "limit"])
            var community: CommunityID?
            if let name = p.query("from") {
                guard let c = CommunityID(name) else { throw APIError.badRequest("from '\(Parameters.clip(name))' is not a community name") }
                community = c
            }
            let limit = try p.limit(default: 100, max: 1_000)
            return JSONBody.response(ListBody(items: try state.incomingReferrals(from: community, limit: limit).map { IncomingReferralBody($0) }))
        }

        get("/v1/checkpoints") { p in
            try p.allowQuery(["community"])
            var community = state.genesis.community
            if let name = p.query("community") {
                guard let c = CommunityID(name) else {
                    throw APIError.badRequest("community '\(Parameters.clip(name))' is not a community name")
                }
                community = c
            }
            return JSONBody.response(ListBody(items: try state.checkpoints(of: community).map { CheckpointBody($0) }))
        }
    }

    /// The subject a parameter names, if it is registered here and, when named by key, that key is its current one; else a 404.
    static func registeredSubject(_ named: (id: SubjectID, key: PublicKey?), state: StateDatabase) throws -> SubjectRecord {
        guard let record = try state.subject(named.id) else { throw APIError.notFound("subject \(named.id.raw.hex) is not registered") }
        if let key = named.key, key != record.publicKey {
            throw APIError.notFound("no subject has public key \(key.raw.hex)")
        }
        return record
    }

    static func blockResponse(height: UInt64, _ p: Parameters, service: any NodeService) async throws -> Response {
        let binary = try p.choice("format", from: [("json", false), ("binary", true)]) ?? false
        guard let block = await service.block(at: height) else {
            throw APIError.notFound("block \(height) is not stored here")
        }
        if binary {
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: block.encoded())))
        }
        return JSONBody.response(BlockBody(block))
    }
}
