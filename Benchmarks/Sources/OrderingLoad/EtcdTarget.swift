// etcd in its native protocol: KV.Put over gRPC (HTTP/2, plaintext on
// loopback), through grpc-swift-2 with a hand-written protobuf codec for the
// one message (no generated code, no protoc).
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import Synchronization

/// etcdserverpb.PutRequest with only `key` (field 1) and `value` (field 2) set.
struct PutRequest: Sendable {
    var key: [UInt8]
    var value: [UInt8]

    /// Protobuf wire format: tag, varint length, bytes, for each field.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.count + value.count + 12)
        func field(_ number: UInt8, _ bytes: [UInt8]) {
            out.append(number << 3 | 2)  // wire type 2: length-delimited
            var n = UInt64(bytes.count)
            while n >= 0x80 { out.append(UInt8(n & 0x7f) | 0x80); n >>= 7 }
            out.append(UInt8(n))
            out.append(contentsOf: bytes)
        }
        field(1, key)
        field(2, value)
        return out
    }
}

struct PutRequestSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: PutRequest) throws -> Bytes {
        Bytes(message.encoded())
    }
}

/// The PutResponse is not decoded (a header with revision numbers): only its size is kept.
struct RawResponseDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Int {
        serializedMessageBytes.count
    }
}

final class EtcdTarget: Target {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>
    let name = "etcd"
    let endpoints: [(host: String, port: Int)]
    let clients: [Client]
    let runners: [Task<Void, Never>]
    let value: [UInt8]
    /// Distinct keys across phases ("bench/<phase>/<lane>/<seq>").
    let phase = Atomic<Int>(0)
    let timeout: Duration

    static let put = MethodDescriptor(fullyQualifiedService: "etcdserverpb.KV", method: "Put", type: .unary)

    /// `connections` gRPC clients (each one HTTP/2 connection), spread over `endpoints` round robin.
    init(endpoints: [(host: String, port: Int)], connections: Int, valueSize: Int, timeout: Duration) throws {
        self.endpoints = endpoints
        self.timeout = timeout
        var clients: [Client] = []
        for c in 0..<connections {
            let ep = endpoints[c % endpoints.count]
            // See PingResponder: without it swift-nio-http2 drops the connection
            // to etcd several times a second under load.
            let config = HTTP2ClientTransport.Posix.Config.defaults { c in
                c.channelDebuggingCallbacks.onCreateTCPConnection = { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(PingResponder(), position: .first) }
                }
            }
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: ep.host, port: ep.port), transportSecurity: .plaintext, config: config)
            clients.append(GRPCClient(transport: transport))
        }
        self.clients = clients
        runners = clients.map { client in
            Task {
                do { try await client.runConnections() } catch { print("etcd: gRPC connection ended: \(error)") }
            }
        }
        // Incompressible bytes, the same for every write (etcd does not compress values).
        var rng = SplitMix64(seed: 0x6574_6364)
        value = (0..<valueSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func routing(lanes: Int) -> String {
        let where_ = endpoints.count == 1 ? "\(endpoints[0].host):\(endpoints[0].port)" : "\(endpoints.count) members"
        return "gRPC KV.Put to \(where_) over \(min(lanes, clients.count)) HTTP/2 connections, \(value.count)-byte values"
    }

    func makeLanes(count: Int, budget: Int) async throws -> [any Lane] {
        let p = phase.add(1, ordering: .relaxed).newValue
        return (0..<count).map { l in
            EtcdLane(client: clients[l % clients.count], prefix: Array("bench/\(p)/\(l)/".utf8), value: value, timeout: timeout)
        }
    }

    func closeLanes(_ lanes: [any Lane]) async {}

    func shutdown() async {
        for c in clients { c.beginGracefulShutdown() }
        for r in runners { await r.value }
    }
}

final class EtcdLane: Lane {
    let client: EtcdTarget.Client
    let prefix: [UInt8]
    let value: [UInt8]
    let options: CallOptions
    let seq = Atomic<Int>(0)

    init(client: EtcdTarget.Client, prefix: [UInt8], value: [UInt8], timeout: Duration) {
        self.client = client
        self.prefix = prefix
        self.value = value
        var o = CallOptions.defaults
        o.timeout = timeout
        options = o
    }

    func send() async -> Outcome {
        let n = seq.add(1, ordering: .relaxed).newValue
        let request = PutRequest(key: prefix + Array(String(n).utf8), value: value)
        do {
            _ = try await client.unary(
                request: ClientRequest(message: request), descriptor: EtcdTarget.put,
                serializer: PutRequestSerializer(), deserializer: RawResponseDeserializer(), options: options
            ) { response in try response.message }
            return .ok
        } catch let error as RPCError {
            return .failed("gRPC \(error.code): \(error.message)" + (traceErrors ? " cause: \(String(describing: error.cause))" : ""))
        } catch {
            return .failed("\(error)")
        }
    }
}

/// A small deterministic generator for filler bytes (not for keys).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
