import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Open311 GeoReport v2's read endpoints over the test chain's service request.
@Suite struct Open311Tests {
    let chain = TestChain()

    static func iso(_ t: Timestamp) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(t) / 1_000))
    }

    @Test func theServiceListNamesTheGenesisCodesWithTheirDeadlines() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/open311/v2/services.json", method: .get)
            #expect(r.status == .ok)
            let services = try r.decode([Open311Service].self)
            #expect(services.map(\.code) == ["elevator"])
            #expect(services[0].description == "First response due within 4 hours of the request." && services[0].type == "realtime")
            #expect(r.text.contains("\"service_code\":\"elevator\"") && r.text.contains("\"metadata\":false"))
        }
    }

    @Test func requestsCarryGeoReportFieldsAndFilter() async throws {
        let service = try FakeNodeService(chain: chain)
        let requested = chain.blocks[0].header.time
        try await withClientAPI(service) { client in
            let all = try await client.execute(uri: "/open311/v2/requests.json", method: .get).decode([Open311Request].self)
            let r = try #require(all.first)
            #expect(all.count == 1 && r.id == chain.request.hex)
            #expect(r.status == "open" && r.statusNotes == "resolved (fixed)" && r.serviceCode == "elevator")
            #expect(r.agencyResponsible == "Steady Lift Co., Unit 3" && r.address == "Bldg 3" && r.description == "Lift stuck.")
            #expect(r.requestedDatetime == Self.iso(requested) && r.expectedDatetime == Self.iso(requested + 4 * 3_600_000))
            #expect(r.updatedDatetime == Self.iso(chain.blocks[2].header.time))
            for (query, count) in [("status=closed", 0), ("status=open", 1), ("status=open,closed", 1), ("service_code=water", 0),
                                   ("service_request_id=\(chain.request.hex)", 1),
                                   ("service_request_id=\(chain.notice.hex),\(chain.request.hex)", 1),
                                   ("start_date=\(Self.iso(requested - 60_000))&end_date=\(Self.iso(requested + 60_000))", 1),
                                   ("start_date=\(Self.iso(requested + 60_000))", 0),
                                   ("end_date=\(Self.iso(requested - 60_000).replacingOccurrences(of: "Z", with: "%2B00:00"))", 0),
                                   ("jurisdiction_id=lianhua-east", 1)] {
                let answer = try await client.execute(uri: "/open311/v2/requests.json?\(query)", method: .get)
                #expect(answer.status == .ok, "\(query): \(answer.text)")
                #expect(try answer.decode([Open311Request].self).count == count, "\(query)")
            }
            let one = try await client.execute(uri: "/open311/v2/requests/\(chain.request.hex).json", method: .get)
            #expect(try one.decode([Open311Request].self).map(\.id) == [chain.request.hex])
        }
    }

    @Test(arguments: [
        ("/open311/v2/requests.json?jurisdiction_id=hehua-north", 400, "jurisdiction_id 'hehua-north' is not this node's community"),
        ("/open311/v2/services.json?jurisdiction_id=x", 400, "jurisdiction_id 'x' is not this node's community"),
        ("/open311/v2/requests.json?start_date=yesterday", 400, "start_date 'yesterday' is not an ISO 8601 date-time"),
        ("/open311/v2/requests.json?end_date=2026-01-01", 400, "end_date '2026-01-01' is not an ISO 8601 date-time"),
        ("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400, "start_date to end_date spans more than 90 days"),
        ("/open311/v2/requests.json?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", 400, "start_date is after end_date"),
        ("/open311/v2/requests.json?status=pending", 400, "status 'pending' is not open or closed"),
        ("/open311/v2/requests.json?service_request_id=zz", 400, "service_request_id 'zz' is not a request ID"),
        ("/open311/v2/requests.json?service_code=", 400, "service_code must be 1 to 256 bytes"),
        ("/open311/v2/requests.json?api_key=abc", 400, "unknown query parameter 'api_key'"),
        ("/open311/v2/requests/abc.json", 400, "'abc.json' is not <service_request_id>.json"),
        ("/open311/v2/requests/0000000000000000000000000000000000000000000000000000000000000000.xml", 400, "is not <service_request_id>.json"),
        ("/open311/v2/requests/0000000000000000000000000000000000000000000000000000000000000000.json", 404, "service request 0000"),
        ("/open311/v2/services.xml", 404, "no such endpoint"),
    ])
    func badInputIsRefusedWithAReason(path: String, status: Int, reason: String) async throws {
        try await BoardAPITests.expectRefusal(GET: path, status: status, reason: reason, chain: chain)
    }

    @Test func tooManyIDsAreRefused() async throws {
        let service = try FakeNodeService(chain: chain)
        let ids = Array(repeating: chain.request.hex, count: 101).joined(separator: ",")
        try await withClientAPI(service) { client in
            let r = try await client.execute(uri: "/open311/v2/requests.json?service_request_id=\(ids)", method: .get)
            #expect(r.status == .badRequest && r.reason == "service_request_id lists 101 IDs; at most 100")
        }
    }
}
