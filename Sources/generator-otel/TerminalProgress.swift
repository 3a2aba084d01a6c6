#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr, rewritten in place at most four times a second — only when stderr is a
/// terminal, so logs and pipes get the summary line alone.
final class TerminalProgress {
    private let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastUpdate = ContinuousClock.now
    private var shown = false

    init(total: Int) {
        self.total = total
    }

    func update(done: Int) {
        guard isTerminal, ContinuousClock.now - lastUpdate >= .milliseconds(250) else { return }
        lastUpdate = .now
        shown = true
        write("\rgenerator-otel: \(done)/\(total) records (\(done * 100 / max(total, 1))%)\u{1B}[K")
    }

    /// Clears the progress line so the summary starts on a clean line.
    func finish() {
        if shown { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
