/// An ELF file (or the vDSO) as mapped into one process: where it lives and how its addresses translate.
public struct LoadedModule: Sendable {
    /// The mapped file's path, or `[vdso]`.
    public let path: String
    /// The file's contents; `nil` when it could not be read (the module can still be named, not unwound).
    public let image: ELFImage?
    /// The lowest and one past the highest address of the module's mappings.
    public let start: UInt64
    public let end: UInt64
    /// The file offset mapped at `start`.
    public let fileOffset: UInt64
    /// Runtime address minus the ELF virtual address (0 for a non-PIE executable).
    public let loadBias: UInt64
    /// The ranges the file itself is mapped at, in address order. Between them, inside `start..<end`, lies
    /// memory that is not the file (anonymous memory: `.bss`, or code a program copied or generated there).
    public let fileRanges: [Range<UInt64>]

    /// - Parameter fileRanges: where the file is mapped; by default all of `start..<end`.
    public init(path: String, image: ELFImage?, start: UInt64, end: UInt64, fileOffset: UInt64, loadBias: UInt64,
                fileRanges: [Range<UInt64>]? = nil) {
        self.path = path
        self.image = image
        self.start = start
        self.end = end
        self.fileOffset = fileOffset
        self.loadBias = loadBias
        self.fileRanges = fileRanges ?? [start..<max(start, end)]
    }

    /// The last path component, as frames of unknown functions show it (`libfoo.so+0x1234`).
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    public var buildID: String? { image?.buildID }

    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }

    /// The ELF virtual address that `address` (a runtime address in this module) corresponds to.
    public func virtualAddress(of address: UInt64) -> UInt64 { address &- loadBias }

    /// The ELF virtual address of `address` if the file is mapped there; `nil` in the module's anonymous
    /// gaps, whose contents the file does not describe (its symbols must not name them).
    public func fileVirtualAddress(of address: UInt64) -> UInt64? {
        fileRanges.contains { $0.contains(address) } ? virtualAddress(of: address) : nil
    }
}
