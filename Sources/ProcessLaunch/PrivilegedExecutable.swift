import _CProcessShims
import Glibc

/// A program whose `exec` would change the credentials of the process running it: set-user-ID or
/// set-group-ID to someone else, or with file capabilities.
///
/// Neither sampler can follow such an `exec` as it is. Under ptrace the kernel ignores the grant unless the
/// tracer has CAP_SYS_PTRACE (`OwnPrivileges.canTraceWithPrivileges`): the program would run, silently,
/// without the privilege it needs. Perf events stop at it: the process becomes non-dumpable, and the kernel
/// removes the events from it (no samples of it or of what it starts).
public struct PrivilegedExecutable: Sendable, Equatable {
    /// The file as `exec` finds it.
    public let path: String
    /// What its `exec` would grant, in words: `set-user-ID root`, `set-group-ID mail`, `file capabilities`.
    public let grants: [String]

    /// The program `command` runs, looked up in `searchPath` as `execvp` does (glibc's default when `nil`),
    /// if running it would change credentials.
    public static func command(_ command: String, searchPath: String?) -> PrivilegedExecutable? {
        lookUp(command, searchPath: searchPath).flatMap { PrivilegedExecutable(path: $0) }
    }

    /// `nil` when an `exec` of `path` by this process would grant nothing: no set-user-ID or set-group-ID bit
    /// naming someone else (root running a set-user-ID root program gains nothing), no file capabilities
    /// (root has them all already), a `nosuid` mount, or `no_new_privs` in force.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0, !OwnPrivileges.hasNoNewPrivileges else { return nil }
        var filesystem = statvfs()
        if statvfs(path, &filesystem) == 0, filesystem.f_flag & UInt(ST_NOSUID) != 0 { return nil }
        var grants: [String] = []
        if status.st_mode & S_ISUID != 0, status.st_uid != geteuid() {
            grants.append("set-user-ID \(Self.userName(status.st_uid))")
        }
        // Without group execute permission the bit means mandatory locking, not set-group-ID.
        if status.st_mode & S_ISGID != 0, status.st_mode & S_IXGRP != 0, status.st_gid != getegid() {
            grants.append("set-group-ID \(Self.groupName(status.st_gid))")
        }
        if geteuid() != 0, getxattr(path, "security.capability", nil, 0) > 0 { grants.append("file capabilities") }
        guard !grants.isEmpty else { return nil }
        self.path = path
        self.grants = grants
    }

    /// `execvp`'s search: a name with a slash is a path; otherwise the first regular file `PATH` holds
    /// that this process may execute (an empty entry is the current directory).
    static func lookUp(_ command: String, searchPath: String?) -> String? {
        guard !command.isEmpty else { return nil }
        if command.contains("/") { return command }
        for directory in (searchPath ?? "/bin:/usr/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    private static func userName(_ uid: uid_t) -> String {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, let found else { return "uid \(uid)" }
        return String(cString: found.pointee.pw_name)
    }

    private static func groupName(_ gid: gid_t) -> String {
        var entry = group()
        var found: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &found) == 0, let found else { return "gid \(gid)" }
        return String(cString: found.pointee.gr_name)
    }
}
