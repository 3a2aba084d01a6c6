import SafeText

#if canImport(Glibc)
import Glibc
#endif

/// Where generated records go: standard output, or a file that appears only once it is complete.
///
/// A file is written to a temporary sibling (`.NAME.XXXXXX` in the same directory, so the final `rename(2)`
/// is atomic) and renamed over `path` by ``commit()`` after `fsync`: a crash or a full disk never leaves a
/// truncated `path`, and an existing `path` stays as it was until the new one is complete.
public final class RecordOutput {
    public let path: String
    private let descriptor: Int32
    private var temporaryPath: String?

    /// - Parameter path: a file path, or `-` for standard output.
    public init(path: String) throws(OutputError) {
        self.path = path
        if path == "-" {
            descriptor = STDOUT_FILENO
            return
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory).\(name).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard created >= 0 else { throw OutputError(path: path, operation: "create", errno: errno) }
        descriptor = created
        temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // mkstemp creates 0600; a finished file gets what any other new file would (0666 minus the umask).
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
    }

    deinit {
        discard()
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure != 0 { throw OutputError(path: path, operation: "write", errno: failure) }
    }

    /// Makes the output final: flushes the temporary file to disk and renames it to ``path``.
    public func commit() throws(OutputError) {
        guard let temporaryPath else { return }
        guard fsync(descriptor) == 0 else { throw OutputError(path: path, operation: "write", errno: errno) }
        guard close(descriptor) == 0 else { throw OutputError(path: path, operation: "write", errno: errno) }
        self.temporaryPath = nil
        guard rename(temporaryPath, path) == 0 else {
            let error = errno
            unlink(temporaryPath)
            throw OutputError(path: path, operation: "replace", errno: error)
        }
    }

    /// Removes the temporary file of an output that was not committed; ``path`` is left untouched.
    public func discard() {
        guard let temporaryPath else { return }
        close(descriptor)
        unlink(temporaryPath)
        self.temporaryPath = nil
    }
}

/// A failed create, write or rename, named for the user's path (never the temporary one).
public struct OutputError: Error, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let errno: Int32

    public var description: String {
        "cannot \(operation) \(ShownText.path(path)): \(String(cString: strerror(errno)))"
    }
}
