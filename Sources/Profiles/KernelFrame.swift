/// The one frame of a sample its thread took in the kernel with no user context to unwind (`PERF_SAMPLE_REGS_ABI_NONE`):
/// a thread exiting, after its address space is released (`exit_mm` comes before the sampler is told of the exit, and
/// by cgroup the thread is sampled even after). Its CPU time is the process's own, so it is counted there, under a
/// name of its own, rather than among lost samples, which the kernel dropped.
public enum KernelFrame {
    /// perf's marker for the kernel's part of a call chain (`PERF_CONTEXT_KERNEL`, `(__u64)-128`, linux/perf_event.h):
    /// in the kernel's half of the address space, where no user frame can be.
    public static let address: UInt64 = 0xffff_ffff_ffff_ff80
    /// What the frame shows: `perf report` puts such samples in the kernel (`[k]`, `[kernel.kallsyms]`).
    public static let name = "[kernel]"
}
