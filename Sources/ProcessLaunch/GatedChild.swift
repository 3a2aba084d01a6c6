import _CProcessShims
import Glibc

/// A child process forked and held before `exec`, so it can be traced (or recorded) from its first instruction.
///
/// The child keeps this process's stdin, stdout, stderr, working directory and process group; only the
/// environment given here is its own. It runs COMMAND once ``release()`` is called.
public final class GatedChild: Sendable {
    public let pid: pid_t
    /// The command line as given; `arguments[0]` is looked up in `PATH` as a shell would.
    public let arguments: [String]
    private let gateDescriptor: Int32
    private let statusDescriptor: Int32

    private init(pid: pid_t, arguments: [String], gateDescriptor: Int32, statusDescriptor: Int32) {
        self.pid = pid
        self.arguments = arguments
        self.gateDescriptor = gateDescriptor
        self.statusDescriptor = statusDescriptor
    }

    /// Forks the child. It waits at the gate until ``release()``.
    /// - Parameter inherited: the signal state and descriptors the child starts with.
    public static func spawn(arguments: [String], environment: [String: String], inherited: InheritedState = .atStartup) throws(SpawnError) -> GatedChild {
        precondition(!arguments.isEmpty, "a command line has at least the command")
        var mask = inherited.signalMask
        var fileLimit = inherited.openFileLimit
        let argv = CStringArray(arguments)
        let envp = CStringArray(environment.map { "\($0.key)=\($0.value)" }.sorted())
        var pid: pid_t = 0
        var gate: Int32 = -1
        var status: Int32 = -1
        let error = inherited.defaultedSignals.withUnsafeBufferPointer { signals in
            inherited.descriptors.withUnsafeBufferPointer { descriptors in
                hr_spawn_gated(argv.pointers[0], argv.pointers, envp.pointers, &mask,
                               signals.baseAddress, Int32(signals.count),
                               descriptors.baseAddress, Int32(descriptors.count), &fileLimit, &pid, &gate, &status)
            }
        }
        guard error == 0 else { throw SpawnError(errno: error) }
        return GatedChild(pid: pid, arguments: arguments, gateDescriptor: gate, statusDescriptor: status)
    }

    /// Lets the child run COMMAND and reports whether `exec` succeeded.
    ///
    /// Blocks only until the child has exec'd or failed to (the status pipe is close-on-exec). Call it once.
    public func release() -> ExecOutcome {
        var go: UInt8 = 1
        _ = Glibc.write(gateDescriptor, &go, 1)
        close(gateDescriptor)
        var childErrno: Int32 = 0
        var received = 0
        while received < MemoryLayout<Int32>.size {
            let count = withUnsafeMutableBytes(of: &childErrno) { buffer in
                read(statusDescriptor, buffer.baseAddress! + received, buffer.count - received)
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received += count
        }
        close(statusDescriptor)
        return received == MemoryLayout<Int32>.size ? .failed(errno: childErrno) : .started
    }
}

/// NUL-terminated C string arrays that live as long as this value.
private final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointers[index]) }
        pointers.deallocate()
    }
}
