import Foundation
import Glibc
import Testing
import TestSupport

/// `--output` end to end: what is at the path decides how it is written (a regular file is replaced whole, a
/// symlink is written through, a FIFO in place, `-` is standard output), bad paths are usage errors before the
/// command starts, and a file that cannot be written at the end is one line that leaves the exit status alone.
@Suite final class ProfileFilesTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-outputs-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func status(of path: String) -> stat? {
        var result = stat()
        return lstat(path, &result) == 0 ? result : nil
    }

    private func isGzip(_ bytes: some Collection<UInt8>) -> Bool { Array(bytes.prefix(2)) == [0x1f, 0x8b] }

    @Test func aSymlinkChainWithRelativeTargetsIsWrittenThroughAndStaysAChain() async throws {
        try FileManager.default.createDirectory(atPath: path("profiles"), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("profiles/run.pb.gz")))
        #expect(symlink("b.pb.gz", path("a.pb.gz")) == 0)
        #expect(symlink("profiles/run.pb.gz", path("b.pb.gz")) == 0)

        let result = try await HybridRunProcess.run(["-o", path("a.pb.gz"), "--", "true"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("a.pb.gz")) == "b.pb.gz")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("b.pb.gz")) == "profiles/run.pb.gz")
        #expect(isGzip(try Data(contentsOf: URL(fileURLWithPath: path("profiles/run.pb.gz")))))
        #expect(try FileManager.default.contentsOfDirectory(atPath: path("profiles")) == ["run.pb.gz"])
    }

    @Test func aFIFOIsWrittenInPlaceForItsReader() async throws {
        #expect(mkfifo(path("profile"), 0o644) == 0)
        let reader = try FIFOReader(path: path("profile"))
        let result = try await HybridRunProcess.run(["-o", path("profile"), "--format", "pprof", "--", "true"])
        let received = reader.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(received.sawEndOfFile, "hybrid-run never opened the FIFO")
        #expect(isGzip(received.bytes))
        #expect(status(of: path("profile")).map { $0.st_mode & S_IFMT } == S_IFIFO)
    }

    /// `--wall` makes a sibling of a folded file (`x.folded` → `x.wall.folded`) only beside a `.folded` file: a
    /// folded output named otherwise gets no file it did not ask for (`/dev/null.wall`, a user's `report.wall.txt`).
    @Test func aWallSiblingIsMadeOnlyBesideAFoldedFile() async throws {
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: path("report.wall.txt")))
        let result = try await HybridRunProcess.run(["-q", "--wall", "--format", "folded", "-o", path("report.txt"), "--", "sh", "-c", "sleep 0.2; exit 4"])
        #expect(result.status == 4)
        #expect(try String(contentsOfFile: path("report.wall.txt"), encoding: .utf8) == "mine\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["report.txt", "report.wall.txt"])
        #expect(result.stderr.contains("the wall profile was not written beside \(path("report.txt"))"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    /// The wall sibling is checked with the outputs, before the command runs (`HYBRID_WALL` as `--wall`): the run is
    /// not made for a profile that cannot be written.
    @Test(arguments: [["--wall"], []]) func aWallSiblingThatCannotBeWrittenStopsTheRunBeforeTheCommand(flag: [String]) async throws {
        try FileManager.default.createDirectory(atPath: path("run.wall.folded"), withIntermediateDirectories: false)
        let result = try await HybridRunProcess.run(["-q"] + flag + ["-o", path("run.folded"), "--", "touch", path("ran")],
                                                    environment: HybridRunProcess.environment(flag.isEmpty ? ["HYBRID_WALL": "true"] : [:]))
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("hybrid-run: Error: --output \(path("run.folded")): its wall profile \(path("run.wall.folded")): it names a directory"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("ran")), "the command did not run")
    }

    @Test func aFIFOWithoutAReaderIsOneLineAndTheCommandsStatus() async throws {
        #expect(mkfifo(path("profile"), 0o644) == 0)
        let result = try await HybridRunProcess.run(["-q", "-o", path("profile"), "--format", "folded", "--", "sh", "-c", "exit 3"])
        #expect(result.status == 3)
        #expect(result.stderr == "hybrid-run: error: cannot write \(path("profile")): no process has the FIFO open for reading: start the reader first\n")
        #expect(status(of: path("profile")).map { $0.st_mode & S_IFMT } == S_IFIFO)
    }

    /// A reader that opened the FIFO and stopped reading: hybrid-run gives up on that output after 10 s with one line
    /// and exits with the command's status, instead of waiting for ever once the pipe is full.
    @Test func aFIFOWhoseReaderStoppedReadingIsOneLineAndTheCommandsStatus() async throws {
        #expect(mkfifo(path("profile"), 0o644) == 0)
        let reader = open(path("profile"), O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(reader >= 0)
        defer { close(reader) }
        // The test fills the pipe itself, so hybrid-run's first byte finds no room whatever the profile's size.
        let filler = open(path("profile"), O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(filler >= 0)
        defer { close(filler) }
        let page = [UInt8](repeating: 0x41, count: 4096)
        while write(filler, page, page.count) > 0 {}
        #expect(errno == EAGAIN)

        // pprof: never empty (a folded file of a command too short to be sampled has no line to write).
        let result = try await HybridRunProcess.run(["-q", "-o", path("profile"), "--format", "pprof", "--", "sh", "-c", "exit 3"])
        #expect(result.status == 3)
        #expect(result.stderr == "hybrid-run: error: cannot write \(path("profile")): its reader took nothing for 10s: make the reader read to the end, or write to a file\n")
    }

    @Test(.enabled(if: getuid() == 0, "needs root to give the file another owner"))
    func anExistingFileKeepsItsModeAndOwnerAndANewOneFollowsTheUmask() async throws {
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("run.folded")))
        #expect(chmod(path("run.folded"), 0o600) == 0)
        #expect(chown(path("run.folded"), 65534, 65534) == 0)

        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "umask 027 && exec \"$0\" -o \"$1\" -o \"$2\" -- true", try HybridRunProcess.executable.path,
                                              path("run.folded"), path("new.folded")],
            environment: HybridRunProcess.quietEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        let existing = try #require(status(of: path("run.folded")))
        #expect(existing.st_mode & 0o7777 == 0o600)
        #expect(existing.st_uid == 65534 && existing.st_gid == 65534)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path("run.folded"))) != Data("old".utf8))
        #expect(status(of: path("new.folded")).map { $0.st_mode & 0o7777 } == 0o640)
    }

    @Test func dashIsStandardOutputAfterWhatTheCommandPrinted() async throws {
        let result = try await ProcessRunner.run(
            try HybridRunProcess.executable, ["-o", "-", "--format", "pprof", "--", "echo", "from the command"],
            environment: HybridRunProcess.quietEnvironment, currentDirectory: directory, timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        let printed = Array("from the command\n".utf8)
        #expect(Array(result.stdout.prefix(printed.count)) == printed)
        #expect(isGzip(result.stdout.dropFirst(printed.count)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aReaderThatLeftIsOneLineAndTheCommandsStatus() async throws {
        // Standard output is a pipe whose reading end is already closed (`hybrid-run … | true` once true exited).
        let script = "import os, subprocess, sys\nr, w = os.pipe()\nos.close(r)\nsys.exit(subprocess.run(sys.argv[1:], stdout=w).returncode % 256)"
        let result = try await ProcessRunner.run(
            try TestEnvironment.current.python,
            ["-c", script, try HybridRunProcess.executable.path, "-q", "-o", "-", "--format", "pprof", "--", "sh", "-c", "exit 5"],
            environment: HybridRunProcess.quietEnvironment, currentDirectory: directory, timeout: .seconds(60))
        #expect(result.status == 5)
        #expect(result.stderr == "hybrid-run: error: cannot write standard output: Broken pipe\n")
    }

    @Test func aDirectoryRemovedDuringTheRunIsOneLineAndOnlyTheWrittenFileIsNamed() async throws {
        try FileManager.default.createDirectory(atPath: path("gone"), withIntermediateDirectories: true)
        let result = try await HybridRunProcess.run(
            ["-o", path("gone/run.folded"), "-o", path("kept.folded"), "--", "sh", "-c", "rmdir \"$0\"; exit 4", path("gone")])
        #expect(result.status == 4)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("error") } == [
            "hybrid-run: error: cannot write \(path("gone/run.folded")): directory \(path("gone")) does not exist: create it first",
        ])
        #expect(lines.last == "hybrid-run: profile written to \(path("kept.folded"))")
        #expect(FileManager.default.fileExists(atPath: path("kept.folded")))
    }

    /// A bad `--output`, set up in the test's directory: the arguments and the first line hybrid-run must print.
    enum BadOutput: String, CaseIterable {
        case directory, endsInSlash, missingDirectory, sameFileTwice, sameFileThroughASymlink, dashWithoutFormat, socket

        func arguments(in test: ProfileFilesTests) async throws -> (arguments: [String], message: String) {
            switch self {
            case .directory:
                try FileManager.default.createDirectory(atPath: test.path("profiles"), withIntermediateDirectories: true)
                return (["-o", test.path("profiles"), "--format", "folded"],
                        "--output \(test.path("profiles")): it names a directory: give the name of a file")
            case .endsInSlash:
                let path = test.directory.path + "/new/"
                return (["-o", path, "--format", "folded"], "--output \(path): it names a directory: give the name of a file")
            case .missingDirectory:
                return (["-o", test.path("missing/run.folded")],
                        "--output \(test.path("missing/run.folded")): directory \(test.path("missing")) does not exist: create it first")
            case .sameFileTwice:
                return (["-o", test.path("run.folded"), "-o", test.directory.path + "/./run.folded"],
                        "--output \(test.directory.path)/./run.folded: the same file as --output \(test.path("run.folded")): give each file once")
            case .sameFileThroughASymlink:
                try Data("old".utf8).write(to: URL(fileURLWithPath: test.path("run.folded")))
                _ = symlink("run.folded", test.path("link.folded"))
                return (["-o", test.path("run.folded"), "-o", test.path("link.folded")],
                        "--output \(test.path("link.folded")): the same file as --output \(test.path("run.folded")): give each file once")
            case .dashWithoutFormat:
                return (["-o", "-"], "--output - (standard output) needs --format: folded, speedscope, pprof or html")
            case .socket:
                let socket = test.path("socket.folded")
                let made = try await ProcessRunner.run(
                    try TestEnvironment.current.python, ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
                #expect(made.status == 0, "\(made.stderr)")
                return (["-o", socket], "--output \(socket): it is a socket, which cannot be opened as a file: give a file or a FIFO")
            }
        }
    }

    @Test(arguments: BadOutput.allCases)
    func aBadOutputIsAUsageErrorBeforeTheCommandStarts(_ bad: BadOutput) async throws {
        let (arguments, message) = try await bad.arguments(in: self)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let result = try await HybridRunProcess.run(arguments + ["--", "touch", path("ran")])
        #expect(result.status == 125)
        #expect(result.stderr.split(separator: "\n").first?.hasSuffix(message) == true, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
    }

    /// hybrid-run as user nobody, for what root may always do: write into a read-only directory or over a read-only file.
    @Test(.enabled(if: getuid() == 0, "needs root to run hybrid-run as another user"))
    func aReadOnlyDirectoryOrFileIsAUsageErrorBeforeTheCommandStarts() async throws {
        #expect(chmod(directory.path, 0o755) == 0)
        try FileManager.default.createDirectory(atPath: path("read-only"), withIntermediateDirectories: true)
        #expect(chmod(path("read-only"), 0o555) == 0)
        try FileManager.default.createDirectory(atPath: path("writable"), withIntermediateDirectories: true)
        #expect(chmod(path("writable"), 0o777) == 0)
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("writable/kept.folded")))
        #expect(chmod(path("writable/kept.folded"), 0o444) == 0)
        #expect(chown(path("writable/kept.folded"), 65534, 65534) == 0)

        for (output, message) in [
            (path("read-only/run.folded"), "directory \(path("read-only")) is not writable: choose a directory you can write to"),
            (path("writable/kept.folded"), "the file is read-only: make it writable or choose another name"),
        ] {
            let result = try await ProcessRunner.run(
                URL(fileURLWithPath: "/usr/bin/setpriv"),
                ["--reuid=65534", "--regid=65534", "--clear-groups", try HybridRunProcess.executable.path, "-o", output, "--", "touch", path("writable/ran")],
                environment: HybridRunProcess.quietEnvironment, timeout: .seconds(60))
            #expect(result.status == 125)
            #expect(result.stderr.split(separator: "\n").first?.hasSuffix("--output \(output): \(message)") == true, "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path("writable")) == ["kept.folded"])
        #expect(try String(contentsOfFile: path("writable/kept.folded"), encoding: .utf8) == "old")
    }
}
