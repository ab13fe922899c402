public import Crypto

/// Reading the P-256 TLS and CA keys.
public enum KeyFiles {
    /// A P-256 private key from PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    public static func tlsKey(pem text: String, path: String) throws(IdentityError) -> P256.Signing.PrivateKey {
        guard text.contains("-----BEGIN PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----") else {
            throw .noPEMBlock(path: path, expected: "PRIVATE KEY")
        }
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw .wrongKeyType(path: path, expected: "an ECDSA P-256 private key (Civitas TLS and CA keys are P-256; the Ed25519 ledger key is a different file)")
        }
    }
}

/// Fresh P-256 keys (shells only; the key comes from the system's secure random source).
enum P256SigningKey {
    static func generate() -> P256.Signing.PrivateKey { P256.Signing.PrivateKey() }
}
