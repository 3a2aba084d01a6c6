import ProcessLaunch

/// The seam between the profiler and its two ways of sampling, perf events (``PerfSampler``) and ptrace
/// (``Tracer``): each is made on the profiler's own thread, attached to the child before the child is
/// released (`init` throws when that is refused), and then runs there until the child has exited.
///
/// Both feed the same ``ProcessRegistry`` and ``ProfileStore``; how they get a thread's registers and stack
/// is all that differs.
protocol Sampler: AnyObject {
    /// Samples until the child exits; returns how it ended.
    func run() -> ChildTermination
}
