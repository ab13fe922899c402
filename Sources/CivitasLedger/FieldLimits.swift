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
}
