public import CivitasLedger

extension NodeConfiguration {
    /// A commented configuration that `NodeConfiguration` accepts once genesis.civ and the certificate exist.
    public static func skeleton(community: CommunityID, role: Role, listen: String, seeds: [HostPort] = [],
                                clientListen: HostPort = API().clientListen, adminListen: HostPort = API().adminListen) -> String {
        let seedList = seeds.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
        # Civitas node configuration (docs/api.md lists every key).
        # Relative paths are resolved against this file's directory.

        [node]
        data_dir = "data"
        role = "\(role.rawValue)"          # validator, learner, observer or gateway
        community = "\(community.name)"
        key_file = "node.key"           # the node's Ed25519 ledger key

        [network]
        listen = "\(listen)"
        seeds = [\(seedList)]                      # peers to contact first, e.g. ["10.0.0.2:7000", "10.0.0.3:7000"]
        # advertise = "203.0.113.5:7000"

        [tls]
        ca_file = "tls/ca.pem"
        cert_file = "tls/node.pem"
        key_file = "tls/tls.key"
        # trust_bundle = "tls/federation.pem"   # other communities' CAs (gateways)
        # crl_dir = "tls/crl"

        [api]
        client_listen = "\(clientListen)"
        admin_listen = "\(adminListen)"  # keep on localhost
        # read_timeout_ms = 10000, idle_timeout_ms = 30000, write_timeout_ms = 10000
        # max_connections = 512, max_connections_per_address = 64, admin_max_connections = 32, max_header_bytes = 16384
        # tls_cert_file = "tls/api.pem", tls_key_file = "tls/api.key"   # HTTPS for residents (docs/api.md)

        [genesis]
        file = "genesis.civ"

        [log]
        format = "logfmt"               # or "json"
        level = "info"

        [health]
        min_peers = 1
        max_lag_blocks = 10
        disk_free_percent = 5
        cert_warn_days = 14

        # [blocks]   interval_ms, max_transactions, max_bytes
        # [mempool]  max_transactions, max_bytes, max_per_signer, max_transaction_bytes, stale_after_ms, max_nonce_gap
        # [raft]     learners = ["<node key>", ...]: the same list, in the same order, on every validator and learner

        """
    }
}
