/// Why an identity file (certificate, key, trust bundle, revocation list) or a CA
/// operation was refused. Descriptions name the file and the way out.
public enum IdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file could not be written.
    case unwritableFile(path: String, reason: String)
    /// The file holds no PEM block with the expected label.
    case noPEMBlock(path: String, expected: String)
    /// A PEM block is damaged (bad base64 or DER).
    case brokenPEM(path: String, label: String, reason: String)
    /// The private key is not the kind Civitas uses here.
    case wrongKeyType(path: String, expected: String)
    /// The private key does not belong to the certificate beside it.
    case keyDoesNotMatchCertificate(key: String, certificate: String)
    /// A certificate is not a Civitas community CA certificate.
    case notACommunityCA(path: String, reason: String)
    /// A certificate is not a Civitas node certificate.
    case notANodeCertificate(path: String, reason: String)
    /// A revocation list is damaged, or not signed by the CA it names.
    case badRevocationList(path: String, reason: String)
    /// A certificate or list was not issued by the CA it is used with.
    case notIssuedByThisCA(path: String, ca: String)
    /// A file the operation would create already exists.
    case alreadyExists(path: String)
    /// An argument is out of range (days, names …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "\(path): cannot read: \(reason)"
        case let .unwritableFile(path, reason): return "\(path): cannot write: \(reason)"
        case let .noPEMBlock(path, expected): return "\(path): no '-----BEGIN \(expected)-----' block; expected a PEM file"
        case let .brokenPEM(path, label, reason): return "\(path): the \(label) PEM block is damaged: \(reason)"
        case let .wrongKeyType(path, expected): return "\(path): not \(expected)"
        case let .keyDoesNotMatchCertificate(key, certificate): return "\(key) is not the private key of \(certificate); reissue the certificate or restore the matching key"
        case let .notACommunityCA(path, reason): return "\(path): not a Civitas community CA certificate: \(reason)"
        case let .notANodeCertificate(path, reason): return "\(path): not a Civitas node certificate: \(reason)"
        case let .badRevocationList(path, reason): return "\(path): bad revocation list: \(reason)"
        case let .notIssuedByThisCA(path, ca): return "\(path) was not issued by the CA \(ca)"
        case let .alreadyExists(path): return "\(path) already exists; refusing to overwrite it"
        case let .invalidArgument(message): return message
        }
    }
}
