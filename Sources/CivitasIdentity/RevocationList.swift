public import Foundation
public import X509
internal import Crypto
internal import SwiftASN1

/// An X.509 v2 certificate revocation list (RFC 5280 §5) signed by a community CA.
///
/// swift-certificates does not build CRLs, so this type writes and reads the
/// `CertificateList` DER itself. What it writes:
/// version 2, signature ecdsa-with-SHA256, issuer = the CA's subject, thisUpdate,
/// nextUpdate, the revoked serials with their dates (the field is left out when
/// nothing is revoked, as §5.1.2.6 requires), and two non-critical extensions:
/// authorityKeyIdentifier (the CA's subject key ID) and cRLNumber (grows with every list).
/// `openssl crl` reads it and `openssl verify -crl_check` enforces it.
public struct RevocationList: Hashable, Sendable {
    /// One revoked certificate.
    public struct Entry: Hashable, Sendable {
        /// The certificate's serial number (big-endian bytes, as in the certificate).
        public var serial: [UInt8]
        /// When it was revoked (whole seconds).
        public var revokedAt: Date

        /// An entry for `serial`.
        public init(serial: [UInt8], revokedAt: Date) {
            self.serial = serial
            self.revokedAt = IdentityTime.truncated(revokedAt)
        }

        /// The serial in hex, as `openssl x509 -serial` prints it.
        public var serialHex: String { Self.hex(serial) }

        static func hex(_ bytes: some Collection<UInt8>) -> String {
            let digits = Array("0123456789ABCDEF")
            var s = ""
            for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
            return s
        }
    }

    /// The CA's subject name.
    public let issuer: DistinguishedName
    /// When this list was made.
    public let thisUpdate: Date
    /// When the next list is due; `openssl verify -crl_check` refuses the list after it.
    public let nextUpdate: Date?
    /// The cRLNumber extension (0 if absent).
    public let number: UInt64
    /// The authorityKeyIdentifier's key ID, if present.
    public let authorityKeyID: [UInt8]?
    /// The revoked certificates.
    public let entries: [Entry]
    /// The whole list in DER.
    public let derBytes: [UInt8]

    let tbsBytes: [UInt8]
    let signatureBytes: [UInt8]
    let signatureAlgorithm: Certificate.SignatureAlgorithm

    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let authorityKeyIdentifierOID: ASN1ObjectIdentifier = [2, 5, 29, 35]

    /// The entry for `serial`, if that certificate is revoked.
    public func entry(forSerial serial: some Collection<UInt8>) -> Entry? {
        let s = Self.normalised(serial)
        return entries.first { Self.normalised($0.serial) == s }
    }

    /// True if `ca`'s key signed this list and the list names `ca` as its issuer.
    public func isSigned(by ca: Certificate) -> Bool {
        ca.subject == issuer && ca.publicKey.isValidSignature(signatureBytes, for: tbsBytes, signatureAlgorithm: signatureAlgorithm)
    }

    /// The list as PEM (`-----BEGIN X509 CRL-----`).
    public var pemString: String {
        PEMDocument(type: "X509 CRL", derBytes: derBytes).pemString + "\n"
    }

    // Leading zero bytes do not change an INTEGER's value.
    static func normalised(_ serial: some Collection<UInt8>) -> [UInt8] {
        Array(serial.drop(while: { $0 == 0 }))
    }

    // MARK: Writing

