import _CProcessShims
import Glibc
import Logging

/// The kernel samples for us: one task-clock event per CPU on the child, inherited by every thread and
/// process it starts, each writing samples (user registers and a copy of the stack top) into that CPU's sample
/// buffer, and one dummy event per CPU, inherited alike, writing the side-band records of forks, execs, exits and
/// mappings (and with `--wall` of every context switch) into that CPU's side-band buffer.
///
/// This is perf's `record --call-graph dwarf` design. The copy happens in the timer interrupt of the
/// sampled thread itself, so no thread is ever stopped by a tracer, and task-clock advances only while a
/// thread runs on a CPU: a thread blocked in a syscall or waiting for a CPU is never sampled, and each
/// sample stands for exactly one period of CPU time.
///
/// Samples and side-band records have buffers of their own because a full buffer drops whatever comes next and
/// reports only how many records it dropped (`PERF_RECORD_LOST`, written ahead of the next record that fits): the
/// kernel counts every record that found no room (kernel/events/ring_buffer.c, `__perf_output_begin`: `fail:
/// local_inc(&rb->lost)`), of any type, and names in it the event that writes next, not those dropped. In a buffer
/// shared with context-switch records, most of what `--wall` lost was switch records, each counted as a lost
/// sample and a period of CPU time that never was. Apart, a loss in a sample buffer is samples only, one in a
/// side-band buffer only records of processes and switches, and neither crowds out the other: a burst of 32 KiB
/// samples no longer drops the mappings they need, nor a switching storm the samples. (`PERF_RECORD_LOST_SAMPLES` is
/// written only for samples a PMU or a BPF filter discards; the per-event count `PERF_FORMAT_LOST`, Linux 6.0, would
/// tell two events sharing a buffer apart, but only when read, untimed, and the samples would still crowd out the
/// records they need.) The reader merges both kinds of buffer by time, as it merged the CPUs' (``PerfSampler``).
///
/// Where the kernel allows it, the samples come instead from one task-clock event per CPU on a cgroup made for
/// the command (``SamplingCgroup``: it says why), each with its sample buffer, and the inherited dummy events write
/// the side-band records, as with `perf record -G`.
///
/// Unchecked `Sendable`: opened on the caller's thread, then handed to the reader thread, the only one
/// that touches it afterwards.
final class PerfEventSet: @unchecked Sendable {
    /// One per CPU: the sampling events' buffers (each closes its event), and the side-band events'.
    let sampleBuffers: [PerfRingBuffer]
    let sideBandBuffers: [PerfRingBuffer]
    /// Whether the events also write a record at every context switch of every thread (`--wall`).
    let recordsSwitches: Bool
    /// The cgroup whose CPU time is sampled; `nil` when every thread samples itself with its inherited event.
    let cgroup: SamplingCgroup?

    /// Every buffer, the side-band ones first: of two records written at the same nanosecond the side-band one is
    /// applied first, so that a sample is never unwound before a mapping or fork of its instant.
    let buffers: [PerfRingBuffer]

    private init(sampleBuffers: [PerfRingBuffer], sideBandBuffers: [PerfRingBuffer], recordsSwitches: Bool, cgroup: SamplingCgroup? = nil) {
        self.sampleBuffers = sampleBuffers
        self.sideBandBuffers = sideBandBuffers
        buffers = sideBandBuffers + sampleBuffers
        self.recordsSwitches = recordsSwitches
        self.cgroup = cgroup
    }

    /// Whether `buffers[index]` is a side-band buffer.
    func isSideBand(_ index: Int) -> Bool { index < sideBandBuffers.count }

    /// Sample buffer pages per CPU (4 MiB): about 128 samples of 32 KiB, read at every pass of the reader
    /// (``PerfSampler/passInterval(bufferCapacity:stackCopySize:rate:)``).
    private static let sampleDataPages = 1024
    /// Side-band buffer pages per CPU (1 MiB): about 43,000 context-switch records of 24 bytes (0.9 s at the 48,000
    /// a second `scripts/bench-wall.sh`'s ping-pong writes), or 8,000 mappings.
    private static let sideBandDataPages = 256
    /// The smallest sample buffer worth trying when locked memory is limited (``open(pid:options:period:byCgroup:logger:)``).
    private static let minimumDataPages = 16

