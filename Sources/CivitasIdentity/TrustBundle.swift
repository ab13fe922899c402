public import CivitasLedger
public import X509

/// The federation trust bundle: the community CA certificates of the city, one PEM
/// file holding one `CERTIFICATE` block per CA. A peer is trusted only if a CA in
/// the bundle issued its certificate. A community may appear twice while its CA is
/// being replaced.
public struct TrustBundle: Hashable, Sendable {
    /// The CAs, in file order.
    public let authorities: [CommunityCACertificate]

    /// A bundle of `authorities`; the same certificate twice is kept once.
    public init(_ authorities: [CommunityCACertificate]) {
        var seen = Set<Certificate>()
        self.authorities = authorities.filter { seen.insert($0.certificate).inserted }
    }

    /// Reads a bundle; every block must be a Civitas community CA certificate.
    public init(pemEncoded text: String, path: String) throws(IdentityError) {
        var cas: [CommunityCACertificate] = []
        for (i, certificate) in try CertificateDER.certificates(pem: text, path: path).enumerated() {
            do {
                cas.append(try CommunityCACertificate(certificate))
            } catch {
                throw .notACommunityCA(path: path, reason: "block \(i + 1) (\(certificate.subject)): \(error)")
            }
        }
        self.init(cas)
    }

    /// The communities the bundle names.
    public var communities: Set<CommunityID> { Set(authorities.map(\.community)) }

    /// The CAs whose subject is `issuer`.
    public func authorities(named issuer: DistinguishedName) -> [CommunityCACertificate] {
        authorities.filter { $0.certificate.subject == issuer }
    }

    /// The CA that signed `certificate`, if it is in the bundle.
    public func issuer(of certificate: Certificate) -> CommunityCACertificate? {
        authorities(named: certificate.issuer).first { $0.certificate.publicKey.isValidSignature(certificate.signature, for: certificate) }
    }

    /// The bundle as PEM, with a comment line naming each community (OpenSSL ignores text between blocks).
    public var pemString: String {
        authorities.map { "# Civitas community CA: \($0.community) (SHA-256 \($0.fingerprint))\n" + CertificateDER.pem($0.certificate) }
            .joined()
    }
}

extension TrustBundle {
    /// The bundle a federation document describes: each community's CA
    /// certificate, which must be a Civitas community CA serving the community
    /// it is listed for. Gateways trust the city's CAs from the document their
    /// community adopted rather than from a file kept beside it.
    public init(federation: FederationDocument) throws(IdentityError) {
        let source = "federation document \(federation.sequence)"
        var cas: [CommunityCACertificate] = []
        for member in federation.communities {
            let ca: CommunityCACertificate
            do {
                ca = try CommunityCACertificate(try CertificateDER.certificate(member.caCertificate))
            } catch {
                throw .notACommunityCA(path: source, reason: "the CA certificate of '\(member.community)': \(error)")
            }
            guard ca.community == member.community else {
                throw .notACommunityCA(path: source, reason: "the CA certificate listed for '\(member.community)' serves '\(ca.community)'")
            }
            cas.append(ca)
        }
        self.init(cas)
    }
}
