/// What one export request came to.
enum ExportOutcome: Sendable, Equatable {
    case exported
    /// Why the collector did not take the profile, in words safe to show.
    case failed(String)
    /// The calling task was cancelled (at the shutdown deadline).
    case cancelled
}