    /// What an event writes: the inherited events sample, or write the side-band records; a cgroup's events sample.
    private enum Role {
        case samples
        case sideBand
        case cgroupSamples
    }

    /// Opens the events on `pid`, which must not have exec'd yet: they start counting at its `exec`, sampling
    /// every `period` nanoseconds of CPU time. By cgroup where allowed (`byCgroup`), else per task.
    ///
    /// Every CPU's buffers have the same size, the largest that locked memory allows for all of them. Without
    /// `CAP_IPC_LOCK` the kernel lets a user lock `kernel.perf_event_mlock_kb` per online CPU for perf buffers, and a
    /// process `ulimit -l` more (kernel/events/core.c, `perf_mmap`); each CPU halving its own buffer until it fit left
    /// the first CPUs most of that and the last ones none, and with no buffer for one CPU perf events were refused
    /// altogether (an unprivileged user with `ulimit -l 0` on 2 CPUs: CPU 0 took 1,028 of 1,032 KiB). So where a
    /// buffer is refused for locked memory, all are released and all opened again at half the size (``BufferSizes``),
    /// by cgroup first where asked, then per task.
    static func open(pid: pid_t, options: SamplingOptions, period: Int64, byCgroup: Bool, logger: Logger) throws(ProfilerError) -> PerfEventSet {
        var sizes = BufferSizes()
        var byCgroup = byCgroup
        while true {
            do throws(ProfilerError) {
                var events: PerfEventSet?
                if byCgroup {
                    events = try openByCgroup(pid: pid, options: options, period: period, sizes: sizes, logger: logger)
                    // Refused for anything but locked memory: refused at any size.
                    byCgroup = events != nil
                }
                let opened = if let events { events } else { try openPerTask(pid: pid, options: options, period: period, sizes: sizes) }
                if sizes.halvings > 0 {
                    logger.debug("perf buffers of \(sizes.samples) pages a CPU for samples: locked memory is limited")
                }
                return opened
            } catch where error.smallerBufferMayFit {
                guard let smaller = sizes.halved else { throw error }
                sizes = smaller
            }
        }
    }

    /// Data pages per CPU of the sample and side-band buffers, `halvings` times halved from the full sizes: the
    /// side-band buffers stay a quarter of the samples' down to the smallest, then the samples halve on to theirs.
    private struct BufferSizes {
        var halvings = 0

        var samples: Int { sampleDataPages >> halvings }
        var sideBand: Int { max(minimumDataPages, sideBandDataPages >> halvings) }

        /// Half the size; `nil` below the smallest.
        var halved: BufferSizes? {
            sampleDataPages >> (halvings + 1) >= minimumDataPages ? BufferSizes(halvings: halvings + 1) : nil
        }
    }

    /// The inherited sampling and side-band events, each CPU's with buffers of `sizes`.
    private static func openPerTask(pid: pid_t, options: SamplingOptions, period: Int64, sizes: BufferSizes) throws(ProfilerError) -> PerfEventSet {
        let samples = try openInherited(pid: pid, options: options, period: period, role: .samples, dataPages: sizes.samples)
        let sideBand = try openInherited(pid: pid, options: options, period: 0, role: .sideBand, dataPages: sizes.sideBand)
        return PerfEventSet(sampleBuffers: samples.buffers.map(\.buffer), sideBandBuffers: sideBand.buffers.map(\.buffer),
                            recordsSwitches: sideBand.recordsSwitches)
    }

