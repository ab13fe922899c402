/// What one HTTP server of the node (the client API or the admin API) allows
/// a connection. A node's client API faces strangers: every connection costs
/// a file descriptor, so none may be held for free and none may pile up.
/// Read from node.toml's `[api]` section; the defaults are safe for a node on
/// the open network.
public struct HTTPServerLimits: Sendable, Equatable {
    /// A request's head (from the connection's start) and then its whole
    /// body (from its head) must arrive within this. A client that sends its
    /// headers or body a byte at a time (slowloris) is closed, as is one that
    /// announces a longer body than it sends.
    public var readTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(30)
    /// A response the client does not read (the socket's send buffer stays
    /// full) is abandoned and its connection closed after this.
    public var writeTimeout: Duration = .seconds(10)
    /// Open connections, at most. Beyond it the server stops accepting (new
    /// connections wait in the kernel's backlog, then are refused), so the
    /// node never runs out of file descriptors.
    public var maxConnections: Int = 512
    /// Open connections from one remote address, at most; further ones are
    /// closed at once. Residents behind one carrier NAT share an address, so
    /// this stays well above what one household's browser opens.
    public var maxConnectionsPerAddress: Int = 64
    /// The request line and headers together, at most (431 beyond).
    public var maxHeaderBytes: Int = 16 << 10

    public init() {}

    /// The admin API's defaults: the same timeouts, few connections (it is for operators and Prometheus).
    public static var admin: HTTPServerLimits {
        var limits = HTTPServerLimits()
        limits.maxConnections = 32
        limits.maxConnectionsPerAddress = 32
        return limits
    }
}
