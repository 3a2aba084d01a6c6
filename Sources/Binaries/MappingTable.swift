/// A process's memory layout kept up to date from the kernel's reports of each `mmap` and `mprotect`
/// (perf's `PERF_RECORD_MMAP2`), for processes whose `/proc/PID/maps` may be gone by the time their
/// samples are unwound.
///
/// A new mapping replaces whatever it overlaps, as `MAP_FIXED` does: `ld.so` reserves a library's whole
/// range, then maps each segment over the reservation.
public struct MappingTable: Sendable, Equatable {
    /// The mappings in address order, never overlapping.
    public private(set) var mappings: [MemoryMapping] = []
    /// Counts changes that can move code: a module's range appeared, moved or was cut. Anonymous memory
    /// (the heap growing) leaves it alone, so unwinders built for the current modules stay valid.
    public private(set) var moduleGeneration = 0

    public init(mappings: [MemoryMapping] = []) {
        for mapping in mappings { insert(mapping) }
    }

    public mutating func insert(_ mapping: MemoryMapping) {
        guard mapping.end > mapping.start else { return }
        var kept: [MemoryMapping] = []
        kept.reserveCapacity(mappings.count + 2)
        var touchesModule = Self.holdsCode(mapping)
        for existing in mappings {
            guard existing.end > mapping.start, existing.start < mapping.end else {
                kept.append(existing)
                continue
            }
            touchesModule = touchesModule || Self.holdsCode(existing)
            if existing.start < mapping.start {
                var head = existing
                head.end = mapping.start
                kept.append(head)
            }
            if existing.end > mapping.end {
                var tail = existing
                tail.offset &+= mapping.end - existing.start
                tail.start = mapping.end
                kept.append(tail)
            }
        }
        kept.append(mapping)
        kept.sort { $0.start < $1.start }
        mappings = kept
        if touchesModule { moduleGeneration += 1 }
    }

    private static func holdsCode(_ mapping: MemoryMapping) -> Bool {
        mapping.isFileBacked || mapping.path == VDSO.name
    }
}
