import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasStorage
import Foundation
import Hummingbird

/// Open311 GeoReport v2's read endpoints (JSON) over the service requests on
/// the chain, so existing civic tools can read them: the service list, the
/// request list and one request. Writing stays signed transactions. Refusals
/// are this API's `{"error": …}`, not GeoReport's error array. docs/board.md.
public enum Open311 {
    /// The longest range `start_date`…`end_date` may span, as GeoReport v2 says.
    static let maxRange: UInt64 = 90 * 24 * 3_600_000
    /// Requests in one answer (GeoReport v2's default page size).
    static let maxRequests = 1_000
    /// IDs in one `service_request_id` list.
    static let maxIDs = 100

    static func addRoutes(to router: Router<BasicRequestContext>, service: any NodeService) {
        let state = service.state
        func get(_ path: RouterPath, _ handler: @escaping @Sendable (Parameters) async throws -> Response) {
            router.get(path) { request, context in try await handler(Parameters(request: request, context: context)) }
        }

        get("/open311/v2/services.json") { p in
            try p.allowQuery(["jurisdiction_id"])
            try checkJurisdiction(p, state: state)
            let genesis = state.genesis.parameters
            var deadlines: [String: UInt64] = [:]
            for d in genesis.responseDeadlines { deadlines[d.serviceCode] = d.seconds }
            let codes = Set(deadlines.keys).union(try state.serviceCodesInUse()).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let services = codes.map { code in
                let seconds = deadlines[code] ?? genesis.defaultResponseDeadline
                return Open311Service(code: code, name: code, description: "First response due within \(Self.hours(seconds)) of the request.")
            }
            return JSONBody.response(services)
        }
        get("/open311/v2/requests.json") { p in
            try p.allowQuery(["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"])
            try checkJurisdiction(p, state: state)
            let filter = try requestFilter(p, headTime: try state.head().time)
            return JSONBody.response(try requests(filter, state: state))
        }
        get("/open311/v2/requests/:file") { p in
            try p.allowQuery(["jurisdiction_id"])
            try checkJurisdiction(p, state: state)
            let file = try p.path("file")
            guard file.hasSuffix(".json"), let id = Hash(hex: String(file.dropLast(5))), file.count == 69 else {
                throw APIError.badRequest("'\(Parameters.clip(file))' is not <service_request_id>.json (64 hex digits, then .json)")
            }
            let found = try requests(ServiceRequestFilter(ids: [id], limit: 1), state: state)
            guard !found.isEmpty else { throw APIError.notFound("service request \(id.hex) does not exist") }
            return JSONBody.response(found)
        }
    }

    static func checkJurisdiction(_ p: Parameters, state: StateDatabase) throws(APIError) {
        guard let given = p.query("jurisdiction_id") else { return }
        guard given == state.genesis.community.name else {
            throw .badRequest("jurisdiction_id '\(Parameters.clip(given))' is not this node's community '\(state.genesis.community.name)'")
        }
    }

    /// The query's filter. Without dates, the 90 days up to the head block's time.
    static func requestFilter(_ p: Parameters, headTime: Timestamp) throws(APIError) -> ServiceRequestFilter {
        var filter = ServiceRequestFilter(limit: maxRequests)
        if let list = p.query("service_request_id") {
            let parts = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count <= maxIDs else { throw .badRequest("service_request_id lists \(parts.count) IDs; at most \(maxIDs)") }
            for part in parts {
                guard part.count == 64, let id = Hash(hex: part) else {
                    throw .badRequest("service_request_id '\(Parameters.clip(part))' is not a request ID (64 hex digits)")
                }
                filter.ids.append(id)
            }
        }
        if let code = p.query("service_code") {
            guard !code.isEmpty, code.utf8.count <= FieldLimits.shortText else {
                throw .badRequest("service_code must be 1 to \(FieldLimits.shortText) bytes")
            }
            filter.serviceCode = code
        }
        if let statuses = p.query("status") {
            for name in statuses.split(separator: ",", omittingEmptySubsequences: false) {
                switch name.trimmingCharacters(in: .whitespaces) {
                case "open": filter.statuses += ServiceRequestStatus.allCases.filter { $0 != .closed }
                case "closed": filter.statuses.append(.closed)
                default: throw .badRequest("status '\(Parameters.clip(String(name)))' is not open or closed")
                }
            }
        }
        let start = try date(p, "start_date")
        let end = try date(p, "end_date")
        if let start, let end, start > end { throw .badRequest("start_date is after end_date") }
        if let start, let end, end - start > maxRange { throw .badRequest("start_date to end_date spans more than 90 days") }
        if filter.ids.isEmpty {
            // GeoReport v2: a search spans at most 90 days, the most recent ones by default.
            let through = end ?? start.map { $0 &+ maxRange } ?? headTime
            filter.through = through
            filter.from = start ?? (through > maxRange ? through - maxRange : 0)
        }
        return filter
    }

