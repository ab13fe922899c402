import ArgumentParser
import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation

/// Options every `civitas tx` kind shares: who signs, where it goes.
struct TxOptions: ParsableArguments {
    @Option(help: "The signer's private key (PEM).")
    var key: String

    @Option(help: "The node's client API.")
    var node = "http://127.0.0.1:8080"

    @Option(help: "The community the transaction is for.")
    var community: String

    @Option(help: "The nonce to use (default: the signer's next nonce, fetched from the node).")
    var nonce: UInt64?

    @Flag(help: "Wait until the transaction is in a committed block.")
    var wait = false

    @Option(help: "How long to wait with --wait, in milliseconds (at most 30000).")
    var timeoutMs = 10_000

    @Flag(name: .customLong("print"), help: "Print the signed transaction as hex instead of submitting it (needs --nonce).")
    var printOnly = false

    @Option(help: "Times to send the signed transaction while the node cannot be reached or cannot take it yet (the same bytes every time).")
    var attempts = 5

    @Option(help: "Where a signed transaction is kept until its answer is known (default: $XDG_STATE_HOME/civitas/pending).")
    var pendingDir: String?

    func submit(_ payload: TransactionPayload) async throws {
        guard let communityID = CommunityID(community) else { throw ToolError("'\(community)' is not a community name") }
        guard attempts >= 1 else { throw ToolError("--attempts must be at least 1") }
        let signingKey = try KeyFile.read(key)
        guard let client = NodeHTTPClient(base: node, timeout: TimeInterval(timeoutMs) / 1_000 + 10) else {
            throw ToolError("--node '\(node)' is not an http:// URL")
        }
        let spool = PendingTransactions(directory: pendingDir)
        var lowest: UInt64 = 1
        if !printOnly, let earlier = try spool.load(signingKey.publicKey) {
            // An earlier transaction of this key has no known answer yet: settle it first, with its own bytes.
            if try await settle(earlier, client: client, spool: spool) { lowest = earlier.nonce + 1 }
        }
        let nonce: UInt64
        if let given = self.nonce {
            nonce = given
        } else if printOnly {
            throw ToolError("--print needs --nonce (nothing is asked of a node)")
        } else {
            nonce = max(lowest, try await Self.nextNonce(client, key: signingKey.publicKey))
        }
        let tx = UnsignedTransaction(community: communityID, signer: signingKey.publicKey, nonce: nonce,
                                     time: UInt64(Date().timeIntervalSince1970 * 1_000), payload: payload).signed(with: signingKey)
        if printOnly {
            print(Hex.encode(tx.encoded()))
            return
        }
        try spool.keep(tx)
        let body = try await deliver(tx, client: client, spool: spool)
        var line = "\(body.status) \(body.id ?? tx.id.hex) (\(payload.kind), nonce \(nonce))"
        if let h = body.height, let i = body.index { line += " in block \(h) at \(i)" }
        if body.applied == false { line += ", recorded as rejected" }
        if let reason = body.reason { line += ": \(reason)" }
        print(line)
        if body.status == "pending" {
            print("kept in \(spool.path(for: tx.signer)) until it commits; the next `civitas tx` with this key sends it again if the node lost it")
        }
        if body.status == "rejected" || body.applied == false { throw ExitCode(1) }
    }

    /// Settles a transaction kept from an earlier run. True while it still
    /// holds its nonce (pending, or just accepted), so the new one goes after it.
    func settle(_ earlier: Transaction, client: NodeHTTPClient, spool: PendingTransactions) async throws -> Bool {
        let status: NodeHTTPClient.Answer
        do { status = try await client.get("/v1/transactions/\(earlier.id.hex)") } catch { throw ToolError("\(error)") }
        if status.status == 200, let known = try? JSONDecoder().decode(TransactionStatusBody.self, from: status.body) {
            if known.status == "committed" {
                spool.resolve(earlier)
                return false
            }
            return true
        }
        print("an earlier transaction of this key (\(earlier.id.hex), nonce \(earlier.nonce)) has no known answer; sending the same bytes again")
        let body = try await deliver(earlier, client: client, spool: spool)
        print("  \(body.status)\(body.reason.map { ": \($0)" } ?? "")")
        return ["accepted", "alreadyKnown", "pending"].contains(body.status)
    }

