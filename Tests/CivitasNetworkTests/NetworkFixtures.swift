import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasGossipHarness
import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import X509

/// Communities with real CAs, node certificates written as files (the way a
/// node loads them), and transports on loopback. Certificates are valid
/// around the real clock, because a live handshake checks them at "now".
final class NetworkLab: @unchecked Sendable {
    let directory: URL
    let now = Date()
    private var authorities: [CommunityID: CommunityAuthority] = [:]
    private var revoked: [CommunityID: RevocationList] = [:]
    private var seed: UInt8 = 0

    init(_ name: String, communities: [String] = ["ward-7"], extraCA: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-net-\(name)-\(UInt64.random(in: 0..<UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in communities {
            let community = CommunityID(name)!
            let ca = try CommunityAuthority.create(community: community, days: 30, now: now)
            authorities[community] = ca
            revoked[community] = try ca.revocationList(entries: [], number: 1, now: now, days: 7)
        }
        try writeTrust()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    var bundlePath: String { directory.appendingPathComponent("bundle.pem").path }
    func crlPath(_ community: CommunityID) -> String { directory.appendingPathComponent("\(community.name).crl.pem").path }

    private func writeTrust() throws {
        let bundle = TrustBundle(authorities.values.map(\.ca))
        try bundle.pemString.write(toFile: bundlePath, atomically: true, encoding: .utf8)
        for (community, list) in revoked {
            try list.pemString.write(toFile: crlPath(community), atomically: true, encoding: .utf8)
        }
    }

    /// A node of `community` with `role`, its files written; `validFrom`/`days`
    /// make expired certificates; `issuer` lets a foreign CA sign it.
    struct Node {
        let paths: IdentityPaths
        let certificate: Certificate
        let nodeID: NodeID
        /// The node's ledger key (signs its peer records).
        let ledger: SigningKey
    }

    func node(_ community: String = "ward-7", role: NodeRole = .validator, issuedAt: Date? = nil, days: Int = 20,
              issuer: CommunityAuthority? = nil) throws -> Node {
        seed &+= 1
        let ledger = SigningKey(seed: Bytes32(Array(repeating: seed, count: 32))!)
        let tls = P256.Signing.PrivateKey()
        let ca = issuer ?? authorities[CommunityID(community)!]!
        let certificate = try ca.issue(nodeKey: ledger.publicKey, role: role, tlsKey: tls.publicKey, days: days, now: issuedAt ?? now)
        let base = directory.appendingPathComponent("node-\(seed)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let certPath = base.appendingPathComponent("node.pem").path
        let keyPath = base.appendingPathComponent("tls.key").path
        try CertificateDER.pem(certificate).write(toFile: certPath, atomically: true, encoding: .utf8)
        try tls.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        let paths = IdentityPaths(certificate: certPath, privateKey: keyPath, trustBundle: bundlePath,
                                  revocationLists: authorities.keys.sorted().map(crlPath))
        return Node(paths: paths, certificate: certificate, nodeID: ledger.publicKey.nodeID, ledger: ledger)
    }

    /// Revokes `node` in its community's list and rewrites the file (a running
    /// transport sees it on `reloadCertificates`).
    func revoke(_ node: Node, community: String = "ward-7") throws {
        let c = CommunityID(community)!
        revoked[c] = try authorities[c]!.revoking(node.certificate, in: revoked[c]!, now: now, days: 7)
        try writeTrust()
    }

    /// Test links allow a slow handshake: the whole suite runs in parallel on
    /// two cores, and certificate checks queue behind CPU-heavy tests (a 5 s
    /// hello timeout was missed once in CI).
    static var relaxed: TransportSettings {
        var s = TransportSettings()
        s.helloTimeout = .seconds(60)
        return s
    }

    func transport(_ node: Node, requirements: PeerRequirements? = nil, settings: TransportSettings = NetworkLab.relaxed,
                   log: @escaping @Sendable (TransportLogLine) -> Void = { _ in }) throws -> Transport {
        let store = try TLSCredentialStore(paths: node.paths, requirements: requirements ?? .sameCommunity(CommunityID("ward-7")!))
        return Transport(credentials: store, settings: settings, log: log)
    }
}

/// Collects a transport's events so tests can wait for one.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [TransportEvent] = []
    private var task: Task<Void, Never>?

    init(_ transport: Transport) {
        task = Task { [weak self] in
            for await event in transport.events { self?.append(event) }
        }
    }

    private func append(_ event: TransportEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [TransportEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }

    /// Waits (polling, up to `seconds`) for an event matching `match`.
    @discardableResult
    func wait(seconds: Double = 60, _ what: String = "event", _ match: (TransportEvent) -> Bool) async -> TransportEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let hit = all.first(where: match) { return hit }
            try? await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what); events: \(all)")
        return nil
    }

    func rejections() -> [String] {
        all.compactMap { if case let .rejected(_, reason) = $0 { reason } else { nil } }
    }

    func messages(from node: NodeID) -> [[UInt8]] {
        all.compactMap { if case let .message(from, _, payload) = $0, from == node { payload } else { nil } }
    }
}

/// A bare TLS (or plain TCP) client for the negative cases: it presents
/// whatever certificate it is given (or none) and then writes raw bytes.
final class RawClient: @unchecked Sendable {
    let channel: any Channel

    /// Connects; with `node`, completes a TLS 1.3 handshake presenting its certificate.
    static func connect(port: Int, node: NetworkLab.Node?, tls: Bool = true) async throws -> RawClient {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .none
        if let node {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(node.paths.certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: node.paths.privateKey, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil)) }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawClient(channel: channel)
    }

    private init(channel: any Channel) { self.channel = channel }

    func write(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer).get()
    }

    /// A frame as the transport writes it: 4-byte big-endian length, then the bytes.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + body
    }

    /// Whether the server closed the connection within `seconds`.
    func closedByPeer(within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if !channel.isActive { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !channel.isActive
    }

    func close() async { try? await channel.close() }
}
