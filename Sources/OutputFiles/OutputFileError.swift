import Glibc
import SafeText

/// Why an output cannot be written, named by the user's path (never a temporary name), with what to do.
public struct OutputFileError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// The path is a directory, or ends in `/`.
        case directory
        case missingDirectory(String)
        case readOnlyDirectory(String)
        /// An existing regular file this process may not write (its mode says read-only).
        case readOnlyFile
        /// A Unix socket: `open(2)` refuses it (`ENXIO`), only `connect(2)` reaches it.
        case socket
        /// A FIFO that no process has open for reading, when the writer must not wait for one.
        case noReader
        /// A FIFO or pipe whose reader took nothing for this long, when the writer must not wait for ever.
        case stalledReader(Duration)
        case closedDescriptor(Int32)
        /// What a system call reported.
        case system(Int32)
    }

    /// The path as the user gave it.
    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// What went wrong and, where the user can do something, what: `directory x does not exist: create it first`.
    public var reason: String {
        switch problem {
        case .directory: "it names a directory: give the name of a file"
        case .missingDirectory(let directory): "directory \(ShownText.path(directory)) does not exist: create it first"
        case .readOnlyDirectory(let directory): "directory \(ShownText.path(directory)) is not writable: choose a directory you can write to"
        case .readOnlyFile: "the file is read-only: make it writable or choose another name"
        case .socket: "it is a socket, which cannot be opened as a file: give a file or a FIFO"
        case .noReader: "no process has the FIFO open for reading: start the reader first"
        case .stalledReader(let limit): "its reader took nothing for \(DurationText.format(limit)): make the reader read to the end, or write to a file"
        case .closedDescriptor(let fd): "descriptor \(fd) is not open for writing"
        case .system(let code): String(cString: strerror(code))
        }
    }

    /// `cannot write PATH: REASON`, standard output named as such.
    public var description: String {
        "cannot write \(path == "-" ? "standard output" : ShownText.path(path)): \(reason)"
    }
}
