import _CProcessShims

/// How a child process ended.
public enum ChildTermination: Sendable, Equatable {
    case exited(code: Int32)
    case signaled(signal: Int32)

    /// Decodes a `waitpid` status that reports termination; `nil` for a stop or continue report.
    public init?(waitStatus status: Int32) {
        if hr_wifexited(status) != 0 {
            self = .exited(code: hr_wexitstatus(status))
        } else if hr_wifsignaled(status) != 0 {
            self = .signaled(signal: hr_wtermsig(status))
        } else {
            return nil
        }
    }

    /// The status a shell reports: the exit code, or 128+N for death by signal N.
    public var exitStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}
