import _CProcessShims
import Glibc

/// The ptrace requests the tracer makes, typed. Each returns `errno` on failure (0 on success).
enum Ptrace {
    /// Attach options: follow every new thread and process, report execs; no exit-kill, so the child
    /// survives hybrid-run.
    static let seizeOptions = Int(PTRACE_O_TRACECLONE.rawValue | PTRACE_O_TRACEFORK.rawValue
        | PTRACE_O_TRACEVFORK.rawValue | PTRACE_O_TRACEEXEC.rawValue)

    static func seize(_ pid: pid_t) -> Int32 {
        call(PTRACE_SEIZE, pid, data: UnsafeMutableRawPointer(bitPattern: seizeOptions))
    }

    static func interrupt(_ tid: pid_t) -> Int32 { call(PTRACE_INTERRUPT, tid) }

    /// Resumes a stopped tracee, delivering `signal` (0 for none).
    static func cont(_ tid: pid_t, signal: Int32 = 0) -> Int32 {
        call(PTRACE_CONT, tid, data: UnsafeMutableRawPointer(bitPattern: Int(signal)))
    }

    /// Leaves a group-stopped tracee stopped, as job control wants, while still reporting it.
    static func listen(_ tid: pid_t) -> Int32 { call(PTRACE_LISTEN, tid) }

    static func detach(_ tid: pid_t, signal: Int32 = 0) -> Int32 {
        call(PTRACE_DETACH, tid, data: UnsafeMutableRawPointer(bitPattern: Int(signal)))
    }

    static func getRegisters(_ tid: pid_t, into registers: inout user_regs_struct) -> Int32 {
        withUnsafeMutablePointer(to: &registers) { call(PTRACE_GETREGS, tid, data: UnsafeMutableRawPointer($0)) }
    }

    /// The value attached to the last ptrace event (the new pid of a fork, the former tid of an exec).
    static func eventMessage(_ tid: pid_t) -> UInt? {
        var message: UInt = 0
        let error = withUnsafeMutablePointer(to: &message) { call(PTRACE_GETEVENTMSG, tid, data: UnsafeMutableRawPointer($0)) }
        return error == 0 ? message : nil
    }

    private static func call(_ request: __ptrace_request, _ tid: pid_t, data: UnsafeMutableRawPointer? = nil) -> Int32 {
        hr_ptrace(Int32(request.rawValue), tid, nil, data) == -1 ? errno : 0
    }
}

/// A `waitpid` status, decoded for ptrace (`PTRACE_SEIZE` semantics).
struct WaitStatus {
    let raw: Int32

    var isStopped: Bool { hr_wifstopped(raw) != 0 }
    var isTermination: Bool { hr_wifexited(raw) != 0 || hr_wifsignaled(raw) != 0 }
    var stopSignal: Int32 { hr_wstopsig(raw) }
    /// `PTRACE_EVENT_*` of an event stop, 0 for a signal-delivery stop.
    var event: Int32 { (raw >> 16) & 0xff }

    static let stopEvent = Int32(PTRACE_EVENT_STOP.rawValue)
    static let execEvent = Int32(PTRACE_EVENT_EXEC.rawValue)
    static let newTaskEvents: Set<Int32> = [Int32(PTRACE_EVENT_FORK.rawValue), Int32(PTRACE_EVENT_VFORK.rawValue),
                                            Int32(PTRACE_EVENT_CLONE.rawValue)]

    /// A `PTRACE_EVENT_STOP` carrying a stop signal is a group stop (`SIGSTOP`, Ctrl-Z, background tty I/O);
    /// carrying `SIGTRAP` it is an interrupt (ours, the first stop of a new tracee, or SIGCONT ending a listen).
    var isGroupStop: Bool {
        event == Self.stopEvent && [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].contains(stopSignal)
    }

    var isInterruptStop: Bool { event == Self.stopEvent && !isGroupStop }
}
