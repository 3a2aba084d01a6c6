/// A process's memory layout kept up to date from the kernel's reports of each `mmap` and `mprotect`
/// (perf's `PERF_RECORD_MMAP2`), for processes whose `/proc/PID/maps` may be gone by the time their
/// samples are unwound.
///
/// A new mapping replaces whatever it overlaps, as `MAP_FIXED` does: `ld.so` reserves a library's whole
/// range, then maps each segment over the reservation.
///
/// Only mappings of files and the vDSO are kept, the only ones modules are made of: anonymous memory (heap,
/// thread stacks, a JIT's code) only cuts what it overlaps. A long-running process maps anonymous memory
/// without end (every large `malloc`), and the table must not grow with it.
public struct MappingTable: Sendable, Equatable {
    /// The file and vDSO mappings in address order, never overlapping.
    public private(set) var mappings: [MemoryMapping] = []
    /// Counts changes that can move code: a module's range appeared, moved or was cut. Anonymous memory
    /// (the heap growing) leaves it alone, so unwinders built for the current modules stay valid.
    public private(set) var moduleGeneration = 0

    public init(mappings: [MemoryMapping] = []) {
        for mapping in mappings { insert(mapping) }
    }

    public mutating func insert(_ mapping: MemoryMapping) {
        guard mapping.end > mapping.start else { return }
        // The mappings overlapping the new one are a contiguous run, from the first that ends after its start.
        let first = mappings.partitioningIndex { $0.end > mapping.start }
        var last = first
        while last < mappings.count, mappings[last].start < mapping.end { last += 1 }
        let holdsCode = Self.holdsCode(mapping)
        guard holdsCode || first < last else { return }
        var replacement: [MemoryMapping] = []
        if first < last, mappings[first].start < mapping.start {
            var head = mappings[first]
            head.end = mapping.start
            replacement.append(head)
        }
        if holdsCode { replacement.append(mapping) }
        if first < last, mappings[last - 1].end > mapping.end {
            var tail = mappings[last - 1]
            tail.offset &+= mapping.end - tail.start
            tail.start = mapping.end
            replacement.append(tail)
        }
        mappings.replaceSubrange(first..<last, with: replacement)
        moduleGeneration += 1
    }

    private static func holdsCode(_ mapping: MemoryMapping) -> Bool {
        mapping.isFileBacked || mapping.path == VDSO.name
    }
}
