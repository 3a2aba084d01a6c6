/// Bounds-checked reads out of a byte buffer that came from outside: a file (ELF), or a record the kernel
/// wrote (perf). A read that would run past either end yields `nil`, never a trap, so a truncated or
/// hostile input cannot crash the profiler.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The `T` at `offset`, or `nil` unless all of it lies inside the buffer. Inlinable so that other modules
    /// get it specialized for their `T`: the perf reader decodes every record through it, and unspecialized each
    /// call looked up `T`'s metadata in the Swift runtime's locked cache.
    @inlinable
    public func load<T>(_ type: T.Type, at offset: Int) -> T? {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return nil }
        return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    /// The same at a 64-bit offset taken from the input itself (a file offset), which may exceed `Int`.
    @inlinable
    public func load<T>(_ type: T.Type, at offset: UInt64) -> T? {
        Int(exactly: offset).flatMap { load(type, at: $0) }
    }

    /// The NUL-terminated string at `offset`, if it ends inside the buffer.
    public func string(at offset: Int) -> String? {
        guard offset >= 0, offset < bytes.count else { return nil }
        let tail = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        guard let end = tail.firstIndex(of: 0) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: tail[..<end]), as: UTF8.self)
    }

    /// The same at a 64-bit offset plus an index into a table there (a section and a name in it).
    public func string(at base: UInt64, plus index: UInt64) -> String? {
        let (offset, overflow) = base.addingReportingOverflow(index)
        return overflow ? nil : Int(exactly: offset).flatMap { string(at: $0) }
    }
}
