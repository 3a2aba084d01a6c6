import Glibc

/// Nanosecond clocks the tracer measures and schedules with.
enum Clock {
    static func monotonic() -> Int64 { read(CLOCK_MONOTONIC) }
    static func wall() -> Int64 { read(CLOCK_REALTIME) }
    /// CPU time of the calling thread.
    static func threadCPU() -> Int64 { read(CLOCK_THREAD_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline` (ns).
    static func sleep(until deadline: Int64) {
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
    }
}

/// Converts CLOCK_MONOTONIC times (the perf records') to the wall clock the spans are timed on, with the
/// offset between the two measured once: a run is short enough that NTP's slewing does not matter, and one
/// offset keeps the samples in order when the wall clock is stepped.
struct WallClockOffset {
    private let offset = Clock.wall() - Clock.monotonic()

    func wall(monotonic time: UInt64) -> Int64 { Int64(clamping: time) &+ offset }
}

