import Foundation
import Glibc
@testable import ProcessLaunch
import Testing

/// Which programs an `exec` by this (root) test process would run with other credentials. Copies of a
/// harmless binary get the bits; the owner and group are another user's (nobody, nogroup) where it matters.
@Suite struct PrivilegedExecutableTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-privileged-\(UUID().uuidString)")
    private static let nobody: uid_t = 65534
    private static let nogroup: gid_t = 65534

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A copy of `/bin/true` named `name`, owned by `owner`:`group`, with `mode` (set after `chown`, which clears the bits).
    private func program(_ name: String, mode: mode_t, owner: uid_t = getuid(), group: gid_t = getgid()) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: path)
        try #require(chown(path, owner, group) == 0)
        try #require(chmod(path, mode) == 0)
        return path
    }

    @Test func aSetUserIDProgramOfAnotherUserGrantsItsOwner() throws {
        let path = try program("setuid", mode: 0o4755, owner: Self.nobody)
        #expect(PrivilegedExecutable(path: path) == PrivilegedExecutable.command(path, searchPath: nil))
        #expect(PrivilegedExecutable(path: path)?.grants == ["set-user-ID nobody"])
    }

    @Test func aSetUserIDProgramOfOneselfGrantsNothing() throws {
        #expect(PrivilegedExecutable(path: try program("own", mode: 0o4755)) == nil)
    }

    @Test func setGroupIDNeedsGroupExecutePermission() throws {
        #expect(PrivilegedExecutable(path: try program("setgid", mode: 0o2755, group: Self.nogroup))?.grants == ["set-group-ID nogroup"])
        #expect(PrivilegedExecutable(path: try program("locking", mode: 0o2745, group: Self.nogroup)) == nil,
                "set-group-ID without group execute is mandatory locking")
    }

    @Test func anOrdinaryProgramGrantsNothing() throws {
        #expect(PrivilegedExecutable(path: try program("plain", mode: 0o755, owner: Self.nobody, group: Self.nogroup)) == nil)
        #expect(PrivilegedExecutable(path: directory.appendingPathComponent("missing").path) == nil)
    }

    /// execvp's search: the first regular file the caller may execute, an empty entry meaning the current directory.
    @Test func looksTheCommandUpAsExecvpDoes() throws {
        let first = directory.appendingPathComponent("first").path
        let second = directory.appendingPathComponent("second").path
        try FileManager.default.createDirectory(atPath: "\(first)/tool", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(second)/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o644])
        let third = directory.appendingPathComponent("third").path
        try FileManager.default.createDirectory(atPath: third, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(third)/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        #expect(PrivilegedExecutable.lookUp("tool", searchPath: "/nonexistent:\(first):\(second):\(third)") == "\(third)/tool",
                "a directory and a file without execute permission are passed over")
        #expect(PrivilegedExecutable.lookUp("./tool", searchPath: first) == "./tool", "a name with a slash is not looked up")
        #expect(PrivilegedExecutable.lookUp("tool", searchPath: "/nonexistent") == nil)
    }
}
