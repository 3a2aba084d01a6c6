import _CProcessShims
import Glibc
import Logging

/// The kernel samples for us: one task-clock event per CPU on the child, inherited by every thread and
/// process it starts, each writing samples (user registers and a copy of the stack top) and the side-band
/// records of forks, execs, exits and mappings into that CPU's ring buffer.
///
/// This is perf's `record --call-graph dwarf` design. The copy happens in the timer interrupt of the
/// sampled thread itself, so no thread is ever stopped by a tracer, and task-clock advances only while a
/// thread runs on a CPU: a thread blocked in a syscall or waiting for a CPU is never sampled, and each
/// sample stands for exactly one period of CPU time.
///
/// Where the kernel allows it, the samples come instead from one task-clock event per CPU on a cgroup made for
/// the command (``SamplingCgroup``: it says why), writing into the same ring buffers (`PERF_EVENT_IOC_SET_OUTPUT`),
/// and the inherited events only write the side-band records (`PERF_COUNT_SW_DUMMY`), as with `perf record -G`.
///
/// Unchecked `Sendable`: opened on the caller's thread, then handed to the reader thread, the only one
/// that touches it afterwards.
final class PerfEventSet: @unchecked Sendable {
    let buffers: [PerfRingBuffer]
    /// Whether the events also write a record at every context switch of every thread (`--wall`).
    let recordsSwitches: Bool
    /// The cgroup whose CPU time is sampled; `nil` when every thread samples itself with its inherited event.
    let cgroup: SamplingCgroup?
    /// The cgroup's events, one per CPU, writing into ``buffers``.
    private let cgroupEvents: [Int32]

    private init(buffers: [PerfRingBuffer], recordsSwitches: Bool, cgroup: SamplingCgroup? = nil, cgroupEvents: [Int32] = []) {
        self.buffers = buffers
        self.recordsSwitches = recordsSwitches
        self.cgroup = cgroup
        self.cgroupEvents = cgroupEvents
    }

    deinit { for descriptor in cgroupEvents { close(descriptor) } }

    /// Ring buffer pages per CPU (4 MiB): about 128 samples of 32 KiB, read whenever a quarter is full.
    private static let dataPages = 1024
    /// The smallest buffer worth trying when locked memory is limited (`perf_event_mlock_kb` for non-root).
    private static let minimumDataPages = 16

    /// What an event writes: the inherited events sample and write the side-band records, unless a cgroup's
    /// events sample.
    private enum Role {
        case samplesAndSideBand
        case sideBand
        case cgroupSamples
    }

    /// Opens the events on `pid`, which must not have exec'd yet: they start counting at its `exec`, sampling
    /// every `period` nanoseconds of CPU time. By cgroup where allowed (`byCgroup`), else per task.
    static func open(pid: pid_t, options: SamplingOptions, period: Int64, byCgroup: Bool, logger: Logger) throws(ProfilerError) -> PerfEventSet {
        if byCgroup, let events = openByCgroup(pid: pid, options: options, period: period, logger: logger) { return events }
        let (buffers, recordsSwitches) = try openInherited(pid: pid, options: options, period: period, role: .samplesAndSideBand)
        return PerfEventSet(buffers: buffers.map(\.buffer), recordsSwitches: recordsSwitches)
    }

