import Binaries
import Glibc

/// Offsets in the running kernel's structures, read from its BTF type information (`/sys/kernel/btf/vmlinux`,
/// format: https://docs.kernel.org/bpf/btf.html), as opentelemetry-ebpf-profiler and every CO-RE loader find them.
/// Written by hand: the one question asked (where `task_struct` keeps `thread.fsbase`) needs a walk of the type
/// section, and libbpf, which answers it, is not a dependency of this project.
enum KernelTypes {
    /// Where `struct task_struct` keeps the thread pointer of a task that is not running its own `wrfsbase`:
    /// `thread.fsbase` (x86-64), in bytes; `nil` when the kernel has no BTF or the members are missing.
    static func threadPointerOffset(btfPath: String = "/sys/kernel/btf/vmlinux") -> UInt32? {
        withContents(of: btfPath) { BTF(ByteReader($0))?.memberOffset(["thread", "fsbase"], in: "task_struct") }
    }

    /// `body` on the file's bytes: mapped where the file allows it (sysfs hands BTF out 4 KiB per `read`, 1,350 calls
    /// for a 5.5 MB kernel's), else read whole.
    private static func withContents<T>(of path: String, _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        if size > 0, let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED {
            defer { munmap(mapping, size) }
            return body(UnsafeRawBufferPointer(start: mapping, count: size))
        }
        return ProcFile.bytes(path)?.withUnsafeBytes(body)
    }
}

/// The type and string sections of a BTF blob, every type's position indexed by its id.
private struct BTF {
    let reader: ByteReader
    let strings: Int
    let stringsEnd: Int
    /// Each type's offset in `reader`, by id (id 0 is `void`).
    var positions: [Int] = [0]

    private enum Kind {
        static let structure: UInt32 = 4
        static let union: UInt32 = 5
    }

    init?(_ reader: ByteReader) {
        self.reader = reader
        guard reader.load(UInt16.self, at: 0) == 0xEB9F, let headerLength = reader.load(UInt32.self, at: 4),
              let typeOffset = reader.load(UInt32.self, at: 8), let typeLength = reader.load(UInt32.self, at: 12),
              let stringOffset = reader.load(UInt32.self, at: 16), let stringLength = reader.load(UInt32.self, at: 20)
        else { return nil }
        let types = Int(headerLength) + Int(typeOffset)
        let typesEnd = types + Int(typeLength)
        strings = Int(headerLength) + Int(stringOffset)
        stringsEnd = strings + Int(stringLength)
        guard typesEnd <= reader.bytes.count, stringsEnd <= reader.bytes.count else { return nil }
        var position = types
        positions.reserveCapacity(Int(typeLength) / 16)
        while position + 12 <= typesEnd {
            positions.append(position)
            guard let info = reader.load(UInt32.self, at: position + 4) else { return nil }
            position += 12 + Self.trailerSize(kind: (info >> 24) & 0x1f, count: Int(info & 0xffff))
        }
    }

    /// The bytes that follow a type's common 12 (`struct btf_type`), by kind (linux/btf.h).
    private static func trailerSize(kind: UInt32, count: Int) -> Int {
        switch kind {
        case 1, 14, 17: 4            // INT, VAR, DECL_TAG
        case 3: 12                   // ARRAY
        case 4, 5, 15, 19: 12 * count  // STRUCT, UNION, DATASEC, ENUM64
        case 6, 13: 8 * count        // ENUM, FUNC_PROTO
        default: 0
        }
    }

    /// The byte offset of the member reached through `path` (each a member of the previous one's struct type) from
    /// the start of struct `name`.
    func memberOffset(_ path: [String], in name: String) -> UInt32? {
        guard var type = positions.indices.dropFirst().first(where: { id in kind(of: id) == Kind.structure && isNamed(id, name) })
        else { return nil }
        guard let size = reader.load(UInt32.self, at: positions[type] + 8) else { return nil }
        // 64 bits: each member's offset comes from the file, and their sum must not trap.
        var bits: UInt64 = 0
        for member in path {
            guard let (memberType, offset) = self.member(member, of: type) else { return nil }
            bits += UInt64(offset)
            type = memberType
        }
        // A word inside the struct (the program reads 8 bytes there, and adds the offset as a 32-bit immediate).
        return bits % 8 == 0 && bits / 8 + 8 <= UInt64(min(size, UInt32(Int32.max))) ? UInt32(bits / 8) : nil
    }

    private func kind(of id: Int) -> UInt32? { reader.load(UInt32.self, at: positions[id] + 4).map { ($0 >> 24) & 0x1f } }

    private func isNamed(_ id: Int, _ name: String) -> Bool {
        reader.load(UInt32.self, at: positions[id]).map { string($0, equals: name) } ?? false
    }

    /// Compared in place: a kernel's BTF names tens of thousands of structs, none of which needs a `String`.
    private func string(_ offset: UInt32, equals name: String) -> Bool {
        var name = name
        return name.withUTF8 { wanted in
            let start = strings + Int(offset)
            guard start + wanted.count < stringsEnd else { return false }
            return reader.bytes[start + wanted.count] == 0
                && memcmp(reader.bytes.baseAddress! + start, wanted.baseAddress!, wanted.count) == 0
        }
    }

    /// Member `name` of struct or union `id`: its type id and its offset in bits.
    private func member(_ name: String, of id: Int) -> (type: Int, bits: UInt32)? {
        guard let info = reader.load(UInt32.self, at: positions[id] + 4), [Kind.structure, Kind.union].contains((info >> 24) & 0x1f)
        else { return nil }
        let bitfields = info & 0x8000_0000 != 0
        for index in 0..<Int(info & 0xffff) {
            let entry = positions[id] + 12 + 12 * index
            guard let nameOffset = reader.load(UInt32.self, at: entry), string(nameOffset, equals: name),
                  let type = reader.load(UInt32.self, at: entry + 4), let offset = reader.load(UInt32.self, at: entry + 8),
                  Int(type) < positions.count
            else { continue }
            return (Int(type), bitfields ? offset & 0xff_ffff : offset)
        }
        return nil
    }
}
