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

    public init(path: String, image: ELFImage?, start: UInt64, end: UInt64, fileOffset: UInt64, loadBias: UInt64) {
        self.path = path
        self.image = image
        self.start = start
        self.end = end
        self.fileOffset = fileOffset
        self.loadBias = loadBias
    }

    /// The last path component, as frames of unknown functions show it (`libfoo.so+0x1234`).
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    public var buildID: String? { image?.buildID }

    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }

    /// The ELF virtual address that `address` (a runtime address in this module) corresponds to.
    public func virtualAddress(of address: UInt64) -> UInt64 { address &- loadBias }
}