    /// The cgroup's sampling events and the inherited side-band events, the command moved into the cgroup last;
    /// `nil` (all undone, one debug line) where anything is refused.
    private static func openByCgroup(pid: pid_t, options: SamplingOptions, period: Int64, logger: Logger) -> PerfEventSet? {
        guard let cgroup = SamplingCgroup.create(logger: logger) else { return nil }
        var events: [Int32] = []
        func refused(_ what: String, _ reason: String = String(cString: strerror(errno))) -> PerfEventSet? {
            for descriptor in events { close(descriptor) }
            cgroup.remove(logger: logger)
            logger.debug("sampling per task: \(what): \(reason)")
            return nil
        }
        let inherited: (buffers: [(cpu: Int32, buffer: PerfRingBuffer)], recordsSwitches: Bool)
        do {
            inherited = try openInherited(pid: pid, options: options, period: 0, role: .sideBand)
        } catch {
            return refused("side-band events", error.reasons.joined(separator: "; "))
        }
        for (cpu, buffer) in inherited.buffers {
            var attributes = Self.attributes(options: options, period: period, includeKernel: true, recordsSwitches: false, role: .cgroupSamples)
            let descriptor = hr_perf_event_open(&attributes, cgroup.descriptor, cpu, -1, UInt(PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC))
            guard descriptor >= 0 else { return refused("cgroup events") }
            events.append(descriptor)
            guard hr_perf_event_set_output(descriptor, buffer.descriptor) == 0 else { return refused("PERF_EVENT_IOC_SET_OUTPUT") }
        }
        guard cgroup.add(pid) else { return refused("moving the command into \(cgroup.path)") }
        logger.debug("sampling by cgroup \(cgroup.path)")
        return PerfEventSet(buffers: inherited.buffers.map(\.buffer), recordsSwitches: inherited.recordsSwitches, cgroup: cgroup, cgroupEvents: events)
    }

    /// One inherited event per CPU on `pid`, enabled at its `exec`, each with its ring buffer.
    private static func openInherited(pid: pid_t, options: SamplingOptions, period: Int64,
                                      role: Role) throws(ProfilerError) -> (buffers: [(cpu: Int32, buffer: PerfRingBuffer)], recordsSwitches: Bool) {
        let processors = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        var includeKernel = true
        var recordsSwitches = options.wall
        var buffers: [(cpu: Int32, buffer: PerfRingBuffer)] = []
        var cpu: Int32 = 0
        while cpu < processors {
            var attributes = Self.attributes(options: options, period: period, includeKernel: includeKernel, recordsSwitches: recordsSwitches, role: role)
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
            buffers.append((cpu, buffer))
            cpu += 1
        }
        guard !buffers.isEmpty else { throw ProfilerError.perfEventFailed(errno: ENODEV) }
        return (buffers, recordsSwitches)
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

    /// Samples `pid` (and threads and processes created from now on), or the cgroup, every `period` nanoseconds of
    /// CPU time (``PeriodJitter``); `false` if the kernel refused.
    func setPeriod(_ period: Int64) -> Bool {
        let sampling = cgroup == nil ? buffers.map(\.descriptor) : cgroupEvents
        return sampling.allSatisfy { hr_perf_event_set_period($0, UInt64(period)) == 0 }
    }

    private static func attributes(options: SamplingOptions, period: Int64, includeKernel: Bool, recordsSwitches: Bool, role: Role) -> perf_event_attr {
        let sideBand: UInt64 = role == .cgroupSamples ? 0 : 1
        var attributes = perf_event_attr()
        attributes.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attributes.type = PERF_TYPE_SOFTWARE.rawValue
        attributes.config = UInt64(role == .sideBand ? PERF_COUNT_SW_DUMMY.rawValue : PERF_COUNT_SW_TASK_CLOCK.rawValue)
        attributes.sample_period = role == .sideBand ? 0 : UInt64(period)
        attributes.sample_type = PerfRecord.sampleType
        attributes.sample_regs_user = PerfRecord.registerMask
        attributes.sample_stack_user = UInt32(options.stackCopySize)
        // A cgroup's events count from now on: the command enters the cgroup just before it is released.
        attributes.disabled = sideBand
        attributes.enable_on_exec = sideBand
        attributes.inherit = sideBand
        attributes.mmap = sideBand
        attributes.mmap2 = sideBand
        attributes.mmap_data = sideBand
        attributes.comm = sideBand
        attributes.comm_exec = sideBand
        attributes.task = sideBand
        attributes.sample_id_all = 1
        // `PERF_RECORD_SWITCH` at every switch in and out of every thread, for `--wall` (``WallRecorder``): allowed
        // unprivileged on our own inherited events (perf_event_paranoid 2), unlike a sampling event in the scheduler.
        attributes.context_switch = recordsSwitches && sideBand == 1 ? 1 : 0
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
