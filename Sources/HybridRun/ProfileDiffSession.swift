import Foundation
import Glibc
import OutputFiles
import ProfileDiff
import ProfileExport
import Profiles
import Report
import SafeText

/// `hybrid-run --diff BASE NEW [--fail-above PCT] [-o diff.html] [-o diff.folded]`: compares two pprof CPU profiles and
/// gates on regressions, with `diff`'s exit statuses (0 no regression, 1 regression, 2 trouble).
///
/// Nothing is written unless both profiles were read and are comparable, and each output is written whole
/// or not at all.
public struct ProfileDiffSession: Sendable {
    public static let regressionStatus: Int32 = 1
    public static let badInputStatus: Int32 = 2

    /// What the command prints: the table (stdout) and, on trouble, one line (stderr).
    public struct Outcome: Sendable {
        public var status: Int32
        public var table: [String]
        public var errors: [String]
    }

    let basePath: String
    let newPath: String
    let failAbove: Double?
    let outputs: [String]
    let format: String?

    public init(basePath: String, newPath: String, failAbove: Double?, outputs: [String], format: String?) {
        self.basePath = basePath
        self.newPath = newPath
        self.failAbove = failAbove
        self.outputs = outputs
        self.format = format
    }

    /// Why the `--output`s of `--diff` cannot be written, or `nil`: a format it does not write, standard output
    /// (the table goes there), or what ``ProfileFiles`` refuses for any output (a directory, a file named twice).
    private static func problem(withOutputs paths: [String], format explicit: String?) -> String? {
        for path in paths {
            switch ProfileFormat.resolve(path: path, explicit: explicit) {
            case .folded?, .html?: break
            default: return "--diff writes .html (a differential flame graph) and .folded (difffolded.pl's format); --output \(ShownText.path(path)) is neither"
            }
            if case .descriptor(1)? = try? OutputTarget.resolve(path) {
                return "--output \(ShownText.path(path)): --diff prints its table on standard output; write the \(explicit ?? "output") to a file"
            }
        }
        return ProfileFiles.problem(withOutputs: paths, format: explicit)
    }

    public func run() -> Outcome {
        func failure(_ line: String) -> Outcome { Outcome(status: Self.badInputStatus, table: [], errors: [line]) }
        if let problem = Self.problem(withOutputs: outputs, format: format) { return failure(problem) }
        let base: PprofFile, new: PprofFile
        do {
            base = try Self.read(basePath, role: "BASE")
            new = try Self.read(newPath, role: "NEW")
        } catch {
            return failure(error.description)
        }
        for (role, path, file) in [("BASE", basePath, base), ("NEW", newPath, new)] where file.profile.totalSamples == 0 {
            return failure("--diff: \(role) \(ShownText.value(path)) has no samples (an empty profile cannot be compared)")
        }

        let comparison = ProfileComparison(base: base.profile, new: new.profile)
        let table = DiffTable.lines(comparison, baseName: basePath, newName: newPath, failAbove: failAbove)
        var errors: [String] = []
        for output in outputs {
            let bytes: [UInt8] = switch ProfileFormat.resolve(path: output, explicit: format) {
            case .html?:
                DiffReport(base: base.profile, new: new.profile, baseName: basePath, newName: newPath)
                    .html(generator: "hybrid-run \(HybridRunVersion.current)")
            default: Array(DifferentialFoldedWriter.write(base: base.profile, new: new.profile).utf8)
            }
            if let error = ProfileFiles.store(bytes, at: output) { errors.append(error) }
        }
        guard errors.isEmpty else { return Outcome(status: Self.badInputStatus, table: table, errors: errors) }
        let regressed = failAbove.map { !comparison.regressions(above: $0).isEmpty } ?? false
        return Outcome(status: regressed ? Self.regressionStatus : 0, table: table, errors: [])
    }

    /// A pprof file that can be compared, or the line saying why not.
    ///
    /// Any file with a cpu sample type can be compared with any other (its counts are of CPU time whatever other
    /// values it carries); ``PprofReader`` refuses the others. A pipe is read too, so that `--diff <(curl …) new.pb.gz`
    /// compares with a profile fetched on the fly, as `diff <(…) …` does.
    private static func read(_ path: String, role: String) throws(DiffInputError) -> PprofFile {
        func refusal(_ reason: String) -> DiffInputError {
            DiffInputError(description: "--diff: cannot read \(role) \(ShownText.value(path)): \(reason)")
        }
        // Non-blocking open: a FIFO nobody writes must not hang the diff; its read then ends at once, empty.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw refusal(String(cString: strerror(errno))) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFIFO: _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        case S_IFDIR: throw refusal("it is a directory")
        default: throw refusal("it is not a regular file or a pipe")
        }
        // Read whole, so bounded first: no CPU profile comes near what its data may inflate to.
        let tooLarge = DiffInputError(description: "--diff: \(role) \(ShownText.value(path)) is larger than \(PprofReader.inflateLimit >> 20) MiB: not a CPU profile")
        if status.st_size > PprofReader.inflateLimit { throw tooLarge }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw refusal(String(cString: strerror(errno))) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
            if bytes.count > PprofReader.inflateLimit { throw tooLarge }
        }
        do {
            return try PprofReader.read(bytes)
        } catch .negativeSampleValues {
            throw DiffInputError(description: "--diff: \(role) \(ShownText.value(path)) has \(PprofReadError.negativeSampleValues)")
        } catch {
            throw DiffInputError(description: "--diff: \(role) \(ShownText.value(path)): \(error)")
        }
    }
}

/// One line saying why an input of `--diff` cannot be compared.
struct DiffInputError: Error, CustomStringConvertible {
    let description: String
}
