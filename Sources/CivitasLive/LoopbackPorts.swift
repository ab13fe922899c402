#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free TCP ports on 127.0.0.1, as the kernel hands them out: each node's
/// listen port must be known before any configuration is written, because
/// every node names its community's validators as seeds.
enum LoopbackPorts {
    /// `count` distinct ports the kernel just gave out (all held at once, so none repeats, then released).
    static func free(_ count: Int) throws(LiveCityError) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard fd >= 0 else { throw LiveCityError("cannot open a socket to find a free port (errno \(errno))") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
                }
            }
            guard bound else { throw LiveCityError("cannot bind a socket on 127.0.0.1 to find a free port (errno \(errno))") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
