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
    public init?(mapsLine line: Substring) {
        var fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)[...]
        guard fields.count >= 5,
              let range = fields.popFirst(), let permissions = fields.popFirst(),
              let offsetText = fields.popFirst(), fields.popFirst() != nil, let inodeText = fields.popFirst()
        else { return nil }
        let bounds = range.split(separator: "-")
        guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
              let offset = UInt64(offsetText, radix: 16), let inode = UInt64(inodeText), permissions.count >= 4
        else { return nil }
        let flags = Array(permissions.utf8)
        self.init(start: start, end: end, isReadable: flags[0] == UInt8(ascii: "r"),
                  isWritable: flags[1] == UInt8(ascii: "w"), isExecutable: flags[2] == UInt8(ascii: "x"),
                  offset: offset, inode: inode,
                  path: fields.first.map { String($0.drop(while: { $0 == " " })) } ?? "")
    }
}
