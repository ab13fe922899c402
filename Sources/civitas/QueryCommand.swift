import ArgumentParser
import CivitasNode
import Foundation

/// `civitas query <what> …`: the client API's GET endpoints, printed as text or JSON.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Query a node: subjects, notices, proposals, service requests, providers, volunteers, blocks, checkpoints, transactions.",
        discussion: """
        WHAT is one of:
          subject ID|KEY          notices [--category C] [--limit N]   notice ID
          proposals               proposal ID                           service-requests [--status S] [--limit N]
          service-request ID      providers                             provider SUBJECT
          volunteers [--limit N]  volunteer SUBJECT                     block HEIGHT|head
          checkpoints [--community NAME]                                transaction ID
        """)

    @Argument(help: "What to query (see above).") var what: String
    @Argument(help: "The ID, subject, key or height, where WHAT needs one.") var argument: String?
    @Option(help: "The node's client API.") var node = "http://127.0.0.1:8080"
    @Option(help: "A notice category.") var category: String?
    @Option(help: "A service request status.") var status: String?
    @Option(help: "At most this many items.") var limit: Int?
    @Option(help: "The community whose checkpoints to list.") var community: String?
    @Flag(help: "Print the node's JSON answer.") var json = false

    func run() async throws {
        let path = try Self.path(what: what, argument: argument, query: [
            ("category", category), ("status", status), ("limit", limit.map(String.init)), ("community", community),
        ])
        guard let client = NodeHTTPClient(base: node) else { throw ToolError("--node '\(node)' is not an http:// URL") }
        let answer: NodeHTTPClient.Answer
        do { answer = try await client.get(path) } catch { throw ToolError("\(error)") }
        guard answer.status == 200 else { throw ToolError("\(answer.status): \(answer.reason)") }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: answer.body) else { throw ToolError("the answer is not JSON") }
        if json {
            print(String(decoding: answer.body, as: UTF8.self))
        } else {
            print(Self.render(value, indent: "").joined(separator: "\n"))
        }
    }

    static func path(what: String, argument: String?, query: [(String, String?)]) throws -> String {
        func needs(_ name: String) throws -> String {
            guard let a = argument, !a.isEmpty else { throw ToolError("query \(what) needs \(name)") }
            guard a.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw ToolError("'\(a)' is not a valid \(name)") }
            return a
        }
        let base: String
        switch what {
        case "subject": base = "/v1/subjects/" + (try needs("a subject ID or key"))
        case "notices": base = "/v1/notices"
        case "notice": base = "/v1/notices/" + (try needs("a notice ID"))
        case "proposals": base = "/v1/proposals"
        case "proposal": base = "/v1/proposals/" + (try needs("a proposal ID"))
        case "service-requests": base = "/v1/service-requests"
        case "service-request": base = "/v1/service-requests/" + (try needs("a request ID"))
        case "providers": base = "/v1/providers"
        case "provider": base = "/v1/providers/" + (try needs("a subject"))
        case "volunteers": base = "/v1/volunteers"
        case "volunteer": base = "/v1/volunteers/" + (try needs("a subject"))
        case "block": base = "/v1/blocks/" + (try needs("a height or 'head'"))
        case "checkpoints": base = "/v1/checkpoints"
        case "transaction", "tx": base = "/v1/transactions/" + (try needs("a transaction ID"))
        default: throw ToolError("unknown query '\(what)' (see civitas query --help)")
        }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return items.isEmpty ? base : base + "?" + items.joined(separator: "&")
    }

    /// JSON as indented `key: value` lines; lists as numbered blocks.
    static func render(_ value: JSONValue, indent: String) -> [String] {
        switch value {
        case let .object(object):
            var lines: [String] = []
            for key in object.keys.sorted() {
                let v = object[key]!
                if v.isNested {
                    lines.append("\(indent)\(key):")
                    lines += render(v, indent: indent + "  ")
                } else {
                    lines.append("\(indent)\(key): \(v.scalarText)")
                }
            }
            return lines
        case let .array(array):
            if array.isEmpty { return ["\(indent)(none)"] }
            return array.enumerated().flatMap { i, item in ["\(indent)[\(i + 1)]"] + render(item, indent: indent + "  ") }
        default:
            return ["\(indent)\(value.scalarText)"]
        }
    }
}

/// Any JSON value, decoded so booleans stay apart from numbers.
enum JSONValue: Decodable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Objects, and arrays holding objects or arrays, print on lines of their own.
    var isNested: Bool {
        switch self {
        case .object: return true
        case let .array(a): return a.contains { if case .object = $0 { return true }; if case .array = $0 { return true }; return false }
        default: return false
        }
    }

    var scalarText: String {
        switch self {
        case .null: return "-"
        case let .bool(b): return b ? "yes" : "no"
        case let .integer(i): return String(i)
        case let .number(d): return String(d)
        case let .string(s): return s
        case let .array(a): return a.isEmpty ? "(none)" : a.map(\.scalarText).joined(separator: ", ")
        case .object: return "{…}"
        }
    }
}
