import CivitasGossip
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasNodeCore
import Foundation
import NIOCore
public import Logging

/// Builds the node's runtime from a validated configuration: loads the keys,
/// the genesis document and the TLS identity, opens storage, listens for
/// peers, and returns the pieces the service group runs (nothing runs yet
/// except the listener).
public func makeNodeRuntime(configuration c: NodeConfiguration, logger: Logger, metrics: NodeMetrics) async throws -> NodeRuntimeParts {
    let nodeKey: SigningKey
    do {
        nodeKey = try SigningKey(pem: try String(contentsOfFile: c.node.keyFile, encoding: .utf8))
    } catch {
        throw NodeRuntimeError("node.key_file \(c.node.keyFile): not an Ed25519 private key: \(error)")
    }
    var anchoringKey: SigningKey?
    if let file = c.federation.anchoringKeyFile {
        do {
            anchoringKey = try SigningKey(pem: try String(contentsOfFile: file, encoding: .utf8))
        } catch {
            throw NodeRuntimeError("federation.anchoring_key_file \(file): not an Ed25519 private key: \(error)")
        }
    }
    let genesis: GenesisDocument
    do {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: c.genesisFile)))
        genesis = try GenesisDocument(encoded: bytes)
    } catch {
        throw NodeRuntimeError("genesis.file \(c.genesisFile): not a genesis document: \(error)")
    }
    guard genesis.community == c.node.community else {
        throw NodeRuntimeError("genesis.file \(c.genesisFile) is for community '\(genesis.community)', node.community is '\(c.node.community)'")
    }
    let role: NodeCoreRole = switch c.node.role {
    case .validator: .validator
    case .learner: .learner
    case .observer: .observer
    case .gateway: .gateway
    }
    let certificateRole: NodeRole = switch c.node.role {
    case .validator, .learner: .validator
    case .observer: .observer
    case .gateway: .gateway
    }
    let requirements: PeerRequirements = certificateRole == .gateway
        ? .gateway(of: c.node.community) : .node(of: c.node.community, role: certificateRole)
    var revocations: [String] = []
    if let dir = c.tls.revocationDirectory {
        revocations = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }
    let paths = IdentityPaths(certificate: c.tls.certificateFile, privateKey: c.tls.keyFile,
                              trustBundle: c.tls.trustBundle ?? c.tls.caFile, revocationLists: revocations)
    let credentials: TLSCredentialStore
    do {
        credentials = try TLSCredentialStore(paths: paths, requirements: requirements)
    } catch {
        throw NodeRuntimeError("tls: \(error)")
    }
    let identity = credentials.credentials.snapshot.node.identity
    guard identity.nodeID == NodeID(deriving: nodeKey.publicKey) else {
        throw NodeRuntimeError("tls.cert_file \(c.tls.certificateFile) names node \(identity.nodeID), but node.key_file is the key of \(NodeID(deriving: nodeKey.publicKey))")
    }
    let linkLogger = logger.with(label: "civitas.network")
    let transport = Transport(credentials: credentials, log: { line in
        switch line.level {
        case .debug: linkLogger.debug("\(line.message)")
        case .warning: linkLogger.warning("\(line.message)")
        }
    })
    let port: Int
    do {
        port = try await transport.listen(host: c.network.listen.host, port: c.network.listen.port)
    } catch let error as IOError {
        throw ListenAddressError(key: "network.listen", address: c.network.listen, underlying: error)
    }
    let advertised = c.network.advertise ?? HostPort(host: c.network.listen.host == "0.0.0.0" ? "127.0.0.1" : c.network.listen.host, port: port)
    let now = Timestamp(Date().timeIntervalSince1970 * 1000)
    let record = PeerRecord(key: nodeKey, community: c.node.community, role: certificateRole, addresses: [advertised.description],
                            sequence: now, time: now)
    try FileManager.default.createDirectory(atPath: c.node.dataDirectory, withIntermediateDirectories: true)
    let gossipLogger = logger.with(label: "civitas.gossip")
    // The addresses learnt from peers, kept across restarts (a damaged file is moved aside; the seeds still work).
    let bookFile = AddressBookFile(path: c.node.dataDirectory + "/peers.book")
    let book = bookFile.loadOrQuarantine { gossipLogger.warning("\($0)") }
    let links = LinkMultiplexer(transport: transport)
    var settings = NodeCoreSettings()
    settings.mempool = c.mempool
    settings.blockInterval = c.blocks.intervalMillis.map { .milliseconds($0) }
    settings.maxBlockTransactions = c.blocks.maxTransactions
    settings.maxBlockBytes = c.blocks.maxBytes
    if let seconds = c.federation.referralResendSeconds { settings.referralResend = .seconds(seconds) }
    // TLS over TCP: a message queued on a link that stays open arrives.
    settings.plumtree.reliableLinks = true
    // The core runs the community's membership (from these seeds and the saved book) and dissemination.
    let communityGossip = NodeGossipConfiguration(record: record, seeds: c.network.seeds.map(\.description), addressBook: book)
    var parameters = NodeRuntime.Parameters(dataDirectory: c.node.dataDirectory, genesis: genesis, nodeKey: nodeKey, role: role,
                                            settings: settings, certificateNotAfter: identity.notAfter, health: c.health,
                                            learnerKeys: c.raft.learners, gossip: communityGossip, anchoringKey: anchoringKey)
    parameters.anchorsFrom = c.federation.anchorsFrom
    let runtime = try NodeRuntime(parameters: parameters, links: links, addressBook: bookFile, logger: logger, metrics: metrics)
    logger.info("listening for peers", metadata: ["address": "\(advertised)", "node_id": "\(identity.nodeID)"])
    let reloadLogger = logger
    return NodeRuntimeParts(service: runtime, runtime: runtime, reload: {
        do {
            let changes = try await transport.reloadCertificates()
            await transport.recheckLinks()
            metrics.certificatesReloaded(success: true)
            reloadLogger.notice("certificates reloaded", metadata: ["changes": "\(changes.count)"])
        } catch {
            metrics.certificatesReloaded(success: false)
            reloadLogger.error("certificate reload failed; the old certificates stay in force", metadata: ["error": "\(error)"])
        }
    })
}

extension NodeMetrics: RuntimeMetrics {}
