internal import Crypto

/// The one hash the identity module needs outside X.509 itself.
enum IdentityDigest {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
