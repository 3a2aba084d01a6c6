import Dispatch
import Glibc
import Logging
import ProcessLaunch
import Profiles
import SafeText
import Symbolization
import Synchronization

/// Samples the CPU stacks of a child and everything it starts, from its first instruction to its exit.
///
/// With perf events (the default where the kernel allows them), the kernel copies each running thread's
/// registers and stack top at every period of its CPU time, following threads, forks and execs by itself,
/// and a reader thread unwinds the copies. With ptrace, a dedicated tracer thread seizes the gated child,
/// follows its threads, forks and execs, and stops the running threads at the requested rate to copy
/// them. Profiles are symbolized when taken, not while sampling.
public final class Profiler: Sendable {
    /// Whether the child managed to `exec` its command (if not, it exits with 127 and `waitForExit` says so).
    public let execOutcome: ExecOutcome
    private let store: ProfileStore
    private let symbolizer: ProfileSymbolizer
    private let completion = Mutex<(termination: ChildTermination?, waiters: [CheckedContinuation<ChildTermination, Never>])>((nil, []))

    private init(execOutcome: ExecOutcome, store: ProfileStore, symbolizer: ProfileSymbolizer) {
        self.execOutcome = execOutcome
        self.store = store
        self.symbolizer = symbolizer
    }

    /// Starts sampling `child` the way `options.method` asks, then releases it.
    ///
    /// - Throws: ``ProfilerError`` when sampling is not permitted; the child is then still gated, for the
    ///   caller to release and run unprofiled.
    public static func start(child: GatedChild, options: SamplingOptions = .default, logger: Logger) throws(ProfilerError) -> Profiler {
        // `exec` looks the command up in hybrid-run's own PATH (execvpe), not in the child's environment.
        let privileged = PrivilegedExecutable.command(child.arguments[0], searchPath: getenv("PATH").map { String(cString: $0) })
        switch options.method {
        case .perfEvent:
            return try sample(child, options: options, privileged: privileged, logger: logger)
        case .ptrace:
            return try trace(child, options: options, privileged: privileged, logger: logger)
        case .automatic:
            let perfError: ProfilerError
            do { return try sample(child, options: options, privileged: privileged, logger: logger) } catch { perfError = error }
            logger.debug("perf events refused (\(perfError.reasons.joined(separator: "; "))); sampling with ptrace instead")
            do { return try trace(child, options: options, privileged: privileged, logger: logger) } catch { throw .combining(perfError, error) }
        }
    }

    /// Samples with perf events; a `privileged` command runs as it is, with one line saying that the kernel
    /// takes no samples of it.
    private static func sample(_ child: GatedChild, options: SamplingOptions, privileged: PrivilegedExecutable?,
                               logger: Logger) throws(ProfilerError) -> Profiler {
        let store = ProfileStore(fallingBehind: FallingBehind(
            rate: options.rate, cause: "the kernel dropped them from full buffers: the reader was behind"),
            recordsTimeline: options.recordsTimeline, recordsWall: options.wall)
        let rootPID = child.pid
        let warning = privileged.map { privileged in
            let alternative = OwnPrivileges.canTraceWithPrivileges ? " (--sampler ptrace can profile it)" : ""
            return "perf events take no samples of \(ShownText.value(privileged.path)): it is \(privileged.grants.joined(separator: ", ")), and the kernel stops profiling a program at an exec that changes its credentials; it runs unprofiled\(alternative)"
        }
        return try start(child, store: store, sampleWeight: options.period, beforeRelease: { if let warning { logger.warning("\(warning)") } }) { () throws(ProfilerError) in
            // A privileged command stays per task: the kernel would sample it by cgroup, against what the warning says.
            try PerfSampler(rootPID: rootPID, options: options, byCgroup: privileged == nil, store: store, logger: logger)
        }
    }

    /// Samples with ptrace; refuses a `privileged` command that tracing would run without its privilege.
    private static func trace(_ child: GatedChild, options: SamplingOptions, privileged: PrivilegedExecutable?,
                              logger: Logger) throws(ProfilerError) -> Profiler {
        if let privileged, !OwnPrivileges.canTraceWithPrivileges { throw .losesPrivilegeWhenTraced(privileged) }
        let store = ProfileStore(fallingBehind: FallingBehind(
            rate: options.rate,
            cause: "the tracer cannot stop every thread within a period, so it stops those that used the most CPU since their last sample; "
                + "a sample stands for the CPU time its thread used since its previous one, so CPU totals stay right"),
            recordsTimeline: options.recordsTimeline, recordsWall: options.wall)
        let rootPID = child.pid
        return try start(child, store: store, sampleWeight: options.period) { () throws(ProfilerError) in
            try Tracer(rootPID: rootPID, options: options, store: store, logger: logger)
        }
    }

    /// Makes the sampler on a new thread of its own, which runs it from then on until the child exits, and once
    /// it is attached releases the child (after `beforeRelease`: a warning about the command comes before its output).
    ///
    /// The child is released from this thread while the sampler's thread already serves it: a signal reaching
    /// the gated child (a stop under ptrace) must not wait on a tracer that is itself waiting for the release.
    private static func start(_ child: GatedChild, store: ProfileStore, sampleWeight: Int64, beforeRelease: () -> Void = {},
                              sampler makeSampler: @escaping @Sendable () throws(ProfilerError) -> any Sampler) throws(ProfilerError) -> Profiler {
        let attached = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let failure = Mutex<ProfilerError?>(nil)
        let profiler = Mutex<Profiler?>(nil)
        DedicatedThread.start {
            let sampler: any Sampler
            do throws(ProfilerError) {
                sampler = try makeSampler()
            } catch {
                failure.withLock { $0 = error }
                attached.signal()
                return
            }
            attached.signal()
            let termination = sampler.run()
            released.wait()
            profiler.withLock { $0 }?.finish(termination)
        }
        attached.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        beforeRelease()
        let started = Profiler(execOutcome: child.release(), store: store, symbolizer: ProfileSymbolizer(sampleWeight: sampleWeight))
        profiler.withLock { $0 = started }
        released.signal()
        return started
    }

    /// How the child ended, once it and every traced descendant still running have been handled or detached.
    public func waitForExit() async -> ChildTermination {
        await withCheckedContinuation { continuation in
            let known = completion.withLock { state -> ChildTermination? in
                if state.termination == nil { state.waiters.append(continuation) }
                return state.termination
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    /// Everything sampled since the previous call (or the start), symbolized.
    public func takeProfile() -> Profile { symbolizer.profile(of: store.take()) }

    /// `profile` (taken from this profiler) with JIT frames named from perf maps written since their window.
    public func namingLateFrames(in profile: Profile) -> Profile { symbolizer.namingLateFrames(in: profile) }

    private func finish(_ termination: ChildTermination) {
        let waiters = completion.withLock { state in
            state.termination = termination
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: termination) }
    }
}

/// A detached POSIX thread of our own. ptrace binds a tracee to the thread that attached, so the tracer
/// cannot run on Dispatch or Swift concurrency threads, which move work between threads; the perf reader
/// blocks in `poll` for the whole run, which would starve the cooperative pool of one of its threads.
///
/// Each has an alternate signal stack, so that ``CrashGuard`` handles even its stack overflowing.
enum DedicatedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    static func start(_ run: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        let error = pthread_create(&thread, nil, { argument in
            CrashGuard.prepareThread()
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, body)
        precondition(error == 0, "cannot create the profiler thread: \(String(cString: strerror(error)))")
        pthread_detach(thread)
    }
}
