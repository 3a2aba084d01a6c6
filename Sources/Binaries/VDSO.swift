import _CProcessShims

/// The kernel's vDSO, which every process maps (it holds `clock_gettime` and the signal trampoline).
///
/// All processes on one kernel map the same vDSO image, so this process's own copy stands in for the
/// traced process's: it is read once, from memory, and never from the tracee.
public enum VDSO {
    public static let name = "[vdso]"

    /// Found from the auxiliary vector (`AT_SYSINFO_EHDR`, where the kernel maps it) rather than by parsing this
    /// process's `/proc/self/maps`, which took the reader ~5 ms at start-up (`perf record` of a release build).
    /// The image is a whole ELF file whose section headers come last (the kernel's `vdso2c` lays it out so), so its
    /// length is where they end, within the mapping.
    public static let image: ELFImage? = {
        guard let start = UnsafeRawPointer(bitPattern: UInt(getauxval(UInt(AT_SYSINFO_EHDR)))) else { return nil }
        let header = UnsafeRawBufferPointer(start: start, count: 64)
        guard header.starts(with: [0x7f, 0x45, 0x4c, 0x46]), header[4] == 2 else { return nil }
        let sectionHeaders = header.loadUnaligned(fromByteOffset: 0x28, as: UInt64.self)
        let entrySize = header.loadUnaligned(fromByteOffset: 0x3a, as: UInt16.self)
        let count = header.loadUnaligned(fromByteOffset: 0x3c, as: UInt16.self)
        guard sectionHeaders <= 1 << 20 else { return nil }
        let length = sectionHeaders + UInt64(entrySize) * UInt64(count)
        guard length > 64, length <= 1 << 21 else { return nil }
        return ELFImage(name: name, copying: UnsafeRawBufferPointer(start: start, count: Int(length)))
    }()
}
