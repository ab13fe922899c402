// Framed TLS throughput between two Civitas transports on loopback, beside
// raw TCP and bare NIOSSL between two NIO channels in the same run (issue
// #5: target at least 50% of raw). All three stream the same payloads over
// 127.0.0.1 with the same event loops; "raw" has no TLS, no framing, no
// queues; "bare NIOSSL" is TLS 1.3 with the same certificates and no
// framing, queues or hello (the ceiling for any protocol on NIOSSL).
import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let payloadSize = (arguments.firstIndex(of: "--message-kib").flatMap { Int(arguments[$0 + 1]) } ?? 256) << 10
let totalBytes = (quick ? 256 : 2048) << 20
let rounds = arguments.firstIndex(of: "--rounds").flatMap { Int(arguments[$0 + 1]) } ?? (quick ? 1 : 5)

/// Each link's two ends run on their own event loop thread, the same two for
/// all three links: two nodes, one core each, and no run where both ends of
/// one link happen to share a thread (NIO's shared group hands out its
/// loops round-robin, so which links shared one changed from run to run).
/// `--one-loop` puts both ends of every link on one thread instead.
let oneLoop = arguments.contains("--one-loop")
let senderLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let receiverLoop = oneLoop ? senderLoop : MultiThreadedEventLoopGroup(numberOfThreads: 1)

/// Only one link (`--only raw|bare|civitas`), for profiling.
let only = arguments.firstIndex(of: "--only").map { arguments[$0 + 1] }

/// CPU seconds (user + system, all threads: both ends) this process has used.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Runs `link` over `bytes`; its MB/s and the CPU seconds both ends spent per GiB.
func measured(_ bytes: Int, _ link: (Int) async throws -> Double) async throws -> (rate: Double, cpuPerGiB: Double) {
    let cpu = cpuSeconds()
    let rate = try await link(bytes)
    return (rate, (cpuSeconds() - cpu) / (Double(bytes) / Double(1 << 30)))
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

/// The sender of the raw and bare NIOSSL links, at its best: `bytes` in
/// writes of one message each, handed to the event loop and flushed in
/// batches of up to 256 KiB (as the link drains its queue), up to 4 MiB in
/// flight; a new batch waits only for the oldest to finish, so the pipe
/// never runs dry.
func stream(over channel: any Channel, bytes: Int) async throws {
    let chunk = ByteBuffer(bytes: [UInt8](repeating: 0xAB, count: payloadSize))
    let perBatch = max(1, (256 << 10) / payloadSize)
    let window = max(4, (4 << 20) / (perBatch * payloadSize))
    var inFlight: [EventLoopFuture<Void>] = []
    var oldest = 0
    var sent = 0
    while sent < bytes {
        if inFlight.count - oldest >= window {
            try await inFlight[oldest].get()
            oldest += 1
        }
        let n = min(perBatch, (bytes - sent + payloadSize - 1) / payloadSize)
        inFlight.append(channel.eventLoop.flatSubmit {
            for _ in 1..<n { channel.write(chunk, promise: nil) }
            return channel.writeAndFlush(chunk)
        })
        sent += n * payloadSize
    }
    for f in inFlight[oldest...] { try await f.get() }
}

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
    // The same read sizes the transport uses (a raw pipe at its best).
    let reads = AdaptiveRecvByteBufferAllocator(minimum: 2048, initial: 16 << 10, maximum: 256 << 10)
    let server = try await ServerBootstrap(group: receiverLoop)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.recvAllocator, value: reads)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter.handler()) }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let client = try await ClientBootstrap(group: senderLoop)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connect(host: "127.0.0.1", port: server.localAddress!.port!).get()
    let start = ContinuousClock.now
    try await stream(over: client, bytes: bytes)
    while counter.received.withLock({ $0 }) < bytes { try await Task.sleep(for: .microseconds(200)) }
    let elapsed = seconds(ContinuousClock.now - start)
    try await client.close()
    try await server.close()
    return Double(bytes) / elapsed / 1e6
}

// MARK: Bare NIOSSL

/// The files of one node, as the Civitas transports load them.
struct NodeFiles {
    let certificate: String
    let privateKey: String
    let bundle: String
}

final class CipherSeen: Sendable {
    let name = Mutex<String?>(nil)
}

