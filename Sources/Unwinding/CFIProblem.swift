/// Why call frame information could not be turned into a rule.
enum CFIProblem: Error {
    /// Truncated, inconsistent or outside what DWARF allows: libunwind fails on it too, so the stack ends.
    case malformed
    /// Valid, but outside what ``UnwindRule`` expresses (expressions, pointer encodings other than absolute
    /// and PC-relative): libunwind unwinds it.
    case unsupported
}
