public import CivitasLedger
public import Foundation
@_spi(FixedExpiryValidationTime) public import X509
internal import SwiftASN1

/// What a connection accepts: which communities and which roles.
public struct PeerRequirements: Hashable, Sendable {
    /// Accepted communities; nil accepts every community in the trust bundle.
    public var communities: Set<CommunityID>?
    /// Accepted roles.
    public var roles: Set<NodeRole>
    /// Roles accepted from the bundle's other communities (those not in
    /// `communities`): a gateway's links to the rest of the city. Empty for
    /// every other node, which links inside its community only.
    public var foreignRoles: Set<NodeRole>

    /// Accepts `roles` from `communities` (nil: any community of the bundle),
    /// and `foreignRoles` from every other community of the bundle.
    public init(communities: Set<CommunityID>?, roles: Set<NodeRole> = Set(NodeRole.allCases), foreignRoles: Set<NodeRole> = []) {
        self.communities = communities
        self.roles = roles
        self.foreignRoles = foreignRoles
    }

    /// A link inside `community`: every role of that community.
    public static func sameCommunity(_ community: CommunityID) -> PeerRequirements {
        PeerRequirements(communities: [community])
    }

    /// A link between communities: only gateways, from any community of the bundle.
    public static let federationGateway = PeerRequirements(communities: nil, roles: [.gateway])

    /// What a gateway of `community` accepts: every role of its own community,
    /// and the gateways of the bundle's other communities.
    public static func gateway(of community: CommunityID) -> PeerRequirements {
        PeerRequirements(communities: [community], foreignRoles: [.gateway])
    }

    /// What a node of `community` with `role` accepts: a gateway also links to
    /// other communities' gateways; every other role stays inside its community.
    public static func node(of community: CommunityID, role: NodeRole) -> PeerRequirements {
        role == .gateway ? .gateway(of: community) : .sameCommunity(community)
    }
}

/// Checks a peer's certificate chain at every handshake against the federation trust
/// bundle and the revocation lists, and returns who the peer is.
///
/// A value with no clock: the time is an argument, so the same chain always gets the
/// same answer. The checks run in this order and the first failure is the answer:
///  1. a certificate was presented (`missingClientCertificate`);
///  2. every certificate parses (`unreadableCertificate`);
///  3. the leaf is not a CA (`notANodeCertificate`);
///  4. a CA in the bundle has the leaf's issuer name (`unknownCA`);
///  5. that CA's key signed the leaf (`badSignature`);
///  6. the CA, then the leaf, are inside their validity windows (`expired`, `notYetValid`);
///  7. no revocation list signed by that CA names the leaf's serial (`revoked`);
///  8. the leaf follows the node profile (`malformedIdentity`);
///  9. the leaf's community is the CA's community (`communityNotServedByCA`);
/// 10. the community and role are accepted (`wrongCommunity`, `roleNotAllowed`);
/// 11. the node ID is the one the peer's hello claims (`nodeIDMismatch`);
/// 12. swift-certificates' `Verifier` with `RFC5280Policy` and the Civitas policy
///     (steps 7–10 again, on the chain it builds) accepts the chain (`chainRejected`).
/// Certificates after the leaf are ignored: trust comes only from the bundle.
public struct PeerCertificateValidator: Sendable {
    /// The trusted community CAs.
    public let bundle: TrustBundle
    /// Revocation lists, each used only for the CA that signed it.
    public let revocations: [RevocationList]

    /// A validator for `bundle` and `revocations` (lists not signed by a bundle CA never match anything).
    public init(bundle: TrustBundle, revocations: [RevocationList]) {
        self.bundle = bundle
        self.revocations = revocations
    }

    /// Validates a chain given as DER (as NIOSSL hands it over), leaf first.
    /// `claimedNodeID` is the ID from the peer's hello; pass nil to check it later with
    /// `NodeIdentity.nodeID`.
    public func validate(
        chainDER: [[UInt8]], claimedNodeID: NodeID?, requirements: PeerRequirements, now: Date
    ) async throws(PeerCertificateError) -> NodeIdentity {
        guard !chainDER.isEmpty else { throw .missingClientCertificate }
        var chain: [Certificate] = []
        for der in chainDER { chain.append(try CertificateDER.certificate(der)) }
        return try await validate(chain: chain, claimedNodeID: claimedNodeID, requirements: requirements, now: now)
    }

