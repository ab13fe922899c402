// Framed TLS throughput between two Civitas transports on loopback, beside
// raw TCP between two NIO channels in the same run (issue #5: target at
// least 50% of raw). Both stream the same payloads over 127.0.0.1 with the
// same event loops; "raw" has no TLS, no framing, no queues.
import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import Crypto
import Foundation
import NIOCore
import NIOPosix
import Synchronization

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let payloadSize = (arguments.firstIndex(of: "--message-kib").flatMap { Int(arguments[$0 + 1]) } ?? 256) << 10
let totalBytes = (quick ? 256 : 2048) << 20
let rounds = quick ? 1 : 5

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

// MARK: Raw TCP

final class Counter: Sendable {
    let received = Mutex(0)
    func handler() -> Sink { Sink(self) }
}

final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let counter: Counter
    init(_ counter: Counter) { self.counter = counter }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let n = unwrapInboundIn(data).readableBytes
        counter.received.withLock { $0 += n }
    }
}

func rawTCP(bytes: Int) async throws -> Double {
    let counter = Counter()
    let group = MultiThreadedEventLoopGroup.singleton
    // The same read sizes the transport uses (a raw pipe at its best).
    let reads = AdaptiveRecvByteBufferAllocator(minimum: 2048, initial: 16 << 10, maximum: 256 << 10)
    let server = try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.recvAllocator, value: reads)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter.handler()) }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let client = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connect(host: "127.0.0.1", port: server.localAddress!.port!).get()
    let chunk = ByteBuffer(bytes: [UInt8](repeating: 0xAB, count: payloadSize))
    let start = ContinuousClock.now
    var sent = 0
    while sent < bytes {
        // Keep up to 4 MiB of writes in flight, like a sender honouring writability.
        var futures: [EventLoopFuture<Void>] = []
        for _ in 0..<max(4, (4 << 20) / payloadSize) where sent < bytes {
            futures.append(client.write(chunk))
            sent += payloadSize
        }
        client.flush()
        for f in futures { try await f.get() }
    }
    while counter.received.withLock({ $0 }) < bytes { try await Task.sleep(for: .microseconds(200)) }
    let elapsed = seconds(ContinuousClock.now - start)
    try await client.close()
    try await server.close()
    return Double(bytes) / elapsed / 1e6
}

// MARK: Civitas TLS transport

struct Pair {
    let sender: Transport
    let receiver: Transport
    let receiverID: NodeID
}

func makePair(directory: URL) async throws -> Pair {
    let now = Date()
    let community = CommunityID("bench")!
    let ca = try CommunityAuthority.create(community: community, days: 2, now: now)
    let bundle = directory.appendingPathComponent("bundle.pem").path
    try TrustBundle([ca.ca]).pemString.write(toFile: bundle, atomically: true, encoding: .utf8)
    var transports: [Transport] = []
    var ids: [NodeID] = []
    for seed in UInt8(1)...2 {
        let ledger = SigningKey(seed: Bytes32(Array(repeating: seed, count: 32))!)
        let tls = P256.Signing.PrivateKey()
        let certificate = try ca.issue(nodeKey: ledger.publicKey, role: .validator, tlsKey: tls.publicKey, days: 1, now: now)
        let cert = directory.appendingPathComponent("node\(seed).pem").path
        let key = directory.appendingPathComponent("node\(seed).key").path
        try CertificateDER.pem(certificate).write(toFile: cert, atomically: true, encoding: .utf8)
        try tls.pemRepresentation.write(toFile: key, atomically: true, encoding: .utf8)
        let store = try TLSCredentialStore(paths: IdentityPaths(certificate: cert, privateKey: key, trustBundle: bundle, revocationLists: []),
                                           requirements: .sameCommunity(community))
        var settings = TransportSettings()
        settings.inboundBytesPerSecond = 1e12 // measuring the link, not the flood guard
        settings.inboundFramesPerSecond = 1e9
        transports.append(Transport(credentials: store, settings: settings))
        ids.append(ledger.publicKey.nodeID)
    }
    // A node consumes its events; the benchmark drops the payloads as they arrive.
    for t in transports {
        let events = t.events
        Task { for await _ in events {} }
    }
    let port = try await transports[1].listen(host: "127.0.0.1", port: 0)
    try await transports[0].connect(host: "127.0.0.1", port: port)
    return Pair(sender: transports[0], receiver: transports[1], receiverID: ids[1])
}

func tls(pair: Pair, bytes: Int) async throws -> Double {
    let target = pair.receiver.traffic.bytesReceived + bytes
    let payload = [UInt8](repeating: 0xAB, count: payloadSize)
    let start = ContinuousClock.now
    var sent = 0
    while sent < bytes {
        switch pair.sender.send(payload, to: pair.receiverID, traffic: .bulk) {
        case .queued: sent += payloadSize
        case .queueFull: try await Task.sleep(for: .microseconds(100))
        case .noLink: throw CancellationError()
        }
    }
    // Payload bytes arrived (frame overhead: 6 bytes per 64 KiB frame, counted on both sides alike).
    while pair.receiver.traffic.bytesReceived < target { try await Task.sleep(for: .microseconds(200)) }
    return Double(bytes) / seconds(ContinuousClock.now - start) / 1e6
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-tls-bench-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

print("## Framed TLS throughput vs raw TCP (loopback, one connection, \(payloadSize >> 10) KiB messages, \(totalBytes >> 20) MiB per run, \(rounds) rounds alternating)")
print("TLS: TLS 1.3 (BoringSSL via swift-nio-ssl), mutual authentication, P-256 certificates; Civitas frames, per-peer queue, bulk class.")
print("raw: plain TCP between two NIO channels, the same bytes, no framing.")
let pair = try await makePair(directory: directory)
_ = try await tls(pair: pair, bytes: 64 << 20) // warm up
_ = try await rawTCP(bytes: 64 << 20)
var tlsRates: [Double] = [], rawRates: [Double] = [], ratios: [Double] = []
for round in 1...rounds {
    let raw = try await rawTCP(bytes: totalBytes)
    let t = try await tls(pair: pair, bytes: totalBytes)
    rawRates.append(raw); tlsRates.append(t); ratios.append(t / raw)
    print("round \(round): raw \(String(format: "%.0f", raw)) MB/s, tls \(String(format: "%.0f", t)) MB/s, \(String(format: "%.0f", 100 * t / raw))%")
}
let percent = 100 * median(ratios)
print("| link | MB/s (median) |")
print("|---|---:|")
print("| raw TCP | \(String(format: "%.0f", median(rawRates))) |")
print("| Civitas TLS frames | \(String(format: "%.0f", median(tlsRates))) |")
print("target: TLS at least 50% of raw TCP: \(String(format: "%.0f", percent))% (median of per-round ratios), \(percent >= 50 ? "met" : "NOT met")")
print("tls: \(String(format: "%.0f", percent))% of raw tcp")
await pair.sender.shutdown()
await pair.receiver.shutdown()