/// Reads the cipher suite out of the ServerHello (sent in the clear in TLS
/// 1.3) as it passes, so the report can say which AEAD the link uses.
final class ServerHelloPeek: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private var head: [UInt8] = []
    private let found: CipherSeen
    init(_ found: CipherSeen) { self.found = found }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if head.count < 256 {
            let buffer = unwrapInboundIn(data)
            head += buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 256 - head.count)) ?? []
            // record header (5) | handshake type 2 and length (4) | version (2) | random (32) | session id | suite
            if head.count > 44, head[0] == 22, head[5] == 2 {
                let sessionLength = Int(head[43])
                if head.count >= 46 + sessionLength {
                    let suite = UInt16(head[44 + sessionLength]) << 8 | UInt16(head[45 + sessionLength])
                    let name = [0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
                                0x1303: "TLS_CHACHA20_POLY1305_SHA256"][Int(suite)] ?? String(format: "0x%04x", suite)
                    found.name.withLock { $0 = $0 ?? name }
                    head = Array(repeating: 0, count: 256)
                }
            }
        }
        context.fireChannelRead(data)
    }
}

/// Two NIO channels joined by NIOSSL alone: TLS 1.3 only, both sides present
/// the nodes' certificates (the check is a pass-through: it runs once per
/// handshake and this measures the data path), no framing.
struct BareTLS {
    let client: any Channel
    let server: any Channel
    let counter: Counter
    let cipher: String
}

func bareTLSConnect(server serverFiles: NodeFiles, client clientFiles: NodeFiles) async throws -> BareTLS {
    func configuration(_ files: NodeFiles, server: Bool) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem))
        var c = server ? TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
                       : TLSConfiguration.makeClientConfiguration()
        c.certificateChain = chain
        c.privateKey = key
        c.minimumTLSVersion = .tlsv13
        c.maximumTLSVersion = .tlsv13
        c.certificateVerification = .noHostnameVerification
        c.trustRoots = .file(files.bundle)
        return c
    }
    let serverContext = try NIOSSLContext(configuration: configuration(serverFiles, server: true))
    let clientContext = try NIOSSLContext(configuration: configuration(clientFiles, server: false))
    let counter = Counter()
    let reads = AdaptiveRecvByteBufferAllocator(minimum: 2048, initial: 16 << 10, maximum: 256 << 10)
    let server = try await ServerBootstrap(group: receiverLoop)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelOption(.recvAllocator, value: reads)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext, customVerificationCallback: { _, promise in
                    promise.succeed(.certificateVerified)
                }))
                try channel.pipeline.syncOperations.addHandler(counter.handler())
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let cipher = CipherSeen()
    let client = try await ClientBootstrap(group: senderLoop)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelOption(.recvAllocator, value: reads)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ServerHelloPeek(cipher))
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: clientContext, serverHostname: nil, customVerificationCallback: { _, promise in
                        promise.succeed(.certificateVerified)
                    }))
            }
        }
        .connect(host: "127.0.0.1", port: server.localAddress!.port!).get()
    // One byte through, so the handshake is done before any timing.
    try await client.writeAndFlush(ByteBuffer(bytes: [1])).get()
    while counter.received.withLock({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(1)) }
    return BareTLS(client: client, server: server, counter: counter, cipher: cipher.name.withLock { $0 } ?? "unknown")
}

func bareTLS(_ link: BareTLS, bytes: Int) async throws -> Double {
    let target = link.counter.received.withLock { $0 } + bytes
    let start = ContinuousClock.now
    try await stream(over: link.client, bytes: bytes)
    while link.counter.received.withLock({ $0 }) < target { try await Task.sleep(for: .microseconds(200)) }
    return Double(bytes) / seconds(ContinuousClock.now - start) / 1e6
}

// MARK: Civitas TLS transport

struct Pair {
    let sender: Transport
    let receiver: Transport
    let receiverID: NodeID
    /// The two nodes' files (sender first), for the bare NIOSSL link.
    let files: [NodeFiles]
}

func makePair(directory: URL) async throws -> Pair {
    let now = Date()
    let community = CommunityID("bench")!
    let ca = try CommunityAuthority.create(community: community, days: 2, now: now)
    let bundle = directory.appendingPathComponent("bundle.pem").path
    try TrustBundle([ca.ca]).pemString.write(toFile: bundle, atomically: true, encoding: .utf8)
    var transports: [Transport] = []
    var ids: [NodeID] = []
    var files: [NodeFiles] = []
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
        transports.append(Transport(credentials: store, settings: settings, group: seed == 1 ? senderLoop : receiverLoop))
        ids.append(ledger.publicKey.nodeID)
        files.append(NodeFiles(certificate: cert, privateKey: key, bundle: bundle))
    }
    // A node consumes its events; the benchmark drops the payloads as they arrive.
    for t in transports {
        let events = t.events
        Task { for await _ in events {} }
    }
    let port = try await transports[1].listen(host: "127.0.0.1", port: 0)
    try await transports[0].connect(host: "127.0.0.1", port: port)
    return Pair(sender: transports[0], receiver: transports[1], receiverID: ids[1], files: files)
}

