import Glibc
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
        guard let start = UnsafeRawPointer(bitPattern: UInt(getauxval(UInt(AT_SYSINFO_EHDR)))),
              let header = ELFReader(UnsafeRawBufferPointer(start: start, count: MemoryLayout<Elf64_Ehdr>.size)).header,
              header.e_shoff <= 1 << 20
        else { return nil }
        let length = header.e_shoff + UInt64(header.e_shentsize) * UInt64(header.e_shnum)
        guard length > UInt64(MemoryLayout<Elf64_Ehdr>.size), length <= 1 << 21 else { return nil }
        return ELFImage(name: name, copying: UnsafeRawBufferPointer(start: start, count: Int(length)))
    }()
}
