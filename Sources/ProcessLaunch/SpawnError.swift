import Glibc

/// `fork` or `pipe` failed: this process could not create the child at all.
public struct SpawnError: Error, CustomStringConvertible {
    public let errno: Int32

    public var description: String { "cannot start the command: \(String(cString: strerror(errno)))" }
}
