import Glibc

/// What an output path leads to, decided by what is there now: the one place the output rule lives.
///
/// As `cp`, `tee` and `perf record -o` behave: a regular file (or a name nothing has yet) is replaced whole,
/// a symlink is followed to the file it names (and stays a link), anything else that is not a directory — a
/// FIFO, a terminal or another device — is written where it is, and `-` is standard output.
public enum OutputTarget: Sendable, Equatable {
    /// A descriptor this process already has: `-` and `/dev/stdout` are 1, `/dev/stderr` 2, `/dev/fd/N` and
    /// `/proc/self/fd/N` are N. Written at the descriptor's own offset, as a shell's `>/dev/stdout` writes:
    /// reopening the path would start again at offset 0 of a file the command may already have written.
    case descriptor(Int32)
    /// A regular file at `path`, the end of any symlinks, or nothing yet: written to a temporary sibling that is
    /// renamed over `path` when complete. `existing` is the file being replaced, whose mode and owner the new
    /// one keeps.
    case file(path: String, existing: ExistingFile?)
    /// A FIFO, terminal or other device at `path` (the end of any symlinks): opened for writing, never created
    /// or truncated, and written in place.
    case special(path: String, isFIFO: Bool)

    /// The mode and owner of a regular file that an output replaces.
    public struct ExistingFile: Sendable, Equatable {
        public let mode: mode_t
        public let owner: uid_t
        public let group: gid_t
    }

    /// What two outputs compare by: the same file however it is named.
    public enum Identity: Hashable, Sendable {
        case inode(device: UInt64, inode: UInt64)
        /// A file that does not exist yet: its directory without symlinks, and its name.
        case path(String)
    }

    /// The kernel's limit on symlinks followed in one path (`SYMLOOP_MAX` on Linux).
    static let symlinkLimit = 40

    /// Resolves `path` and checks that this process may write there; a problem is thrown before any work is done.
    public static func resolve(_ path: String) throws(OutputFileError) -> OutputTarget {
        let fail = { (problem: OutputFileError.Problem) in OutputFileError(path: path, problem: problem) }
        guard !path.isEmpty else { throw fail(.system(ENOENT)) }
        if path == "-" { return try descriptor(1, path: path) }
        var current = path
        for _ in 0...symlinkLimit {
            if let fd = ownDescriptor(named: current) { return try descriptor(fd, path: path) }
            guard !current.hasSuffix("/") else { throw fail(.directory) }
            var status = stat()
            guard lstat(current, &status) == 0 else {
                guard errno == ENOENT else { throw fail(.system(errno)) }
                // A name nothing has yet (or the end of a dangling symlink): created in its directory.
                try requireWritableDirectory(of: current, path: path)
                return .file(path: current, existing: nil)
            }
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                current = try linkTarget(current, path: path)
            case S_IFDIR:
                throw fail(.directory)
            case S_IFREG:
                try requireWritableDirectory(of: current, path: path)
                guard access(current, W_OK) == 0 else { throw fail(errno == EACCES ? .readOnlyFile : .system(errno)) }
                return .file(path: current, existing: ExistingFile(mode: status.st_mode & 0o7777, owner: status.st_uid, group: status.st_gid))
            case S_IFSOCK:
                throw fail(.socket)
            default:
                guard access(current, W_OK) == 0 else { throw fail(.system(errno)) }
                return .special(path: current, isFIFO: status.st_mode & S_IFMT == S_IFIFO)
            }
        }
        throw fail(.system(ELOOP))
    }

    /// The same file however it is named; `nil` when it cannot be told (a descriptor that is not open).
    public var identity: Identity? {
        var status = stat()
        switch self {
        case .descriptor(let fd):
            guard fstat(fd, &status) == 0 else { return nil }
        case .file(let path, _), .special(let path, _):
            guard stat(path, &status) == 0 else {
                let (directory, name) = Self.split(path)
                guard let resolved = realpath(directory.isEmpty ? "." : directory, nil) else { return .path(path) }
                defer { free(resolved) }
                return .path(String(cString: resolved) + "/" + name)
            }
        }
        return .inode(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N` (or `/proc/PID/fd/N` with this process's
    /// PID): the descriptor the name stands for.
    private static func ownDescriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/\(getpid())/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    private static func descriptor(_ fd: Int32, path: String) throws(OutputFileError) -> OutputTarget {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, flags & O_ACCMODE != O_RDONLY else { throw OutputFileError(path: path, problem: .closedDescriptor(fd)) }
        return .descriptor(fd)
    }

    /// Where the symlink at `link` points, relative targets taken from the link's own directory.
    private static func linkTarget(_ link: String, path: String) throws(OutputFileError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(link, &buffer, buffer.count - 1)
        guard count >= 0 else { throw OutputFileError(path: path, problem: .system(errno)) }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/") ? target : join(split(link).directory, target)
    }

    private static func requireWritableDirectory(of file: String, path: String) throws(OutputFileError) {
        let directory = split(file).directory
        let shown = directory.isEmpty ? "." : directory
        var status = stat()
        guard stat(shown, &status) == 0 else {
            throw OutputFileError(path: path, problem: errno == ENOENT ? .missingDirectory(shown) : .system(errno))
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw OutputFileError(path: path, problem: .system(ENOTDIR)) }
        guard access(shown, W_OK | X_OK) == 0 else {
            throw OutputFileError(path: path, problem: errno == EACCES || errno == EROFS ? .readOnlyDirectory(shown) : .system(errno))
        }
    }

    /// `name` in `directory` (as ``split(_:)`` gives it: empty for the working directory).
    static func join(_ directory: String, _ name: String) -> String {
        directory.isEmpty ? name : directory == "/" ? "/" + name : directory + "/" + name
    }

    /// `path` cut at its last slash: the directory (empty for a bare name, `/` for the root) and the name.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
