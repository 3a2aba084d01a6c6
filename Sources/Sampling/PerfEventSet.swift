import _CProcessShims
import Glibc

/// The kernel samples for us: one task-clock event per CPU on the child, inherited by every thread and
/// process it starts, each writing samples (user registers and a copy of the stack top) and the side-band
/// records of forks, execs, exits and mappings into that CPU's ring buffer.
///
/// This is perf's `record --call-graph dwarf` design. The copy happens in the timer interrupt of the
/// sampled thread itself, so no thread is ever stopped by a tracer, and task-clock advances only while a
/// thread runs on a CPU: a thread blocked in a syscall or waiting for a CPU is never sampled, and each
/// sample stands for exactly one period of CPU time.
///
/// Unchecked `Sendable`: opened on the caller's thread, then handed to the reader thread, the only one
/// that touches it afterwards.
final class PerfEventSet: @unchecked Sendable {
    let buffers: [PerfRingBuffer]
    /// Whether the events also write a record at every context switch of every thread (`--wall`).
    let recordsSwitches: Bool

    private init(buffers: [PerfRingBuffer], recordsSwitches: Bool) {
        self.buffers = buffers
        self.recordsSwitches = recordsSwitches
    }

    /// Ring buffer pages per CPU (4 MiB): about 128 samples of 32 KiB, read whenever a quarter is full.
    private static let dataPages = 1024
    /// The smallest buffer worth trying when locked memory is limited (`perf_event_mlock_kb` for non-root).
    private static let minimumDataPages = 16

    /// Opens the events on `pid`, which must not have exec'd yet: they start counting at its `exec`, sampling
    /// every `period` nanoseconds of CPU time.
    static func open(pid: pid_t, options: SamplingOptions, period: Int64) throws(ProfilerError) -> PerfEventSet {
        let processors = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        var includeKernel = true
        var recordsSwitches = options.wall
        var buffers: [PerfRingBuffer] = []
        var cpu: Int32 = 0
        while cpu < processors {
            var attributes = Self.attributes(options: options, period: period, includeKernel: includeKernel, recordsSwitches: recordsSwitches)
            let descriptor = hr_perf_event_open(&attributes, pid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
            if descriptor < 0 {
                let error = errno
                // Time spent in the kernel still has a user stack to show, but sampling while in the kernel
                // needs privileges (perf_event_paranoid ≤ 1): without them, count user time only.
                if includeKernel && (error == EACCES || error == EPERM) && buffers.isEmpty {
                    includeKernel = false
                    continue
                }
                // Context-switch records exist since Linux 4.3; an older kernel refuses the attribute (EINVAL).
                if recordsSwitches && error == EINVAL && buffers.isEmpty {
                    recordsSwitches = false
                    continue
                }
                if error == ENODEV || error == EINVAL && cpu > 0 {
                    cpu += 1
                    continue
                }
                throw ProfilerError.perfEventFailed(errno: error)
            }
            guard let buffer = mapBuffer(descriptor) else {
                let error = errno
                close(descriptor)
                throw ProfilerError.perfEventFailed(errno: error)
            }
            buffers.append(buffer)
            cpu += 1
        }
        guard !buffers.isEmpty else { throw ProfilerError.perfEventFailed(errno: ENODEV) }
        return PerfEventSet(buffers: buffers, recordsSwitches: recordsSwitches)
    }

    /// The largest buffer the locked-memory limit allows, halving from ``dataPages``.
    private static func mapBuffer(_ descriptor: Int32) -> PerfRingBuffer? {
        var pages = dataPages
        while pages >= minimumDataPages {
            if let buffer = PerfRingBuffer(descriptor: descriptor, dataPages: pages) { return buffer }
            guard errno == EPERM || errno == ENOMEM else { return nil }
            pages /= 2
        }
        return nil
    }

    /// Samples `pid` (and threads and processes created from now on) every `period` nanoseconds of CPU time
    /// (``PeriodJitter``); `false` if the kernel refused.
    func setPeriod(_ period: Int64) -> Bool {
        buffers.allSatisfy { hr_perf_event_set_period($0.descriptor, UInt64(period)) == 0 }
    }

    private static func attributes(options: SamplingOptions, period: Int64, includeKernel: Bool, recordsSwitches: Bool) -> perf_event_attr {
        var attributes = perf_event_attr()
        attributes.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attributes.type = PERF_TYPE_SOFTWARE.rawValue
        attributes.config = UInt64(PERF_COUNT_SW_TASK_CLOCK.rawValue)
        attributes.sample_period = UInt64(period)
        attributes.sample_type = PerfRecord.sampleType
        attributes.sample_regs_user = PerfRecord.registerMask
        attributes.sample_stack_user = UInt32(options.stackCopySize)
        attributes.disabled = 1
        attributes.enable_on_exec = 1
        attributes.inherit = 1
        attributes.mmap = 1
        attributes.mmap2 = 1
        attributes.mmap_data = 1
        attributes.comm = 1
        attributes.comm_exec = 1
        attributes.task = 1
        attributes.sample_id_all = 1
        // `PERF_RECORD_SWITCH` at every switch in and out of every thread, for `--wall` (``WallRecorder``): allowed
        // unprivileged on our own inherited events (perf_event_paranoid 2), unlike a sampling event in the scheduler.
        attributes.context_switch = recordsSwitches ? 1 : 0
        // Records are timed on CLOCK_MONOTONIC so the reader can tell which are surely visible (``PerfSampler``)
        // and place each sample on the wall clock of the spans (the default perf clock has no user-space reading).
        attributes.use_clockid = 1
        attributes.clockid = CLOCK_MONOTONIC
        attributes.exclude_kernel = includeKernel ? 0 : 1
        attributes.exclude_hv = 1
        attributes.exclude_idle = 1
        // A wake-up at every sample, for a reader that reads the sampled thread's span (OTEP 4947) as soon as the
        // sample is written, the thread having run on meanwhile (ARCHITECTURE.md, "Thread context: the reader").
        // A reader with no span to read does not listen (``PerfSampler``): each wake-up cost it 13 µs.
        attributes.wakeup_events = 1
        return attributes
    }
}