    static func date(_ p: Parameters, _ name: String) throws(APIError) -> Timestamp? {
        guard let text = p.query(name) else { return nil }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let f = ISO8601DateFormatter()
            f.formatOptions = options
            if let date = f.date(from: text), date.timeIntervalSince1970 >= 0 {
                return Timestamp(date.timeIntervalSince1970 * 1_000)
            }
        }
        throw .badRequest("\(name) '\(Parameters.clip(text))' is not an ISO 8601 date-time with a time zone (2026-01-31T09:00:00+08:00)")
    }

    static func requests(_ filter: ServiceRequestFilter, state: StateDatabase) throws(StorageError) -> [Open311Request] {
        let records = try state.serviceRequests(matching: filter)
        let updated = try state.serviceRequestUpdateTimes(records.map(\.id))
        let names = try NameBook(records.compactMap(\.provider), state: state)
        return records.map { r in
            let provider = r.provider.map { names.person($0) }
            return Open311Request(
                id: r.id.hex, status: r.status == .closed ? "closed" : "open",
                statusNotes: r.resolution.map { "\(r.status.rawValue) (\($0.rawValue))" } ?? r.status.rawValue,
                serviceName: r.serviceCode, serviceCode: r.serviceCode, description: r.description,
                agencyResponsible: provider.map { [$0.name, $0.unit].compactMap { $0 }.joined(separator: ", ") },
                serviceNotice: "First response due by \(iso(r.deadline)).",
                requestedDatetime: iso(r.requestedTime), updatedDatetime: iso(updated[r.id] ?? r.requestedTime),
                expectedDatetime: iso(r.deadline), address: r.location)
        }
    }

    static func iso(_ t: Timestamp) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(t) / 1_000))
    }

    static func hours(_ seconds: UInt64) -> String {
        seconds % 3_600 == 0 ? "\(seconds / 3_600) hours" : "\(seconds / 60) minutes"
    }
}

/// A GeoReport v2 service.
public struct Open311Service: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var description: String
    public var metadata = false
    public var type = "realtime"
    public var keywords = ""
    public var group = ""

    enum CodingKeys: String, CodingKey {
        case code = "service_code", name = "service_name", description, metadata, type, keywords, group
    }
}

/// A GeoReport v2 service request. Times are ISO 8601 in UTC; there is no
/// position (lat/long) on the chain, only the location text as `address`.
public struct Open311Request: Codable, Sendable, Equatable {
    public var id: String
    /// open or closed.
    public var status: String
    public var statusNotes: String
    public var serviceName: String
    public var serviceCode: String
    public var description: String
    public var agencyResponsible: String?
    public var serviceNotice: String
    public var requestedDatetime: String
    public var updatedDatetime: String
    public var expectedDatetime: String
    public var address: String

    enum CodingKeys: String, CodingKey {
        case id = "service_request_id", status, statusNotes = "status_notes", serviceName = "service_name"
        case serviceCode = "service_code", description, agencyResponsible = "agency_responsible", serviceNotice = "service_notice"
        case requestedDatetime = "requested_datetime", updatedDatetime = "updated_datetime"
        case expectedDatetime = "expected_datetime", address
    }
}
