import Testing
@testable import Unwinding

@Suite struct DWARFCursorTests {
    private func read<T>(_ bytes: [UInt8], _ body: (inout DWARFCursor) -> T) -> (T, offset: Int) {
        bytes.withUnsafeBytes { buffer in
            var cursor = DWARFCursor(buffer, offset: 0, limit: buffer.count)
            let value = body(&cursor)
            return (value, cursor.offset)
        }
    }

    /// The examples of DWARF 5, section 7.6, tables 7.5 and 7.6.
    @Test func decodesLEB128AsTheStandardsExamples() {
        let unsigned: [(UInt64, [UInt8])] = [(2, [2]), (127, [127]), (128, [0x80, 1]), (129, [0x81, 1]), (130, [0x82, 1]),
                                             (12857, [0xb9, 100])]
        for (value, bytes) in unsigned {
            let (read, offset) = read(bytes) { $0.uleb128() }
            #expect(read == value && offset == bytes.count, "\(bytes)")
        }
        let signed: [(Int64, [UInt8])] = [(2, [2]), (-2, [0x7e]), (127, [0xff, 0]), (-127, [0x81, 0x7f]), (128, [0x80, 1]),
                                          (-128, [0x80, 0x7f]), (129, [0x81, 1]), (-129, [0xff, 0x7e])]
        for (value, bytes) in signed {
            let (read, offset) = read(bytes) { $0.sleb128() }
            #expect(read == value && offset == bytes.count, "\(bytes)")
        }
        #expect(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) { $0.uleb128() }.0 == UInt64.max)
        #expect(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]) { $0.sleb128() }.0 == Int64.min)
    }

    @Test func refusesLEB128ThatOverflowsOrIsCutOff() {
        // 2^64: the tenth byte carries a bit past 64.
        #expect(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]) { $0.uleb128() }.0 == nil)
        // Eleven bytes, however small the value.
        #expect(read(Array(repeating: 0x80, count: 10) + [0]) { $0.uleb128() }.0 == nil)
        #expect(read(Array(repeating: 0x80, count: 10) + [0]) { $0.sleb128() }.0 == nil)
        #expect(read([0x80, 0x80]) { $0.uleb128() }.0 == nil)
        #expect(read([0xff]) { $0.sleb128() }.0 == nil)
    }

    @Test func readsNothingPastItsLimit() {
        #expect(read([1, 2, 3]) { $0.read(UInt32.self) }.0 == nil)
        #expect(read([1, 2, 3]) { $0.skip(4) }.0 == false)
        #expect(read([1, 2, 3]) { $0.skip(-1) }.0 == false)
        #expect(read([1, 2, 3, 4]) { $0.read(UInt32.self) }.0 == 0x0403_0201)
    }

    /// `DW_EH_PE_pcrel | DW_EH_PE_sdata4` is what linkers write; indirect and data-relative pointers are not
    /// resolved (there is nothing here to resolve them against).
    @Test func resolvesAbsoluteAndPCRelativePointersOnly() {
        let minusSixteen: [UInt8] = [0xf0, 0xff, 0xff, 0xff]
        #expect(read(minusSixteen) { $0.pointer(encoding: 0x1b, fieldAddress: 0x1000) }.0 == 0xff0)
        #expect(read(minusSixteen) { $0.pointer(encoding: 0x03, fieldAddress: 0x1000) }.0 == 0xffff_fff0)
        #expect(read(minusSixteen + [0, 0, 0, 0]) { $0.pointer(encoding: 0x00, fieldAddress: 0x1000) }.0 == 0xffff_fff0)
        #expect(read(minusSixteen) { $0.pointer(encoding: 0x9b, fieldAddress: 0x1000) }.0 == nil)
        #expect(read(minusSixteen) { $0.pointer(encoding: 0x3b, fieldAddress: 0x1000) }.0 == nil)
        #expect(read(minusSixteen) { $0.pointer(encoding: 0xff, fieldAddress: 0x1000) }.0 == nil)
        #expect(read([0xf0, 0xff]) { $0.pointer(encoding: 0x1b, fieldAddress: 0x1000) }.0 == nil)
    }
}
