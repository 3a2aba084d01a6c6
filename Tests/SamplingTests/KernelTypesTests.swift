import Foundation
@testable import Sampling
import Testing

/// The kernel program finds a thread's `fs_base` at an offset of `task_struct` that only the running kernel's BTF
/// knows. Read from hand-made BTF blobs laid out as linux/btf.h says, with a decoy member of the same name at another
/// depth, and from blobs that are not BTF.
@Suite struct KernelTypesTests {
    private struct Blob {
        var strings: [UInt8] = [0]
        var types: [UInt8] = []

        mutating func name(_ text: String) -> UInt32 {
            defer { strings += Array(text.utf8) + [0] }
            return UInt32(strings.count)
        }

        mutating func word(_ value: UInt32) { types += withUnsafeBytes(of: value.littleEndian, Array.init) }

        /// A struct of `members` (name, type id, offset in bits); `bitfields` sets `kind_flag`, under which the offset
        /// word's top 8 bits are a bitfield's size.
        mutating func structure(_ name: String, size: UInt32, bitfields: Bool = false, _ members: [(String, UInt32, UInt32)]) {
            word(self.name(name))
            word(4 << 24 | (bitfields ? 1 << 31 : 0) | UInt32(members.count))
            word(size)
            for (member, type, offset) in members {
                word(self.name(member))
                word(type)
                word(offset)
            }
        }

        var bytes: [UInt8] {
            var header: [UInt8] = [0x9F, 0xEB, 1, 0]
            for value in [UInt32(24), 0, UInt32(types.count), UInt32(types.count), UInt32(strings.count)] {
                header += withUnsafeBytes(of: value.littleEndian, Array.init)
            }
            return header + types + strings
        }
    }

    /// id 1 `int`, id 2 `struct thread_struct { long gsbase; long fsbase; }`, id 3 `struct task_struct` with a member
    /// `fsbase` of its own (the decoy) and `thread` at byte 32.
    private func kernel(bitfields: Bool = false) -> Blob {
        var blob = Blob()
        blob.word(blob.name("int"))
        blob.word(1 << 24)
        blob.word(4)
        blob.word(32)
        blob.structure("thread_struct", size: 16, bitfields: bitfields, [("gsbase", 1, 0), ("fsbase", 1, bitfields ? 5 << 24 | 64 : 64)])
        blob.structure("task_struct", size: 48, bitfields: bitfields, [("fsbase", 1, 0), ("thread", 2, 256)])
        return blob
    }

    private func offset(_ bytes: [UInt8]) throws -> UInt32? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("btf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(bytes).write(to: file)
        return KernelTypes.threadPointerOffset(btfPath: file.path)
    }

    @Test func findsThreadDotFsbaseInTaskStruct() throws {
        #expect(try offset(kernel().bytes) == 40)
        #expect(try offset(kernel(bitfields: true).bytes) == 40)
    }

    @Test func refusesWhatIsNotBTF() throws {
        let whole = kernel().bytes
        #expect(try offset(Array(whole.dropLast(12))) == nil, "strings cut short")
        #expect(try offset([0x9F, 0xEC] + whole.dropFirst(2)) == nil, "another magic")
        #expect(try offset([]) == nil)
        #expect(KernelTypes.threadPointerOffset(btfPath: "/nonexistent/btf") == nil)
        var missing = Blob()
        missing.structure("task_struct", size: 8, [("fsbase", 0, 0)])
        #expect(try offset(missing.bytes) == nil, "no thread member")
        // Offsets whose sum overflows 32 bits, or that do not fit the program's 32-bit immediate.
        var far = Blob()
        far.word(far.name("int"))
        far.word(1 << 24)
        far.word(4)
        far.word(32)
        far.structure("thread_struct", size: 16, [("fsbase", 1, 0x200)])
        far.structure("task_struct", size: 48, [("thread", 2, 0xFFFF_FF00)])
        #expect(try offset(far.bytes) == nil)
        var member = Blob()
        member.structure("task_struct", size: 8, [("thread", 99, 0)])
        #expect(try offset(member.bytes) == nil, "a member's type id beyond the types")
    }
}
