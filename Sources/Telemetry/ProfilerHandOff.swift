import Foundation
import SafeText

#if canImport(Glibc)
import Glibc
#endif

/// Puts a workload under hybrid-run when `PYROSCOPE_ENABLE` asks for profiles, so the guide's own commands
/// (`PYROSCOPE_ENABLE=true … generator-otel 5000 /tmp/out.json`) profile as the guide says they do: the
/// workloads are "enabled by environment flags instead of separate builds".
///
/// The workloads hold no profiler: hybrid-run profiles a process from outside, from its first instruction.
/// So a workload asked for profiles that nothing profiles yet replaces itself (`execve`: same pid, arguments,
/// descriptors, working directory and environment) with `hybrid-run -- <itself> <arguments>`. hybrid-run
/// starts the root span, starts the workload again as its child with `TRACEPARENT`, and tags the profiles
/// with that trace, which the workload's own spans continue.
///
/// Nothing profiles it yet when no ancestor runs hybrid-run: under `hybrid-run -- make`, make → sh →
/// generator-otel is profiled already, and a second hybrid-run would ship a second series of the same
/// samples. hybrid-run gives its command the caller's environment unchanged, so the parent chain is what
/// tells. ``markerVariable``, set on the hand-off only, makes sure it happens once even when the hybrid-run
/// found is a wrapper that runs under another name.
enum ProfilerHandOff {
    /// Present in the environment of a workload that hybrid-run was started for by this hand-off.
    static let markerVariable = "HYBRID_RUN_HANDOFF"
    static let hybridRunName = "hybrid-run"
    /// How far up the parent chain to look: far deeper than any build tool's nesting.
    static let maximumAncestors = 64

    /// Execs hybrid-run when profiles are asked for and nothing profiles this process yet. Returns only when
    /// it did not, with the lines to log as warnings: why there will be no profiles, or a value of
    /// `PYROSCOPE_ENABLE` that is not a boolean.
    static func handOffIfAsked(programName: String, environment: [String: String], arguments: [String]) -> [String] {
        let (enabled, invalid) = BooleanText.value(of: "PYROSCOPE_ENABLE", in: environment, assumed: false)
        // Under hybrid-run, profiling is hybrid-run's business, and it has reported an invalid value itself.
        guard enabled || invalid != nil, environment[markerVariable] == nil, !isUnderHybridRun() else { return [] }
        if let invalid { return [invalid] }

        let underIt = "run under it: hybrid-run -- \(programName) …"
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let hybridRun = locateHybridRun(beside: executable, path: environment["PATH"])
        else {
            return ["""
                PYROSCOPE_ENABLE is true, but profiles come from hybrid-run and none was found beside \(programName) or on \
                PATH: running without profiles; to get them, build or install hybrid-run there, or \(underIt)
                """]
        }
        var handedOff = environment
        handedOff[markerVariable] = "1"
        let failure = exec(hybridRun, arguments: [hybridRunName, "--", executable] + arguments.dropFirst(), environment: handedOff)
        return ["""
            PYROSCOPE_ENABLE is true, but \(ShownText.value(hybridRun)) cannot be started (\(String(cString: strerror(failure)))): \
            running without profiles; to get them, \(underIt)
            """]
    }

    /// The hybrid-run in the directory of `executable` (as the products of one build or one install sit
    /// together), else the first on `path`. Empty `PATH` entries (the working directory) are not searched.
    static func locateHybridRun(beside executable: String, path: String?) -> String? {
        let directories = [URL(fileURLWithPath: executable).deletingLastPathComponent().path]
            + (path ?? "").split(separator: ":").map(String.init)
        return directories.lazy.map { URL(fileURLWithPath: $0).appendingPathComponent(hybridRunName).path }.first { candidate in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: candidate)
        }
    }

    /// Whether a process up the parent chain runs hybrid-run. Its executable's name is read from
    /// `/proc/PID/exe`, or from `/proc/PID/comm` when that is not ours to read (hybrid-run started by root,
    /// the workload by `sudo -u`).
    static func isUnderHybridRun() -> Bool {
        var pid = getppid()
        for _ in 0..<maximumAncestors where pid > 1 {
            if executableName(of: pid) == hybridRunName { return true }
            guard let parent = parentPID(of: pid) else { return false }
            pid = parent
        }
        return false
    }

    private static func executableName(of pid: pid_t) -> String? {
        if var path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") {
            // A program rebuilt while it runs (`swift build` replacing hybrid-run) shows as "PATH (deleted)".
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
            return URL(fileURLWithPath: path).lastPathComponent
        }
        return (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingWhitespace().description
    }

    /// The fourth field of `/proc/PID/stat`, after the command name in parentheses (which may hold anything).
    private static func parentPID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let nameEnd = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    /// Replaces the process; returns `errno` when that failed.
    private static func exec(_ path: String, arguments: [String], environment: [String: String]) -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        execve(path, argv, envp)
        return errno
    }
}
