/// How stacks are captured (`--sampler`).
public enum SamplingMethod: String, Sendable, CaseIterable {
    /// Perf events when the kernel allows them, else ptrace.
    case automatic = "auto"
    /// The kernel copies the registers and stack top in the sampled thread's own timer interrupt
    /// (`perf_event_open`, as `perf record --call-graph dwarf`): no thread is ever stopped by a tracer.
    case perfEvent = "perf-event"
    /// A tracer thread stops each running thread, copies its registers and stack top, and resumes it:
    /// works where perf events are refused (`perf_event_paranoid` 3, a container's seccomp profile).
    case ptrace
}
