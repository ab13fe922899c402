import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasStorage
import Hummingbird

/// The community board on the client API: the page at `/`, its files under
/// `/board/`, and the read routes it uses under `/v1/board/` (names, not hex;
/// proof bundles; server-sent events). docs/board.md.
public enum Board {
    /// Limits of the board's routes.
    public struct Settings: Sendable {
        /// Event streams (`/v1/board/events`) open at once; one more is refused with 503.
        public var maxEventStreams = 64
        /// A comment line is sent this often on an idle event stream, so a gone
        /// client is noticed and proxies keep the connection.
        public var heartbeat: Duration = .seconds(15)
        public init() {}
    }

    /// The page's languages, Chinese first.
    static let languages = ["zh", "en"]

    static func addRoutes(to router: Router<BasicRequestContext>, service: any NodeService, settings: Settings) {
        let state = service.state
        func get(_ path: RouterPath, _ handler: @escaping @Sendable (Request, Parameters) async throws -> Response) {
            router.get(path) { request, context in try await handler(request, Parameters(request: request, context: context)) }
        }

        get("/") { request, p in
            try p.allowQuery(["lang"])
            let lang = try p.choice("lang", from: languages.map { ($0, $0) }) ?? "zh"
            return BoardAssets.page(lang: lang).response(to: request)
        }
        get("/board/:file") { request, p in
            try p.allowQuery([])
            let name = try p.path("file")
            guard let asset = BoardAssets.file(name) else {
                throw APIError.notFound("no board file '\(Parameters.clip(name))'")
            }
            return asset.response(to: request)
        }

        get("/v1/board/genesis") { _, p in
            try p.allowQuery([])
            return JSONBody.response(BoardGenesis(state.genesis))
        }
        get("/v1/board/subjects") { _, p in
            try p.allowQuery(["role", "limit"])
            let role = try p.choice("role", from: Role.allCases.map { ($0.description, $0) })
            let limit = try p.limit(default: 500, max: 5_000)
            let items = try state.subjectDirectory(role: role, limit: limit).map { BoardPerson($0.id, $0) }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/board/notices") { _, p in
            try p.allowQuery(["category", "limit"])
            let category = try p.choice("category", from: Notice.Category.allCases.map { ($0.description, $0) })
            let limit = try p.limit(default: 50, max: 200)
            let notices = try state.currentNotices(category: category, limit: limit)
            let names = try NameBook(notices.map(\.issuer), state: state)
            let items = try notices.map { n throws(StorageError) in
                BoardNotice(n, chain: n.version > 1 ? try state.noticeChain(containing: n.id) : [n], names: names)
            }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/board/proposals") { _, p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 50, max: 200)
            let records = try state.proposalIDs(limit: limit).compactMap { id throws(StorageError) in try state.proposal(id) }
            let endorsers = try records.map { r throws(StorageError) in try state.proposalEndorsers(r.id) }
            let names = try NameBook(records.map(\.proposer) + endorsers.joined().map(\.subjectID), state: state)
            let items = try zip(records, endorsers).map { r, keys throws(StorageError) in
                BoardProposal(r, endorsers: keys, liveVotes: r.isOpen ? try state.ballotCounts(proposal: r.id, options: r.options.count) : [],
                              names: names)
            }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/board/service-requests") { _, p in
            try p.allowQuery(["status", "limit"])
            let status = try p.choice("status", from: ServiceRequestStatus.allCases.map { ($0.rawValue, $0) })
            let limit = try p.limit(default: 50, max: 200)
            let filter = ServiceRequestFilter(statuses: status.map { [$0] } ?? [], limit: limit)
            let records = try state.serviceRequests(matching: filter)
            let events = try records.map { r throws(StorageError) in try state.serviceEvents(request: r.id) }
            let ids = records.flatMap { [$0.requester] + ($0.provider.map { [$0] } ?? []) }
                + events.joined().flatMap { [$0.actor] + ($0.provider.map { [$0] } ?? []) }
            let names = try NameBook(ids, state: state)
            let headTime = try state.head().time
            let items = zip(records, events).map { BoardServiceRequest($0, events: $1, headTime: headTime, names: names) }
            return JSONBody.response(ListBody(items: items))
        }
        get("/v1/board/providers") { _, p in
            try p.allowQuery([])
            let figures = try state.providerSupervision()
            let names = try NameBook(figures.map(\.provider), state: state)
            return JSONBody.response(ListBody(items: figures.map { BoardProvider($0, names: names) }))
        }
        get("/v1/board/volunteers") { _, p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 50, max: 500)
            let balances = try state.pointsBalances(limit: limit)
            let names = try NameBook(balances.map(\.totals.volunteer), state: state)
            return JSONBody.response(ListBody(items: balances.map { BoardVolunteer($0.totals, spent: $0.spent, names: names) }))
        }
        get("/v1/board/points") { _, p in
            try p.allowQuery(["subject"])
            var holder: BoardPoints.Holder?
            if p.query("subject") != nil {
                // Like /v1/subjects/{subject}: an unregistered subject is a 404, not a holder of nothing.
                let id = try ClientAPI.registeredSubject(try p.subjectQuery("subject"), state: state).id
                let names = try NameBook([id], state: state)
                let earned = try state.volunteerTotals(id).points
                let spent = try state.redeemedTotals(id)?.points ?? 0
                holder = BoardPoints.Holder(subject: names.person(id), earned: earned, spent: spent,
                                            balance: earned > spent ? earned - spent : 0)
            }
            return JSONBody.response(BoardPoints(try state.pointsSupply(), subject: holder))
        }
        get("/v1/board/drafts") { _, p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 50, max: 200)
            let drafts = try state.openDrafts(limit: limit)
            let names = try NameBook(drafts.flatMap { [$0.draft.proposer] + $0.endorsements.map(\.endorser) }, state: state)
            let needed = Int(state.genesis.parameters.proposalEndorsements)
            return JSONBody.response(ListBody(items: drafts.map { BoardDraft($0.draft, endorsements: $0.endorsements, needed: needed, names: names) }))
        }
        get("/v1/board/rewards") { _, p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 50, max: 200)
            let offers = try state.rewardOffers(limit: limit)
            let names = try NameBook(offers.map(\.publisher), state: state)
            return JSONBody.response(ListBody(items: offers.map { BoardReward($0, names: names) }))
        }
        get("/v1/board/redemptions") { _, p in
            try p.allowQuery(["limit"])
            let limit = try p.limit(default: 50, max: 200)
            let redemptions = try state.redemptions(limit: limit)
            let names = try NameBook(redemptions.flatMap { [$0.redemption.redeemer, $0.redemption.publisher] }, state: state)
            return JSONBody.response(ListBody(items: redemptions.map { BoardRedemption($0.redemption, title: $0.title, names: names) }))
        }
        get("/v1/board/blocks") { _, p in
            try p.allowQuery(["limit", "before"])
            let limit = try p.limit(default: 20, max: 100)
            var below: UInt64?
            if let text = p.query("before") {
                guard let h = UInt64(text), h > 0, text.allSatisfy(\.isASCII) else {
                    throw APIError.badRequest("before '\(Parameters.clip(text))' is not a block height above 0")
                }
                below = h - 1
            }
            let blocks = try state.recentBlocks(limit: limit, atOrBelow: below)
            let transactions = try blocks.map { b throws(StorageError) in try state.transactions(height: b.height) }
            let names = try NameBook(transactions.joined().map(\.signer.subjectID), state: state)
            return JSONBody.response(ListBody(items: zip(blocks, transactions).map { BoardBlock($0, transactions: $1, names: names) }))
        }
        get("/v1/board/transactions/:id") { _, p in
            try p.allowQuery([])
            let id = try p.hash("id")
            guard let record = try state.transactions(id: id).first else {
                throw APIError.notFound("transaction \(id.hex) is not in a block applied here")
            }
            guard let block = await service.block(at: record.height), block.block.transactions.indices.contains(record.index),
                  block.block.transactions[record.index].id == id else {
                throw APIError.notFound("block \(record.height) is not stored here")
            }
            return JSONBody.response(BoardVerification(block: block, index: record.index, applied: record.isApplied,
                                                       reason: record.rejectionReason))
        }
        let streams = BoardEventStreams(limit: settings.maxEventStreams, heartbeat: settings.heartbeat)
        get("/v1/board/events") { _, p in
            try p.allowQuery([])
            return try streams.open(state: state)
        }
    }
}