    /// Validates a parsed chain, leaf first.
    public func validate(
        chain: [Certificate], claimedNodeID: NodeID?, requirements: PeerRequirements, now: Date
    ) async throws(PeerCertificateError) -> NodeIdentity {
        let identity = try check(chain: chain, claimedNodeID: claimedNodeID, requirements: requirements, now: now)
        let leaf = chain[0]
        var verifier = Verifier(rootCertificates: CertificateStore(bundle.authorities.map(\.certificate))) {
            RFC5280Policy(fixedExpiryValidationTime: now)
            CivitasPolicy(validator: self, requirements: requirements, now: now)
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore()) {
        case .validCertificate:
            return identity
        case let .couldNotValidate(failures):
            throw .chainRejected(reasons: failures.map(\.policyFailureReason.description))
        }
    }

    /// Steps 1–11: the checks that name exactly what is wrong.
    func check(chain: [Certificate], claimedNodeID: NodeID?, requirements: PeerRequirements, now: Date) throws(PeerCertificateError) -> NodeIdentity {
        guard let leaf = chain.first else { throw .missingClientCertificate }
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints {
            throw .notANodeCertificate(subject: leaf.subject.description)
        }
        let candidates = bundle.authorities(named: leaf.issuer)
        guard !candidates.isEmpty else { throw .unknownCA(issuer: leaf.issuer.description) }
        guard let ca = candidates.first(where: { $0.certificate.publicKey.isValidSignature(leaf.signature, for: leaf) }) else {
            throw .badSignature(issuer: leaf.issuer.description)
        }
        return try civitasChecks(leaf: leaf, ca: ca, claimedNodeID: claimedNodeID, requirements: requirements, now: now)
    }

    /// Steps 6–11 for a leaf and the CA that signed it.
    func civitasChecks(
        leaf: Certificate, ca: CommunityCACertificate, claimedNodeID: NodeID?, requirements: PeerRequirements, now: Date
    ) throws(PeerCertificateError) -> NodeIdentity {
        for (certificate, subject) in [(ca.certificate, PeerCertificateError.Subject.communityCA), (leaf, .node)] {
            if now < certificate.notValidBefore { throw .notYetValid(subject, notBefore: certificate.notValidBefore, now: now) }
            if now > certificate.notValidAfter { throw .expired(subject, notAfter: certificate.notValidAfter, now: now) }
        }
        for list in revocations where list.isSigned(by: ca.certificate) {
            if let entry = list.entry(forSerial: leaf.serialNumber.bytes) {
                throw .revoked(serial: entry.serialHex, community: ca.community, revokedAt: entry.revokedAt)
            }
        }
        let identity: NodeIdentity
        do { identity = try NodeIdentity(leaf) } catch { throw .malformedIdentity(reason: error.description) }
        guard identity.community == ca.community else {
            throw .communityNotServedByCA(certificate: identity.community, ca: ca.community)
        }
        if let allowed = requirements.communities, !allowed.contains(identity.community) {
            // Another community's node: accepted only in a role the requirements
            // name for foreigners (a gateway's city links).
            guard !requirements.foreignRoles.isEmpty else {
                throw .wrongCommunity(identity.community, allowed: Array(allowed))
            }
            guard requirements.foreignRoles.contains(identity.role) else {
                throw .roleNotAllowed(identity.role, allowed: Array(requirements.foreignRoles))
            }
        } else {
            guard requirements.roles.contains(identity.role) else {
                throw .roleNotAllowed(identity.role, allowed: Array(requirements.roles))
            }
        }
        if let claimedNodeID, claimedNodeID != identity.nodeID {
            throw .nodeIDMismatch(certificate: identity.nodeID, claimed: claimedNodeID)
        }
        return identity
    }
}

/// The Civitas rules as a swift-certificates policy, applied to each chain the
/// `Verifier` builds (revocation, node profile, community and role).
struct CivitasPolicy: VerifierPolicy, Sendable {
    let validator: PeerCertificateValidator
    let requirements: PeerRequirements
    let now: Date

    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard chain.count == 2, let root = chain.last else {
            return .failsToMeetPolicy(reason: "a Civitas chain is a node certificate and its community CA, found \(chain.count) certificates")
        }
        let ca: CommunityCACertificate
        do { ca = try CommunityCACertificate(root) } catch {
            return .failsToMeetPolicy(reason: "the root is not a community CA: \(error)")
        }
        do {
            _ = try validator.civitasChecks(leaf: chain.leaf, ca: ca, claimedNodeID: nil, requirements: requirements, now: now)
            return .meetsPolicy
        } catch {
            return .failsToMeetPolicy(reason: error.description)
        }
    }
}
