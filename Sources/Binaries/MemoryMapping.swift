/// One line of `/proc/PID/maps`: a range of the address space and what backs it.
public struct MemoryMapping: Sendable, Hashable {
    public var start: UInt64
    public var end: UInt64
    public var isReadable: Bool
    public var isWritable: Bool
    public var isExecutable: Bool
    /// Offset in the backing file of `start`.
    public var offset: UInt64
    public var inode: UInt64
    /// The file, or a kernel name such as `[stack]` or `[vdso]`; empty for anonymous memory.
    public var path: String

    public init(start: UInt64, end: UInt64, isReadable: Bool, isWritable: Bool, isExecutable: Bool,
                offset: UInt64, inode: UInt64, path: String) {
        self.start = start
        self.end = end
        self.isReadable = isReadable
        self.isWritable = isWritable
        self.isExecutable = isExecutable
        self.offset = offset
        self.inode = inode
        self.path = path
    }

    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }

    /// Backed by a file on disk (not anonymous memory or a kernel-provided region like `[vdso]`).
    public var isFileBacked: Bool { inode != 0 && path.hasPrefix("/") }

    /// Parses `start-end perms offset dev inode [path]`; `nil` for a malformed line.
    ///
    /// Bytes, not `Character`s: splitting the line's `Substring`s and parsing them as numbers cost ~10 µs a line
    /// (grapheme breaking), and the ptrace sampler reads the maps of every process it starts tracing: a cc1 of a
    /// build is 60–80 lines.
    init?(mapsLine line: UnsafeBufferPointer<UInt8>) {
        var cursor = MapsLineCursor(line: line)
        guard let start = cursor.number(radix: 16, until: UInt8(ascii: "-")), let end = cursor.number(radix: 16, until: space),
              let permissions = cursor.field(), permissions.count >= 4,
              let offset = cursor.number(radix: 16, until: space), cursor.field() != nil,
              let inode = cursor.number(radix: 10, until: space)
        else { return nil }
        self.init(start: start, end: end, isReadable: permissions[0] == UInt8(ascii: "r"),
                  isWritable: permissions[1] == UInt8(ascii: "w"), isExecutable: permissions[2] == UInt8(ascii: "x"),
                  offset: offset, inode: inode, path: String(decoding: cursor.rest(), as: UTF8.self))
    }
}

private let space = UInt8(ascii: " ")

/// Reads a line of `/proc/PID/maps` field by field, each field and the spaces after it.
private struct MapsLineCursor {
    let line: UnsafeBufferPointer<UInt8>
    var index = 0

    /// A number in `radix` ending at `terminator` (or, for a space, at the line's end), the terminator and any spaces
    /// after it consumed; `nil` for anything else, or more than 64 bits.
    mutating func number(radix: UInt64, until terminator: UInt8) -> UInt64? {
        var value: UInt64 = 0
        let first = index
        while index < line.count, line[index] != terminator {
            let byte = line[index]
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
            let (sum, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
            index += 1
        }
        guard index > first, index < line.count || terminator == space else { return nil }
        skip(terminator)
        return value
    }

    /// The bytes up to the next space (at least one), the spaces after them consumed.
    mutating func field() -> UnsafeBufferPointer<UInt8>? {
        let first = index
        while index < line.count, line[index] != space { index += 1 }
        guard index > first else { return nil }
        let field = UnsafeBufferPointer(rebasing: line[first..<index])
        skip(space)
        return field
    }

    /// What is left of the line.
    func rest() -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[index...]) }

    private mutating func skip(_ byte: UInt8) {
        if index < line.count, line[index] == byte { index += 1 }
        while index < line.count, line[index] == space { index += 1 }
    }
}