func tls(pair: Pair, bytes: Int) async throws -> Double {
    let target = pair.receiver.traffic.bytesReceived + bytes
    let payload = [UInt8](repeating: 0xAB, count: payloadSize)
    let start = ContinuousClock.now
    var sent = 0
    while sent < bytes {
        switch pair.sender.send(payload, to: pair.receiverID, traffic: .bulk) {
        case .queued: sent += payloadSize
        // The queue holds 64 MiB (tens of milliseconds of traffic): polling it
        // every millisecond keeps it from running dry without stealing the CPU.
        case .queueFull: try await Task.sleep(for: .milliseconds(1))
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
print(oneLoop ? "threads: both ends of each link on one event loop thread (--one-loop)."
              : "threads: sender and receiver each on its own event loop thread, the same two for every link.")
print("raw: plain TCP between two NIO channels, the same bytes, no framing.")
print("bare NIOSSL: TLS 1.3 between two NIO channels (swift-nio-ssl, BoringSSL), both sides presenting the same P-256 certificates, no framing: the ceiling for TLS on NIOSSL.")
print("Civitas: two transports, TLS 1.3 with mutual authentication, Civitas frames, per-peer queue, bulk class, payloads delivered to the node.")
let pair = try await makePair(directory: directory)
let bare = try await bareTLSConnect(server: pair.files[1], client: pair.files[0])
print("cipher suite negotiated (bare NIOSSL, same library and settings as the transport): \(bare.cipher)")
_ = try await tls(pair: pair, bytes: 64 << 20) // warm up
_ = try await bareTLS(bare, bytes: 64 << 20)
_ = try await rawTCP(bytes: 64 << 20)
var tlsRates: [Double] = [], bareRates: [Double] = [], rawRates: [Double] = [], ratios: [Double] = [], bareRatios: [Double] = []
var tlsCPU: [Double] = [], bareCPU: [Double] = [], rawCPU: [Double] = []
func mbs(_ x: Double) -> String { String(format: "%.0f", x) }
func cpu(_ x: Double) -> String { String(format: "%.2f", x) }
if let only {
    // Profiling: one link, the rounds asked for, nothing else.
    for round in 1...rounds {
        let r = switch only {
        case "raw": try await measured(totalBytes, rawTCP)
        case "bare": try await measured(totalBytes) { try await bareTLS(bare, bytes: $0) }
        default: try await measured(totalBytes) { try await tls(pair: pair, bytes: $0) }
        }
        print("round \(round): \(only) \(mbs(r.rate)) MB/s, \(cpu(r.cpuPerGiB)) CPU s/GiB")
    }
    exit(0)
}
for round in 1...rounds {
    let raw = try await measured(totalBytes, rawTCP)
    let b = try await measured(totalBytes) { try await bareTLS(bare, bytes: $0) }
    let t = try await measured(totalBytes) { try await tls(pair: pair, bytes: $0) }
    rawRates.append(raw.rate); bareRates.append(b.rate); tlsRates.append(t.rate)
    ratios.append(t.rate / raw.rate); bareRatios.append(b.rate / raw.rate)
    rawCPU.append(raw.cpuPerGiB); bareCPU.append(b.cpuPerGiB); tlsCPU.append(t.cpuPerGiB)
    print("round \(round): raw \(mbs(raw.rate)) MB/s, bare NIOSSL \(mbs(b.rate)) MB/s (\(mbs(100 * b.rate / raw.rate))%), Civitas \(mbs(t.rate)) MB/s (\(mbs(100 * t.rate / raw.rate))% of raw, \(mbs(100 * t.rate / b.rate))% of bare); CPU s/GiB raw \(cpu(raw.cpuPerGiB)), bare \(cpu(b.cpuPerGiB)), Civitas \(cpu(t.cpuPerGiB))")
}
let percent = 100 * median(ratios)
print("| link | MB/s (median) | % of raw (median of per-round ratios) | CPU s per GiB, both ends (median) |")
print("|---|---:|---:|---:|")
print("| raw TCP | \(mbs(median(rawRates))) | 100 | \(cpu(median(rawCPU))) |")
print("| bare NIOSSL | \(mbs(median(bareRates))) | \(mbs(100 * median(bareRatios))) | \(cpu(median(bareCPU))) |")
print("| Civitas TLS frames | \(mbs(median(tlsRates))) | \(mbs(percent)) | \(cpu(median(tlsCPU))) |")
print("target: TLS at least 50% of raw TCP: \(mbs(percent))% (median of per-round ratios), \(percent >= 50 ? "met" : "NOT met")")
print("tls: \(mbs(percent))% of raw tcp")
try await bare.client.close().get()
try await bare.server.close().get()
await pair.sender.shutdown()
await pair.receiver.shutdown()
