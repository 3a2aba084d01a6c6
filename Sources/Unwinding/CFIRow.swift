/// One row of a function's call frame table: how to find the CFA (the caller's stack pointer) and where
/// each register of the caller is, at one instruction address.
///
/// Registers are DWARF's x86_64 numbers 0–16 (16 is the return address), the ones libunwind tracks.
struct CFIRow {
    enum Rule: Equatable {
        case undefined
        case sameValue
        /// Saved at CFA + offset.
        case offset(Int64)
        /// In another register.
        case register(UInt64)
        case expression
        case valueExpression
    }

    static let registerCount: UInt64 = 17
    static let framePointer: UInt64 = 6
    static let stackPointer: UInt64 = 7
    static let returnAddress: UInt64 = 16

    /// The register the CFA is an offset from; `nil` until an instruction defines it.
    var cfaRegister: UInt64?
    /// Set by `DW_CFA_def_cfa_expression`, until a register is given again.
    var cfaIsExpression = false
    var cfaOffset: Int64 = 0
    var registers: [Rule]

    init(allRegisters rule: Rule) {
        registers = Array(repeating: rule, count: Int(Self.registerCount))
    }

    /// The row at `address` of the FDE: its CIE's initial instructions, then its own up to `address`.
    ///
    /// Follows DWARF 5 section 6.4.2 as libunwind's parser (`src/dwarf/Gparser.c`) applies it, so both
    /// unwinders read the same rows: registers start as "same value", `DW_CFA_restore` in a CIE restores
    /// "undefined", register numbers from 17 on are errors, `DW_CFA_val_offset` is left to libunwind.
    init(description: FrameDescriptionEntry, in section: CFISection, at address: UInt64) throws(CFIProblem) {
        self.init(allRegisters: .sameValue)
        var program = Program(section: section, cie: description.cie)
        var location: UInt64 = 0
        try program.run(description.cie.instructions, on: &self, from: &location, upTo: .max,
                        initial: CFIRow(allRegisters: .undefined))
        let initial = self
        location = description.start
        try program.run(description.instructions, on: &self, from: &location, upTo: address, initial: initial)
    }

    private struct Program {
        let section: CFISection
        let cie: CommonInformationEntry
        /// Rows saved by `DW_CFA_remember_state`; deeper than any compiler nests them is taken for hostile.
        var remembered: [CFIRow] = []
        static let maximumRemembered = 64

        mutating func run(_ instructions: Range<Int>, on row: inout CFIRow, from location: inout UInt64, upTo target: UInt64,
                          initial: CFIRow) throws(CFIProblem) {
            var cursor = DWARFCursor(section.bytes, offset: instructions.lowerBound, limit: instructions.upperBound)
            remembered.removeAll(keepingCapacity: true)
            while location <= target, let opcode = cursor.read(UInt8.self) {
                let operand = UInt64(opcode & 0x3f)
                switch opcode >> 6 {
                case 1:  // DW_CFA_advance_loc
                    location &+= operand &* cie.codeAlignment
                case 2:  // DW_CFA_offset
                    try row.set(operand, .offset(try Self.factored(cursor.uleb128(), cie.dataAlignment)))
                case 3:  // DW_CFA_restore
                    try row.set(operand, initial.registers[Int(try Self.checked(operand))])
                default:
                    try extended(opcode, &cursor, &row, &location, initial)
                }
            }
        }