    /// Sends `tx`'s bytes until the node gives an answer: the same bytes again
    /// after a connection failure, a timeout or a 503 (the node cannot take it
    /// yet), with growing pauses. A refusal or a commit is the answer, and the
    /// kept copy is dropped; an acceptance keeps it until the commit is seen.
    func deliver(_ tx: Transaction, client: NodeHTTPClient, spool: PendingTransactions) async throws -> SubmitBody {
        let path = wait ? "/v1/transactions?wait=committed&timeout_ms=\(timeoutMs)" : "/v1/transactions"
        let bytes = Data(tx.encoded())
        var pause = Duration.milliseconds(250)
        var last = ""
        for attempt in 1...attempts {
            if attempt > 1 {
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
            let answer: NodeHTTPClient.Answer
            do {
                answer = try await client.post(path, body: bytes, contentType: "application/octet-stream")
            } catch {
                last = "\(error)"
                continue
            }
            if answer.status == 503 || answer.status >= 500 {
                last = "the node answered \(answer.status): \(answer.reason)"
                continue
            }
            guard let body = try? JSONDecoder().decode(SubmitBody.self, from: answer.body) else {
                spool.resolve(tx)
                throw ToolError("the node answered \(answer.status): \(answer.reason)")
            }
            if body.status == "committed" || body.status == "rejected" || answer.status >= 400 { spool.resolve(tx) }
            return body
        }
        throw ToolError("""
            no answer after \(attempts) attempts (\(last)); the signed transaction \(tx.id.hex) is kept in \(spool.path(for: tx.signer)) \
            and the next `civitas tx` with this key sends the same bytes again
            """)
    }

    static func nextNonce(_ client: NodeHTTPClient, key: PublicKey) async throws -> UInt64 {
        let answer: NodeHTTPClient.Answer
        do { answer = try await client.get("/v1/subjects/\(key.raw.hex)") } catch { throw ToolError("\(error)") }
        if answer.status == 404 { throw ToolError("the signer is not a registered subject here; pass --nonce") }
        guard answer.status == 200, let subject = try? JSONDecoder().decode(SubjectBody.self, from: answer.body) else {
            throw ToolError("cannot fetch the next nonce (\(answer.status)): \(answer.reason)")
        }
        return subject.nextNonce
    }
}

/// `civitas tx <kind> …`: sign a governance transaction with a key file and submit it.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Sign a transaction with a key file and submit it to a node.",
        discussion: "Exit status 0 when the node accepted (or committed and applied) it, 1 otherwise.",
        subcommands: [NoticeTx.self, ProposalTx.self, DraftTx.self, EndorseTx.self, BallotTx.self, ServiceRequestTx.self,
                      AssignmentTx.self, ResponseTx.self, ClosureTx.self, VolunteerTx.self, RewardTx.self, RedeemTx.self,
                      RegistrationTx.self, FederationAdoptTx.self, ReferralTx.self, ReferralAnswerTx.self])

    struct NoticeTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "notice", abstract: "Publish a notice (or a correction).")
        @OptionGroup var common: TxOptions
        @Option(help: "partyAffairs, housingAffairs, finance, services or general.") var category: String
        @Option var title: String
        @Option var body: String
        @Option(help: "The notice this one corrects.") var supersedes: String?
        @Option(help: "Digest of an attached document (repeat).") var attachment: [String] = []

        func run() async throws {
            guard let c = Notice.Category.allCases.first(where: { $0.description == category }) else {
                throw ToolError("unknown category '\(category)' (\(Notice.Category.allCases.map(\.description).joined(separator: ", ")))")
            }
            let notice = Notice(category: c, title: title, body: body,
                                supersedes: try supersedes.map { try KeyReference.hash($0, what: "--supersedes") },
                                attachments: try attachment.map { try KeyReference.hash($0, what: "--attachment") })
            try await common.submit(.notice(notice))
        }
    }

    /// The terms of a proposal or a draft: what is asked and how it is decided.
    struct TermsOptions: ParsableArguments {
        @Option var title: String
        @Option var description: String
        @Option(name: .customLong("option"), help: "A choice (repeat, at least two).") var options: [String] = []
        @Option(help: "Roles that may vote, joined by '+'.") var eligible = "resident"
        @Option(help: "Close once this height is applied.") var closesAtHeight: UInt64?
        @Option(help: "Close once a block at or after this time (ms since the epoch) is applied.") var closesAtTime: UInt64?
        @Option(help: "Quorum in basis points of the electorate.") var quorumBp: UInt32 = 5_000
        @Option(help: "Pass threshold in basis points of the ballots.") var passBp: UInt32 = 5_001

        func terms() throws -> ProposalTerms {
            guard (closesAtHeight == nil) != (closesAtTime == nil) else {
                throw ToolError("give exactly one of --closes-at-height and --closes-at-time")
            }
            let closing: ClosingRule = closesAtHeight.map { .height($0) } ?? .time(closesAtTime!)
            return ProposalTerms(title: title, description: description, options: options,
                                 eligibleRoles: try KeyReference.roles(eligible, what: "--eligible"), closing: closing,
                                 quorumBasisPoints: quorumBp, passBasisPoints: passBp)
        }
    }

    struct ProposalTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "proposal", abstract: "Open a proposal for a vote.")
        @OptionGroup var common: TxOptions
        @OptionGroup var terms: TermsOptions
        @Option(name: .customLong("endorser-key"), help: "A key file of an endorser (repeat).") var endorserKeys: [String] = []

        func run() async throws {
            let terms = try terms.terms()
            let endorsements = try endorserKeys.map { Endorsement(endorsing: terms, with: try KeyFile.read($0)) }.sorted()
            try await common.submit(.proposal(Proposal(terms: terms, endorsements: endorsements)))
        }
    }

    struct DraftTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "draft", abstract: "Record a resident's proposal as a draft for other residents to endorse.",
            discussion: "It opens as a proposal (its ID the draft's) in the block where the genesis document's number of residents have endorsed it with `civitas tx endorse`.")
        @OptionGroup var common: TxOptions
        @OptionGroup var terms: TermsOptions

        func run() async throws {
            try await common.submit(.proposalDraft(ProposalDraft(terms: try terms.terms())))
        }
    }

    struct EndorseTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "endorse", abstract: "Endorse (co-sign) a resident's draft proposal.")
        @OptionGroup var common: TxOptions
        @Option(help: "The draft's transaction ID.") var draft: String

        func run() async throws {
            try await common.submit(.endorsement(DraftEndorsement(draft: try KeyReference.hash(draft, what: "--draft"))))
        }
    }

    struct RewardTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reward", abstract: "Offer a reward for volunteer points (social organisations, the property manager).")
        @OptionGroup var common: TxOptions
        @Option var title: String
        @Option var description = ""
        @Option(help: "Points one item costs (1 to \(RewardOffer.maxPrice)).") var price: UInt32
        @Option(help: "Items on offer (1 to \(RewardOffer.maxQuantity)).") var quantity: UInt32

        func run() async throws {
            guard (1...RewardOffer.maxPrice).contains(price) else { throw ToolError("--price must be 1 to \(RewardOffer.maxPrice)") }
            guard (1...RewardOffer.maxQuantity).contains(quantity) else { throw ToolError("--quantity must be 1 to \(RewardOffer.maxQuantity)") }
            try await common.submit(.rewardOffer(RewardOffer(title: title, description: description, price: price, quantity: quantity)))
        }
    }

    struct RedeemTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "redeem", abstract: "Spend volunteer points on one item of a reward.")
        @OptionGroup var common: TxOptions
        @Option(help: "The reward offer's transaction ID.") var offer: String

        func run() async throws {
            try await common.submit(.redemption(Redemption(offer: try KeyReference.hash(offer, what: "--offer"))))
        }
    }

    struct BallotTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ballot", abstract: "Vote on an open proposal.")
        @OptionGroup var common: TxOptions
        @Option var proposal: String
        @Option(help: "The option's index, from 0.") var choice: UInt32

        func run() async throws {
            try await common.submit(.ballot(Ballot(proposal: try KeyReference.hash(proposal, what: "--proposal"), choice: choice)))
        }
    }

    struct ServiceRequestTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "service-request", abstract: "Ask for a service.")
        @OptionGroup var common: TxOptions
        @Option(help: "e.g. elevator, streetlight.") var serviceCode: String
        @Option var description: String
        @Option var location: String

        func run() async throws {
            try await common.submit(.serviceRequest(ServiceRequest(serviceCode: serviceCode, description: description, location: location)))
        }
    }

    struct AssignmentTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "assignment", abstract: "Assign a service request to a provider.")
        @OptionGroup var common: TxOptions
        @Option var request: String
        @Option(help: "The provider's subject ID or key.") var provider: String
        @Option var note = ""

        func run() async throws {
            try await common.submit(.assignment(Assignment(
                request: try KeyReference.hash(request, what: "--request"),
                provider: try KeyReference.subjectID(provider, what: "--provider"), note: note)))
        }
    }

    struct ResponseTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "response", abstract: "A provider reports progress on a request.")
        @OptionGroup var common: TxOptions
        @Option var request: String
        @Option(help: "acknowledged, inProgress, fixed, notResponsible, duplicate or referred.") var status: String
        @Option var note = ""

        func run() async throws {
            let statuses: [String: ServiceResponse.Status] = [
                "acknowledged": .acknowledged, "inProgress": .inProgress, "fixed": .resolvedFixed,
                "notResponsible": .resolvedNotResponsible, "duplicate": .resolvedDuplicate, "referred": .resolvedReferred,
            ]
            guard let s = statuses[status] else { throw ToolError("unknown status '\(status)' (\(statuses.keys.sorted().joined(separator: ", ")))") }
            try await common.submit(.serviceResponse(ServiceResponse(request: try KeyReference.hash(request, what: "--request"),
                                                                     status: s, note: note)))
        }
    }

    struct ClosureTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "closure", abstract: "Close a resolved request with a rating, or reopen it.")
        @OptionGroup var common: TxOptions
        @Option var request: String
        @Option(help: "closed or reopened.") var outcome = "closed"
        @Option(help: "1 to 5.") var rating: UInt8?
        @Option var comment = ""

        func run() async throws {
            let o: Closure.Outcome
            switch outcome {
            case "closed": o = .closed
            case "reopened": o = .reopened
            default: throw ToolError("--outcome must be closed or reopened")
            }
            if let rating, !(1...5).contains(rating) { throw ToolError("--rating must be 1 to 5") }
            try await common.submit(.closure(Closure(request: try KeyReference.hash(request, what: "--request"), outcome: o,
                                                     rating: rating, comment: comment)))
        }
    }

    struct VolunteerTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "volunteer", abstract: "Record volunteer hours.")
        @OptionGroup var common: TxOptions
        @Option(help: "The volunteer's subject ID or key.") var volunteer: String
        @Option var activity: String
        @Option var minutes: UInt32
        @Option(help: "Days since the Unix epoch (default: today).") var day: UInt32?

        func run() async throws {
            let today = UInt32(Date().timeIntervalSince1970 / 86_400)
            try await common.submit(.volunteerRecord(VolunteerRecord(
                volunteer: try KeyReference.subjectID(volunteer, what: "--volunteer"), activity: activity, minutes: minutes,
                day: day ?? today)))
        }
    }

    struct FederationAdoptTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "federation-adopt", abstract: "Adopt the city's federation document for this community (the residents' committee).",
            discussion: "The document (from `civitas federation add`) must list this community with its own genesis and validators, and carry a higher sequence than the one adopted before.")
        @OptionGroup var common: TxOptions
        @Option(help: "The federation document file.") var document: String

        func run() async throws {
            let federation = try FederationFile.read(document)
            if let community = CommunityID(common.community), federation.member(community) == nil {
                throw ToolError("\(document) does not list community '\(community)'; add it with `civitas federation add` first")
            }
            try await common.submit(.federationAdoption(FederationAdoption(document: federation)))
        }
    }

    struct ReferralTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referral", abstract: "Refer a request or a resource to another community (the committee, the street office or a social organisation).")
        @OptionGroup var common: TxOptions
        @Option(help: "The community it goes to.") var to: String
        @Option(help: "request or resource.") var kind: String = "request"
        @Option(help: "The transaction it is about (e.g. a service request's ID), if any.") var reference: String?
        @Option(help: "What is passed on, in a line.") var summary: String

        func run() async throws {
            guard let community = CommunityID(to) else { throw ToolError("--to '\(to)' is not a community name") }
            let kinds: [String: Referral.Kind] = ["request": .request, "resource": .resource]
            guard let k = kinds[kind] else { throw ToolError("--kind '\(kind)': request or resource") }
            try await common.submit(.referral(Referral(toCommunity: community, kind: k,
                                                       reference: try reference.map { try KeyReference.hash($0, what: "--reference") },
                                                       summary: summary)))
        }
    }

    struct ReferralAnswerTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referral-answer",
            abstract: "Answer a neighbour's referral this community received (the committee, the street office, a social organisation or a provider).")
        @OptionGroup var common: TxOptions
        @Option(help: "The referral's ID (its transaction ID on the referring chain, as GET /v1/referrals/incoming lists it).")
        var referral: String
        @Option(help: "The community that referred it.") var from: String
        @Flag(inversion: .prefixedNo, help: "Accept it (--accept) or decline it (--no-accept).") var accept: Bool
        @Option(help: "What the answer says, in a line.") var note: String

        func run() async throws {
            guard let community = CommunityID(from) else { throw ToolError("--from '\(from)' is not a community name") }
            try await common.submit(.referralAnswer(ReferralAnswer(
                referral: try KeyReference.hash(referral, what: "--referral"), fromCommunity: community, accepted: accept, note: note)))
        }
    }

    struct RegistrationTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "registration", abstract: "Register, update or revoke a subject.")
        @OptionGroup var common: TxOptions
        @Option(help: "register, update or revoke.") var action = "register"
        @Option(help: "The subject's public key (hex or key file).") var subject: String
        @Option var displayName: String
        @Option var unit: String
        @Option(help: "Roles joined by '+'.") var roles = "resident"

        func run() async throws {
            guard let a = Registration.Action.allCases.first(where: { "\($0)" == action }) else {
                throw ToolError("--action must be register, update or revoke")
            }
            try await common.submit(.registration(Registration(
                action: a, subject: try KeyReference.publicKey(subject, what: "--subject"), displayName: displayName, unit: unit,
                roles: try KeyReference.roles(roles, what: "--roles"))))
        }
    }
}
