import Glibc

/// A thread's `/proc/PID/task/TID/schedstat`: the kernel's own account of its time on and waiting for a CPU.
///
/// Three numbers (`se.sum_exec_runtime`, `sched_info.run_delay`, `sched_info.pcount`; see the kernel's
/// `Documentation/scheduler/sched-stats.rst`): what is neither is time the thread spent blocked, and an
/// unchanged ``timesScheduled`` says the thread has not run since the last look.
struct SchedulerStatistics: Equatable {
    /// Nanoseconds on a CPU.
    var runTime: Int64
    /// Nanoseconds runnable but waiting for a CPU (the run queue).
    var waitTime: Int64
    /// How many times the thread was put on a CPU.
    var timesScheduled: Int64

    /// Reads the open `schedstat` file: one `pread`, about 0.9 µs; `nil` once the thread is gone.
    static func read(_ descriptor: Int32) -> SchedulerStatistics? {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { bytes -> SchedulerStatistics? in
            let count = pread(descriptor, bytes.baseAddress, bytes.count, 0)
            guard count > 0 else { return nil }
            // Parsed in place (no array): the tracer reads every thread's file at every tick.
            var result = SchedulerStatistics(runTime: 0, waitTime: 0, timesScheduled: 0)
            var field = 0
            var value: Int64 = 0
            var inNumber = false
            for byte in bytes[0..<count] {
                if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                    let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                    guard !overflow else { return nil }
                    value = shifted &+ Int64(byte - UInt8(ascii: "0"))
                    inNumber = true
                    continue
                }
                guard inNumber else { continue }
                switch field {
                case 0: result.runTime = value
                case 1: result.waitTime = value
                default: result.timesScheduled = value
                }
                field += 1
                value = 0
                inNumber = false
                if field == 3 { return result }
            }
            return nil
        }
    }
}