        private mutating func extended(_ opcode: UInt8, _ cursor: inout DWARFCursor, _ row: inout CFIRow,
                                       _ location: inout UInt64, _ initial: CFIRow) throws(CFIProblem) {
            switch opcode {
            case 0x00:  // DW_CFA_nop
                break
            case 0x01:  // DW_CFA_set_loc
                guard let address = cursor.pointer(encoding: cie.pointerEncoding, fieldAddress: section.address(ofOffset: cursor.offset))
                else { throw DWARFCursor.canRead(pointerEncoding: cie.pointerEncoding) ? .malformed : .unsupported }
                location = address
            case 0x02:  // DW_CFA_advance_loc1
                location &+= try Self.value(cursor.read(UInt8.self).map(UInt64.init)) &* cie.codeAlignment
            case 0x03:  // DW_CFA_advance_loc2
                location &+= try Self.value(cursor.read(UInt16.self).map(UInt64.init)) &* cie.codeAlignment
            case 0x04:  // DW_CFA_advance_loc4
                location &+= try Self.value(cursor.read(UInt32.self).map(UInt64.init)) &* cie.codeAlignment
            case 0x05:  // DW_CFA_offset_extended
                let register = try Self.value(cursor.uleb128())
                try row.set(register, .offset(try Self.factored(cursor.uleb128(), cie.dataAlignment)))
            case 0x06:  // DW_CFA_restore_extended
                let register = try Self.checked(try Self.value(cursor.uleb128()))
                row.registers[Int(register)] = initial.registers[Int(register)]
            case 0x07:  // DW_CFA_undefined
                try row.set(try Self.value(cursor.uleb128()), .undefined)
            case 0x08:  // DW_CFA_same_value
                try row.set(try Self.value(cursor.uleb128()), .sameValue)
            case 0x09:  // DW_CFA_register
                let register = try Self.value(cursor.uleb128())
                try row.set(register, .register(try Self.checked(try Self.value(cursor.uleb128()))))
            case 0x0a:  // DW_CFA_remember_state
                guard remembered.count < Self.maximumRemembered else { throw .malformed }
                remembered.append(row)
            case 0x0b:  // DW_CFA_restore_state
                guard let saved = remembered.popLast() else { throw .malformed }
                row = saved
            case 0x0c:  // DW_CFA_def_cfa: the offset is not factored
                row.defineCFA(register: try Self.checked(try Self.value(cursor.uleb128())))
                row.cfaOffset = Int64(bitPattern: try Self.value(cursor.uleb128()))
            case 0x0d:  // DW_CFA_def_cfa_register
                row.defineCFA(register: try Self.checked(try Self.value(cursor.uleb128())))
            case 0x0e:  // DW_CFA_def_cfa_offset
                row.cfaOffset = Int64(bitPattern: try Self.value(cursor.uleb128()))
            case 0x0f:  // DW_CFA_def_cfa_expression
                try Self.skipBlock(&cursor)
                row.cfaIsExpression = true
            case 0x10, 0x16:  // DW_CFA_expression, DW_CFA_val_expression
                let register = try Self.value(cursor.uleb128())
                try Self.skipBlock(&cursor)
                try row.set(register, opcode == 0x10 ? .expression : .valueExpression)
            case 0x11:  // DW_CFA_offset_extended_sf
                let register = try Self.value(cursor.uleb128())
                try row.set(register, .offset(try Self.factored(cursor.sleb128(), cie.dataAlignment)))
            case 0x12:  // DW_CFA_def_cfa_sf
                row.defineCFA(register: try Self.checked(try Self.value(cursor.uleb128())))
                row.cfaOffset = try Self.factored(cursor.sleb128(), cie.dataAlignment)
            case 0x13:  // DW_CFA_def_cfa_offset_sf
                row.cfaOffset = try Self.factored(cursor.sleb128(), cie.dataAlignment)
            case 0x14, 0x15:  // DW_CFA_val_offset(_sf): libunwind 1.6 does not know them
                throw .unsupported
            case 0x2e:  // DW_CFA_GNU_args_size
                _ = try Self.value(cursor.uleb128())
            case 0x2f:  // DW_CFA_GNU_negative_offset_extended
                let register = try Self.value(cursor.uleb128())
                try row.set(register, .offset(0 &- (try Self.factored(cursor.uleb128(), cie.dataAlignment))))
            default:
                throw .malformed
            }
        }

        private static func value<T>(_ value: T?) throws(CFIProblem) -> T {
            guard let value else { throw .malformed }
            return value
        }

        private static func checked(_ register: UInt64) throws(CFIProblem) -> UInt64 {
            guard register < CFIRow.registerCount else { throw .malformed }
            return register
        }

        private static func factored(_ value: UInt64?, _ factor: Int64) throws(CFIProblem) -> Int64 {
            Int64(bitPattern: try Self.value(value)) &* factor
        }

        private static func factored(_ value: Int64?, _ factor: Int64) throws(CFIProblem) -> Int64 {
            try Self.value(value) &* factor
        }

        private static func skipBlock(_ cursor: inout DWARFCursor) throws(CFIProblem) {
            let length = try value(cursor.uleb128())
            guard length <= UInt64(Int.max), cursor.skip(Int(length)) else { throw .malformed }
        }
    }

    private mutating func set(_ register: UInt64, _ rule: Rule) throws(CFIProblem) {
        guard register < Self.registerCount else { throw .malformed }
        registers[Int(register)] = rule
    }

    private mutating func defineCFA(register: UInt64) {
        cfaRegister = register
        cfaIsExpression = false
    }
}