    /// The cgroup's sampling events and the inherited side-band events, the command moved into the cgroup last;
    /// `nil` (all undone, one debug line) where anything is refused, and the refusal thrown (all undone) where it is
    /// a buffer refused for (locked) memory, which a smaller size may get.
    private static func openByCgroup(pid: pid_t, options: SamplingOptions, period: Int64, sizes: BufferSizes,
                                     logger: Logger) throws(ProfilerError) -> PerfEventSet? {
        guard let cgroup = SamplingCgroup.create(logger: logger) else { return nil }
        func refused(_ what: String, _ reason: String = String(cString: strerror(errno))) -> PerfEventSet? {
            cgroup.remove(logger: logger)
            logger.debug("sampling per task: \(what): \(reason)")
            return nil
        }
        let inherited: (buffers: [(cpu: Int32, buffer: PerfRingBuffer)], recordsSwitches: Bool)
        do {
            inherited = try openInherited(pid: pid, options: options, period: 0, role: .sideBand, dataPages: sizes.sideBand)
        } catch {
            cgroup.remove(logger: logger)
            if error.smallerBufferMayFit { throw error }
            logger.debug("sampling per task: side-band events: \(error.reasons.joined(separator: "; "))")
            return nil
        }
        var samples: [PerfRingBuffer] = []
        for (cpu, _) in inherited.buffers {
            var attributes = Self.attributes(options: options, period: period, includeKernel: true, recordsSwitches: false, role: .cgroupSamples)
            let descriptor = hr_perf_event_open(&attributes, cgroup.descriptor, cpu, -1, UInt(PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC))
            guard descriptor >= 0 else { return refused("cgroup events") }
            guard let buffer = PerfRingBuffer(descriptor: descriptor, dataPages: sizes.samples) else {
                let error = errno
                close(descriptor)
                if let refusal = ProfilerError.bufferRefused(errno: error, dataPages: sizes.samples) {
                    cgroup.remove(logger: logger)
                    throw refusal
                }
                return refused("cgroup events' buffers", String(cString: strerror(error)))
            }
            samples.append(buffer)
        }
        guard cgroup.add(pid) else { return refused("moving the command into \(cgroup.path)") }
        logger.debug("sampling by cgroup \(cgroup.path)")
        return PerfEventSet(sampleBuffers: samples, sideBandBuffers: inherited.buffers.map(\.buffer), recordsSwitches: inherited.recordsSwitches,
                            cgroup: cgroup)
    }

    /// One inherited event per CPU on `pid`, enabled at its `exec`, each with its ring buffer of `dataPages`.
    private static func openInherited(pid: pid_t, options: SamplingOptions, period: Int64, role: Role,
                                      dataPages: Int) throws(ProfilerError) -> (buffers: [(cpu: Int32, buffer: PerfRingBuffer)], recordsSwitches: Bool) {
        let processors = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        var includeKernel = true
        var recordsSwitches = options.wall && role == .sideBand
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
            guard let buffer = PerfRingBuffer(descriptor: descriptor, dataPages: dataPages) else {
                let error = errno
                close(descriptor)
                throw ProfilerError.bufferRefused(errno: error, dataPages: dataPages) ?? ProfilerError.perfEventFailed(errno: error)
            }
            buffers.append((cpu, buffer))
            cpu += 1
        }
        guard !buffers.isEmpty else { throw ProfilerError.perfEventFailed(errno: ENODEV) }
        return (buffers, recordsSwitches)
    }

    /// Samples `pid` (and threads and processes created from now on), or the cgroup, every `period` nanoseconds of
    /// CPU time (``PeriodJitter``), on every CPU or on the CPU of `sampleBuffers[sampleBuffer]`; `false` if the kernel
    /// refused.
    func setPeriod(_ period: Int64, sampleBuffer: Int? = nil) -> Bool {
        let buffers = sampleBuffer.map { [sampleBuffers[$0]] } ?? sampleBuffers
        return buffers.allSatisfy { hr_perf_event_set_period($0.descriptor, UInt64(period)) == 0 }
    }

    private static func attributes(options: SamplingOptions, period: Int64, includeKernel: Bool, recordsSwitches: Bool, role: Role) -> perf_event_attr {
        let inherited: UInt64 = role == .cgroupSamples ? 0 : 1
        let sideBand: UInt64 = role == .sideBand ? 1 : 0
        var attributes = perf_event_attr()
        attributes.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attributes.type = PERF_TYPE_SOFTWARE.rawValue
        attributes.config = UInt64(role == .sideBand ? PERF_COUNT_SW_DUMMY.rawValue : PERF_COUNT_SW_TASK_CLOCK.rawValue)
        attributes.sample_period = role == .sideBand ? 0 : UInt64(period)
        attributes.sample_type = PerfRecord.sampleType
        attributes.sample_regs_user = PerfRecord.registerMask
        attributes.sample_stack_user = UInt32(options.stackCopySize)
        // A cgroup's events count from now on: the command enters the cgroup just before it is released.
        attributes.disabled = inherited
        attributes.enable_on_exec = inherited
        attributes.inherit = inherited
        attributes.mmap = sideBand
        attributes.mmap2 = sideBand
        attributes.mmap_data = sideBand
        attributes.comm = sideBand
        attributes.comm_exec = sideBand
        attributes.task = sideBand
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
