import Glibc

/// Whether a released ``GatedChild`` is running COMMAND.
public enum ExecOutcome: Sendable, Equatable {
    case started
    /// `execvpe` failed with this `errno`; the child has exited with status 127.
    case failed(errno: Int32)

    /// The shell's status for a command that could not be run: 127 when it was not found, 126 otherwise.
    public var shellStatus: Int32? {
        switch self {
        case .started: nil
        case .failed(let error): error == ENOENT || error == ENOTDIR ? 127 : 126
        }
    }
}
