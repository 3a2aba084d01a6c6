import Foundation
import Glibc
import OutputFiles
import Synchronization
import TestSupport
import Testing

/// The output rule on real files in a directory of the test's own: what is at the path decides how it is written.
@Suite final class OutputFileTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("output-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.path + "/" + name }

    private func contents(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    private func names(in subdirectory: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: subdirectory.map(path) ?? directory.path).sorted()
    }

    private func status(_ path: String) throws -> stat {
        var result = stat()
        guard lstat(path, &result) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return result
    }

    private func write(_ text: String, to path: String, noReader: OutputFile.NoReader = .wait) throws {
        let output = try OutputFile(path: path, noReader: noReader)
        try output.write(Array(text.utf8))
        try output.commit()
    }

    @Test func aRegularFileIsReplacedOnlyOnCommit() throws {
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path("out.jsonl")))
        let output = try OutputFile(path: path("out.jsonl"))
        try output.write(Array("partial".utf8))
        output.discard()
        #expect(try contents("out.jsonl") == "old\n")
        #expect(try names() == ["out.jsonl"])

        try write("new\n", to: path("out.jsonl"))
        #expect(try contents("out.jsonl") == "new\n")
        #expect(try names() == ["out.jsonl"])
    }

    @Test func aReplacedFileKeepsItsModeAndOwner() throws {
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("run.folded")))
        #expect(chmod(path("run.folded"), 0o640) == 0)
        let owner: uid_t = getuid() == 0 ? 65534 : getuid()
        let group: gid_t = getuid() == 0 ? 65534 : getgid()
        #expect(chown(path("run.folded"), owner, group) == 0)

        try write("new", to: path("run.folded"))
        let replaced = try status(path("run.folded"))
        #expect(replaced.st_mode & 0o7777 == 0o640)
        #expect(replaced.st_uid == owner && replaced.st_gid == group)
        #expect(try contents("run.folded") == "new")
    }

    @Test func aSymlinkChainWithRelativeTargetsIsWrittenThroughAndStaysAChain() throws {
        try FileManager.default.createDirectory(atPath: path("sub"), withIntermediateDirectories: false)
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("real.json")))
        #expect(symlink("sub/hop.json", path("latest.json")) == 0)
        #expect(symlink("../real.json", path("sub/hop.json")) == 0)

        try write("new", to: path("latest.json"))
        #expect(try contents("real.json") == "new")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("latest.json")) == "sub/hop.json")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("sub/hop.json")) == "../real.json")
        #expect(try names() == ["latest.json", "real.json", "sub"])
        #expect(try names(in: "sub") == ["hop.json"])
    }

    @Test func aDanglingSymlinkGetsItsTargetCreated() throws {
        #expect(symlink("target.json", path("link.json")) == 0)
        try write("new", to: path("link.json"))
        #expect(try contents("target.json") == "new")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.json")) == "target.json")
    }

    @Test func aFIFOIsWrittenInPlace() throws {
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        let reader = try FIFOReader(path: path("fifo"))
        try write("through the fifo\n", to: path("fifo"), noReader: .fail)
        let received = reader.finish()
        #expect(received.sawEndOfFile)
        #expect(String(decoding: received.bytes, as: UTF8.self) == "through the fifo\n")
        #expect(try status(path("fifo")).st_mode & S_IFMT == S_IFIFO)
        #expect(try names() == ["fifo"])
    }

    /// With a stall limit, a pipe is written a page at a time as it has room: a reader that takes everything gets
    /// everything, however often the pipe fills (200 KiB through a 64 KiB pipe).
    @Test func aFIFOWithAStallLimitGetsEverythingItsReaderTakes() throws {
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        let reader = try FIFOReader(path: path("fifo"))
        let text = (0..<20_000).map { "line \($0)\n" }.joined()
        let output = try OutputFile(path: path("fifo"), noReader: .fail, stallLimit: .seconds(30))
        try output.write(Array(text.utf8))
        try output.commit()
        let received = reader.finish()
        #expect(received.sawEndOfFile)
        #expect(received.bytes.count == text.utf8.count)
        #expect(String(decoding: received.bytes, as: UTF8.self) == text)
    }

    /// A reader that holds the FIFO open and reads nothing: the write fails once the limit passes without a byte taken.
    @Test func aFIFOWhoseReaderTakesNothingFailsAfterTheStallLimit() async throws {
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        let reader = open(path("fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(reader >= 0)
        defer { close(reader) }
        let fifo = path("fifo")
        let outcome = Mutex<OutputFileError?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(OutputFileError) {
                let output = try OutputFile(path: fifo, noReader: .fail, stallLimit: .milliseconds(300))
                try output.write([UInt8](repeating: 0x41, count: 1 << 20))
            } catch {
                outcome.withLock { $0 = error }
            }
            finished.signal()
        }
        // Far beyond the limit: a writer that waits for ever is released by reading everything, and the test fails.
        if finished.wait(timeout: .now() + 60) == .timedOut {
            Issue.record("the write still waited for the reader after 60 s")
            var buffer = [UInt8](repeating: 0, count: 65536)
            while finished.wait(timeout: .now()) == .timedOut { _ = read(reader, &buffer, buffer.count) }
        }
        #expect(outcome.withLock { $0 } == OutputFileError(path: fifo, problem: .stalledReader(.milliseconds(300))))
    }

    @Test func aFIFOWithoutAReaderFailsAtOnceWhenTheWriterMustNotWait() throws {
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        #expect(throws: OutputFileError(path: path("fifo"), problem: .noReader)) {
            try OutputFile(path: self.path("fifo"), noReader: .fail)
        }
        #expect(try status(path("fifo")).st_mode & S_IFMT == S_IFIFO)
        #expect(try names() == ["fifo"])
    }

    @Test func aFIFOWithoutAReaderIsWaitedForWhenTheOutputIsTheWork() async throws {
        #expect(mkfifo(path("fifo"), 0o600) == 0)
        let fifo = path("fifo")
        let writer = Mutex<(thread: String?, done: Bool)>((nil, false))
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let thread = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")  // PID/task/TID
            writer.withLock { $0.thread = thread }
            let output = try? OutputFile(path: fifo, noReader: .wait)
            try? output?.write(Array("late reader\n".utf8))
            try? output?.commit()
            writer.withLock { $0.done = true }
            finished.signal()
        }
        // The writer is blocked opening the FIFO (in openat, system call 257 on x86-64) before any reader exists.
        var blockedInOpen = false
        while !blockedInOpen {
            let (thread, done) = writer.withLock { $0 }
            if done { break }
            if let thread, let syscall = try? String(contentsOfFile: "/proc/\(thread)/syscall", encoding: .utf8) {
                blockedInOpen = syscall.hasPrefix("257 ")
            }
            if !blockedInOpen { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(blockedInOpen)
        let reader = try FIFOReader(path: fifo)
        finished.wait()
        let received = reader.finish()
        #expect(String(decoding: received.bytes, as: UTF8.self) == "late reader\n")
    }

    @Test func aDescriptorIsWrittenAtItsOwnOffsetNotReplaced() throws {
        let fd = open(path("log"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(Glibc.write(fd, "from the command\n", 17) == 17)
        let before = try status(path("log"))

        try write("from the profiler\n", to: "/dev/fd/\(fd)")
        #expect(try contents("log") == "from the command\nfrom the profiler\n")
        #expect(try status(path("log")).st_ino == before.st_ino)
        #expect(fcntl(fd, F_GETFD) >= 0, "the program's own descriptor stays open")
        #expect(try names() == ["log"])
    }

    /// Paths that cannot be written: refused when the output is opened, before any work, with what to do.
    enum Unwritable: String, CaseIterable {
        case directory, endsInSlash, missingDirectory, socket, symlinkLoop, closedDescriptor

        func make(in test: OutputFileTests) throws -> (path: String, problem: OutputFileError.Problem) {
            switch self {
            case .directory:
                try FileManager.default.createDirectory(atPath: test.path("out.json"), withIntermediateDirectories: false)
                return (test.path("out.json"), .directory)
            case .endsInSlash:
                return (test.path("new/"), .directory)
            case .missingDirectory:
                return (test.path("missing/out.json"), .missingDirectory(test.path("missing")))
            case .socket:
                let socket = test.path("socket")
                let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: socket.utf8) }
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                #expect(bound == 0)
                return (socket, .socket)
            case .symlinkLoop:
                _ = symlink("b", test.path("a"))
                _ = symlink("a", test.path("b"))
                return (test.path("a"), .system(ELOOP))
            case .closedDescriptor:
                return ("/dev/fd/987", .closedDescriptor(987))
            }
        }
    }

    @Test(arguments: Unwritable.allCases)
    func anUnwritablePathIsRefusedWhenOpened(_ unwritable: Unwritable) throws {
        let (path, problem) = try unwritable.make(in: self)
        let before = try names()
        #expect(throws: OutputFileError(path: path, problem: problem)) { try OutputFile(path: path) }
        #expect(try names() == before)
    }

    @Test func messagesNameTheUsersPathAndSayWhatToDo() {
        #expect("\(OutputFileError(path: "out/x.json", problem: .missingDirectory("out")))"
            == "cannot write out/x.json: directory out does not exist: create it first")
        #expect("\(OutputFileError(path: "-", problem: .system(EPIPE)))" == "cannot write standard output: Broken pipe")
        #expect("\(OutputFileError(path: "p\n", problem: .noReader))"
            == "cannot write p\\n: no process has the FIFO open for reading: start the reader first")
    }
}
