/// The kernel's vDSO, which every process maps (it holds `clock_gettime` and the signal trampoline).
///
/// All processes on one kernel map the same vDSO image, so this process's own copy stands in for the
/// traced process's: it is read once, from memory, and never from the tracee.
public enum VDSO {
    public static let name = "[vdso]"

    public static let image: ELFImage? = {
        guard let mapping = ProcessMaps.parse(ProcFile.read("/proc/self/maps") ?? "").first(where: { $0.path == name }),
              let start = UnsafeRawPointer(bitPattern: UInt(mapping.start))
        else { return nil }
        return ELFImage(name: name, copying: UnsafeRawBufferPointer(start: start, count: Int(mapping.end - mapping.start)))
    }()
}