    /// Builds and signs a list for `ca`. Throws only if the key cannot sign.
    static func make(
        issuer: DistinguishedName, authorityKeyID: [UInt8]?, key: P256.Signing.PrivateKey,
        number: UInt64, entries: [Entry], thisUpdate: Date, nextUpdate: Date
    ) throws -> RevocationList {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { c in
            try c.serialize(1)  // v2
            try c.appendConstructedNode(identifier: .sequence) { try $0.serialize(Self.ecdsaWithSHA256) }
            try c.serialize(issuer)
            try IdentityTime.serialize(IdentityTime.truncated(thisUpdate), into: &c)
            try IdentityTime.serialize(IdentityTime.truncated(nextUpdate), into: &c)
            if !entries.isEmpty {
                try c.appendConstructedNode(identifier: .sequence) { list in
                    for e in entries {
                        try list.appendConstructedNode(identifier: .sequence) { entry in
                            try entry.serialize(ArraySlice(Self.integerBytes(e.serial)))
                            try IdentityTime.serialize(e.revokedAt, into: &entry)
                        }
                    }
                }
            }
            var extensions: [Certificate.Extension] = []
            if let authorityKeyID {
                extensions.append(try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: ArraySlice(authorityKeyID)), critical: false))
            }
            var n = DER.Serializer()
            try n.serialize(number)
            extensions.append(Certificate.Extension(oid: Self.crlNumberOID, critical: false, value: ArraySlice(n.serializedBytes)))
            try c.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serializeSequenceOf(extensions) }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try key.signature(for: tbsBytes).derRepresentation
        var whole = DER.Serializer()
        try whole.appendConstructedNode(identifier: .sequence) { c in
            c.serializeRawBytes(tbsBytes)
            try c.appendConstructedNode(identifier: .sequence) { try $0.serialize(Self.ecdsaWithSHA256) }
            try c.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return try RevocationList(derEncoded: whole.serializedBytes)
    }

    // A serial's bytes as a positive DER INTEGER's content: no superfluous leading zero,
    // and a zero in front when the top bit is set.
    static func integerBytes(_ serial: [UInt8]) -> [UInt8] {
        var s = normalised(serial)
        if s.isEmpty { return [0] }
        if s[0] & 0x80 != 0 { s.insert(0, at: 0) }
        return s
    }

    // MARK: Reading

    /// Reads a DER CRL. Refuses anything this module would not accept from a CA:
    /// unknown signature algorithms, unknown critical extensions, trailing bytes.
    public init(derEncoded der: [UInt8]) throws(IdentityError) {
        do {
            self = try Self.parse(der)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .badRevocationList(path: "<der>", reason: "\(error)")
        }
    }

    /// Reads the first `X509 CRL` block of a PEM text.
    public init(pemEncoded text: String, path: String = "<pem>") throws(IdentityError) {
        let der = try PEMText.blocks(in: text, label: "X509 CRL", path: path).first!
        do {
            self = try RevocationList(derEncoded: der)
        } catch let IdentityError.badRevocationList(_, reason) {
            throw .badRevocationList(path: path, reason: reason)
        }
    }

    private init(
        issuer: DistinguishedName, thisUpdate: Date, nextUpdate: Date?, number: UInt64, authorityKeyID: [UInt8]?,
        entries: [Entry], derBytes: [UInt8], tbsBytes: [UInt8], signatureBytes: [UInt8], signatureAlgorithm: Certificate.SignatureAlgorithm
    ) {
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.number = number
        self.authorityKeyID = authorityKeyID
        self.entries = entries
        self.derBytes = derBytes
        self.tbsBytes = tbsBytes
        self.signatureBytes = signatureBytes
        self.signatureAlgorithm = signatureAlgorithm
    }

    private static func algorithm(_ node: ASN1Node) throws -> (ASN1ObjectIdentifier, Certificate.SignatureAlgorithm) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            switch oid {
            case ecdsaWithSHA256: return (oid, .ecdsaWithSHA256)
            case ecdsaWithSHA384: return (oid, .ecdsaWithSHA384)
            default: throw IdentityError.badRevocationList(path: "<der>", reason: "unsupported signature algorithm \(oid)")
            }
        }
    }

    private static func parse(_ der: [UInt8]) throws -> RevocationList {
        let root = try DER.parse(der)
        guard root.encodedBytes.count == der.count else {
            throw IdentityError.badRevocationList(path: "<der>", reason: "trailing bytes after the list")
        }
        return try DER.sequence(root, identifier: .sequence) { outer in
            guard let tbsNode = outer.next(), let algNode = outer.next() else {
                throw IdentityError.badRevocationList(path: "<der>", reason: "truncated CertificateList")
            }
            let (outerOID, algorithm) = try Self.algorithm(algNode)
            let signature = try ASN1BitString(derEncoded: &outer)
            guard signature.paddingBits == 0 else {
                throw IdentityError.badRevocationList(path: "<der>", reason: "signature bit string has padding bits")
            }
            return try DER.sequence(tbsNode, identifier: .sequence) { nodes in
                var peek = nodes
                if let v = peek.next(), v.identifier == .integer {
                    guard try Int(derEncoded: v) == 1 else {
                        throw IdentityError.badRevocationList(path: "<der>", reason: "only version 2 lists are supported")
                    }
                    nodes = peek
                }
                guard let innerAlg = nodes.next(), try Self.algorithm(innerAlg).0 == outerOID else {
                    throw IdentityError.badRevocationList(path: "<der>", reason: "inner and outer signature algorithms differ")
                }
                guard let issuerNode = nodes.next() else {
                    throw IdentityError.badRevocationList(path: "<der>", reason: "no issuer")
                }
                let issuer = try DistinguishedName(derEncoded: issuerNode)
                guard let thisNode = nodes.next() else {
                    throw IdentityError.badRevocationList(path: "<der>", reason: "no thisUpdate")
                }
                let thisUpdate = try IdentityTime.parse(thisNode)
                var nextUpdate: Date?
                peek = nodes
                if let n = peek.next(), n.identifier == .utcTime || n.identifier == .generalizedTime {
                    nextUpdate = try IdentityTime.parse(n)
                    nodes = peek
                }
                var entries: [Entry] = []
                peek = nodes
                if let list = peek.next(), list.identifier == .sequence {
                    nodes = peek
                    entries = try DER.sequence(list, identifier: .sequence) { items in
                        var out: [Entry] = []
                        while let item = items.next() {
                            out.append(try DER.sequence(item, identifier: .sequence) { e in
                                let serial = try ArraySlice<UInt8>(derEncoded: &e)
                                guard let dateNode = e.next() else {
                                    throw IdentityError.badRevocationList(path: "<der>", reason: "revoked entry without a date")
                                }
                                let date = try IdentityTime.parse(dateNode)
                                if let extensions = e.next() {
                                    let list = try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: extensions)
                                    if let critical = list.first(where: \.critical) {
                                        throw IdentityError.badRevocationList(path: "<der>", reason: "unknown critical entry extension \(critical.oid)")
                                    }
                                }
                                return Entry(serial: Array(serial), revokedAt: date)
                            })
                        }
                        return out
                    }
                }
                let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                } ?? []
                var number: UInt64 = 0
                var aki: [UInt8]?
                for ext in extensions {
                    switch ext.oid {
                    case crlNumberOID:
                        number = try UInt64(derEncoded: ext.value)
                    case authorityKeyIdentifierOID:
                        aki = try AuthorityKeyIdentifier(ext).keyIdentifier.map(Array.init)
                    default:
                        if ext.critical {
                            throw IdentityError.badRevocationList(path: "<der>", reason: "unknown critical extension \(ext.oid)")
                        }
                    }
                }
                return RevocationList(
                    issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate, number: number, authorityKeyID: aki,
                    entries: entries, derBytes: der, tbsBytes: Array(tbsNode.encodedBytes),
                    signatureBytes: Array(signature.bytes), signatureAlgorithm: algorithm)
            }
        }
    }
}
