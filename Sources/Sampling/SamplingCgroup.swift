import Binaries
import Glibc
import Logging

/// A cgroup (v2) of the command's own, `hybrid-run-PID` under hybrid-run's own cgroup, for the perf events to sample
/// by cgroup (``PerfEventSet``). Nested under ours, so every limit that applies to hybrid-run still applies to the
/// command; removed once the command has exited.
///
/// Why a cgroup: an event inherited by a new process starts its count at 0 there, so the first sample of every
/// process comes one period of its CPU time after its start (whatever ``PeriodJitter`` draws, a process keeps the
/// period in force at its fork): the code each short process runs about a period after start-up is over-sampled and
/// its first 0.75 period is never sampled (`cc1`'s `ira_init` had 4.6–6.4 % of `make`'s samples, 1.0 % in truth). A
/// cgroup event counts the cgroup's CPU time on its CPU across every process that runs there, keeping the time left
/// of its period when it is switched out (kernel/events/core.c, `perf_swevent_cancel_hrtimer`), so each new process
/// starts at whatever phase that count is at. The kernel allows cgroup events only to whom it allows events on every
/// task of a CPU (CAP_PERFMON, or `perf_event_paranoid` ≤ 0), and this needs a cgroup v2 hierarchy we may write.
final class SamplingCgroup {
    /// The cgroup's directory, open: what `perf_event_open` takes as `pid` with `PERF_FLAG_PID_CGROUP`.
    let descriptor: Int32
    let path: String
    /// hybrid-run's own cgroup, where processes that outlive the command are moved back to.
    private let parent: String

    private init(descriptor: Int32, path: String, parent: String) {
        self.descriptor = descriptor
        self.path = path
        self.parent = parent
    }

    deinit { close(descriptor) }

    /// Makes the cgroup; `nil`, saying why in a debug line, where the kernel or the file system refuses.
    static func create(logger: Logger) -> SamplingCgroup? {
        guard let mountPoint = hierarchyMountPoint(), let own = ownCgroup() else {
            logger.debug("sampling per task: no cgroup v2 hierarchy of ours")
            return nil
        }
        let parent = own == "/" ? mountPoint : mountPoint + own
        let path = "\(parent)/hybrid-run-\(getpid())"
        removeLeftovers(in: parent)
        // A directory of that name is left from a hybrid-run of the same pid that was killed: empty, it goes.
        if mkdir(path, 0o755) != 0 && !(errno == EEXIST && rmdir(path) == 0 && mkdir(path, 0o755) == 0) {
            logger.debug("sampling per task: cannot make cgroup \(path): \(String(cString: strerror(errno)))")
            return nil
        }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            logger.debug("sampling per task: cannot open cgroup \(path): \(String(cString: strerror(errno)))")
            rmdir(path)
            return nil
        }
        return SamplingCgroup(descriptor: descriptor, path: path, parent: parent)
    }

    /// Moves process `pid` (the gated command, before its `exec`) into the cgroup; `false` if refused.
    func add(_ pid: pid_t) -> Bool { Self.move(pid, to: path) }

    /// Moves the processes still in the cgroup (daemons the command started, orphans still running) back to
    /// hybrid-run's own cgroup, where they would have run without it, and removes the cgroup. A process forked
    /// while they are moved is moved in the next round; cgroups the command made inside keep the cgroup in place,
    /// said in a warning.
    func remove(logger: Logger) {
        var failure = EBUSY
        for _ in 0..<100 {
            let remaining = processes()
            for pid in remaining { _ = Self.move(pid, to: parent) }
            guard remaining.isEmpty else { continue }
            if rmdir(path) == 0 || errno == ENOENT { return }
            failure = errno
            // A process that has just exited can keep the cgroup busy a moment longer (EBUSY).
            usleep(10_000)
        }
        logger.warning("cannot remove cgroup \(path) (\(String(cString: strerror(failure)))): remove it once the cgroups and processes in it are gone")
    }

    /// Removes the cgroups that killed hybrid-runs left in `parent` (SIGKILL leaves no time to remove them): those
    /// whose hybrid-run no longer exists and that are empty (`rmdir` refuses a cgroup with processes, so a command
    /// that outlived its killed hybrid-run keeps its cgroup). A live hybrid-run's cgroup is never touched; one whose
    /// pid was reused stays until that process is gone too.
    private static func removeLeftovers(in parent: String) {
        guard let directory = opendir(parent) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix("hybrid-run-"), let pid = pid_t(name.dropFirst("hybrid-run-".count)), pid > 0,
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            rmdir("\(parent)/\(name)")
        }
    }

    private func processes() -> [pid_t] {
        (ProcFile.read("\(path)/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    private static func move(_ pid: pid_t, to cgroup: String) -> Bool {
        let descriptor = open("\(cgroup)/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let text = "\(pid)"
        return write(descriptor, text, text.utf8.count) == text.utf8.count
    }

    /// hybrid-run's cgroup in the v2 hierarchy, from the `0::PATH` line of `/proc/self/cgroup`.
    private static func ownCgroup() -> String? {
        let lines = (ProcFile.read("/proc/self/cgroup") ?? "").split(separator: "\n")
        return lines.first { $0.hasPrefix("0::/") }.map { String($0.dropFirst(3)) }
    }

    /// Where the whole cgroup v2 hierarchy is mounted (root `/`), from `/proc/self/mountinfo`:
    /// `ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS… - cgroup2 SOURCE …`. A mount point with an escaped
    /// character (`\040` for a space) is not taken.
    private static func hierarchyMountPoint() -> String? {
        for line in (ProcFile.read("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let separator = fields.firstIndex(of: "-"), separator >= 5, separator + 1 < fields.count,
                  fields[separator + 1] == "cgroup2", fields[3] == "/", !fields[4].contains("\\") else { continue }
            return String(fields[4])
        }
        return nil
    }
}
