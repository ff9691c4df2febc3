/// The codes a job gives rows for what happened at the target, beside validation's (V…),
/// mapping's (M…) and the target's own (D…, T…). Documented in docs/import.md.
public enum JobCode {
    /// Booked once, but an earlier create got no answer and the target cannot be asked, so a
    /// stray draft may be left there.
    public static let strayDraft: DiagnosticCode = "L001"
    /// The same document is already in the job, from another file.
    public static let duplicate: DiagnosticCode = "L002"
    /// Refused at booking, and its draft could not be removed: the report names it to delete.
    public static let draftLeft: DiagnosticCode = "L003"
}
