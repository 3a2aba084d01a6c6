/// Where a section's contents lie in the file, and the address they are linked at (0 when not loaded).
public struct ELFSection: Sendable, Hashable {
    public var virtualAddress: UInt64
    public var fileOffset: Int
    public var size: Int
}
