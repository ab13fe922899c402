import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// One of the node's HTTP servers (the client API or the admin API) with its
/// connection limits (`HTTPServerLimits`, enforced by `HTTPConnectionGuard`),
/// optional TLS whose certificate reloads on SIGHUP, and a bind error that
/// names the configuration key and address.
public struct NodeHTTPServer: Service {
    /// The server's certificate and key (PEM files), re-read by `reload()`.
    public struct TLSFiles: Sendable, Equatable {
        public var certificateFile: String
        public var keyFile: String
        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// The configuration key naming the listen address, for error messages (`api.client_listen`).
    public let key: String
    public let address: HostPort
    private let application: any Service
    private let tls: ReloadableTLSContext?

    /// A server for `router` on `address`. Throws if the TLS files cannot be read.
    public init(router: Router<BasicRequestContext>, key: String, address: HostPort, name: String,
                limits: HTTPServerLimits, tls tlsFiles: TLSFiles? = nil, metrics: NodeMetrics? = nil,
                logger: Logger, onRunning: @escaping @Sendable (_ port: Int) -> Void = { _ in }) throws {
        self.key = key
        self.address = address
        let ledger = ConnectionLedger(perAddress: limits.maxConnectionsPerAddress)
        let shed: @Sendable (ShedReason) -> Void = { reason in
            metrics?.httpConnectionShed(server: name, reason: reason.rawValue)
        }
        var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        decoder.maxHeaderListSize = limits.maxHeaderBytes
        decoder.maxHeaderFieldSize = limits.maxHeaderBytes
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPConnectionGuard(limits: limits, ledger: ledger, shed: shed)],
            idleTimeout: nil, httpDecoderConfiguration: decoder)
        let tls = try tlsFiles.map { try ReloadableTLSContext(files: $0) }
        self.tls = tls
        let server: HTTPServerBuilder = HTTPServerBuilder { responder in
            let channel = HTTP1Channel(responder: responder, configuration: http1)
            guard let tls else { return channel }
            return ReloadableTLSChannel(base: channel, context: tls)
        }
        application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: name,
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? address.port) },
            logger: logger)
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch let error as IOError {
            throw ListenAddressError(key: key, address: address, underlying: error)
        }
    }

    /// Re-reads the certificate and key; new connections use them. Nil without TLS.
    public func reload() throws -> Void? {
        try tls?.reload()
    }
}

/// A listener could not start: the message names the configuration key and the address.
public struct ListenAddressError: Error, CustomStringConvertible {
    public let key: String
    public let address: HostPort
    let underlying: IOError

    public var description: String {
        if underlying.errnoCode == EADDRINUSE {
            return "\(key) = \"\(address)\": the address is already in use (another node or program listens there); choose another port in node.toml"
        }
        if underlying.errnoCode == EADDRNOTAVAIL {
            return "\(key) = \"\(address)\": no network interface of this host has that address"
        }
        if underlying.errnoCode == EACCES {
            return "\(key) = \"\(address)\": not permitted (ports below 1024 need privileges)"
        }
        return "\(key) = \"\(address)\": \(underlying)"
    }
}

/// The TLS context of a server, replaced whole on reload.
final class ReloadableTLSContext: Sendable {
    let files: NodeHTTPServer.TLSFiles
    private let current: Mutex<NIOSSLContext>

    init(files: NodeHTTPServer.TLSFiles) throws {
        self.files = files
        current = Mutex(try Self.load(files))
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    func reload() throws {
        let fresh = try Self.load(files)
        current.withLock { $0 = fresh }
    }

    static func load(_ files: NodeHTTPServer.TLSFiles) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateFile)
        } catch {
            throw NodeRuntimeError("api.tls_cert_file \(files.certificateFile): not a PEM certificate chain (\(error))")
        }
        do {
            key = try NIOSSLPrivateKey(file: files.keyFile, format: .pem)
        } catch {
            throw NodeRuntimeError("api.tls_key_file \(files.keyFile): not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw NodeRuntimeError("api.tls_cert_file and api.tls_key_file do not make a TLS server context (does the key match the certificate?): \(error)")
        }
    }
}

/// TLS in front of an HTTP/1 child channel, with the context current when each connection opens.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel, HTTPChannelHandler where Base: HTTPChannelHandler {
    typealias Value = Base.Value
    let base: Base
    let context: ReloadableTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    var responder: HTTPChannelHandler.Responder { base.responder }
}
