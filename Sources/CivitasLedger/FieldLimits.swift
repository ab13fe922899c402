/// Protocol maxima for variable-length fields, in bytes (strings: UTF-8 bytes)
/// or elements. They are part of the canonical format (docs/codec.md): a
/// decoder refuses a longer field before allocating it.
public enum FieldLimits {
    /// Display names, option labels.
    public static let name = 128
    /// Units, locations, service codes, activities.
    public static let shortText = 256
    /// Notice and proposal titles.
    public static let title = 256
    /// Notice bodies and proposal descriptions.
    public static let longText = 16_384
    /// Notes and comments on service records, referral summaries.
    public static let note = 4_096
    /// Attachment hashes on one notice.
    public static let attachments = 16
    /// Options on one proposal (at least 2).
    public static let options = 16
    /// Endorsements on one proposal.
    public static let endorsements = 256
    /// Validators of one community.
    public static let validators = 64
    /// Addresses in one peer record.
    public static let addresses = 16
    /// Host:port text of one address.
    public static let address = 255
    /// Transactions in one block.
    public static let blockTransactions = 65_536
    /// Subjects, registrars and deadline entries in a genesis document.
    public static let genesisEntries = 100_000
    /// Communities in a federation document.
    public static let federationCommunities = 256
    /// DER bytes of one community's CA certificate in a federation document
    /// (a `civitas ca init` certificate, P-256, takes about 540; 765 with a 64-byte name).
    public static let caCertificate = 2_048
    /// Bytes of a federation document's fields (its encoding without the two
    /// header bytes). 60 KiB: an adoption transaction (kind 16) carries the
    /// whole document, and with its envelope it must stay under the mempool's
    /// 64 KiB `maxTransactionBytes`. About 75 communities of 7 validators fit,
    /// and 40 of up to 20 validators each whatever their names (docs/codec.md).
    public static let federationDocument = 61_440
    /// Bytes of the transaction a proven record carries (kind 17). 32 KiB:
    /// a neighbour's receipt carries the referral it received with that
    /// referral's proof, and both must fit one 64 KiB transaction.
    public static let provenTransaction = 32_768
}
