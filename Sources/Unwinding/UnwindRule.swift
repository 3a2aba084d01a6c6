/// How to take one step from a frame to its caller at one instruction address, compiled from the CFI row
/// into the few cases x86_64 code needs (framehop's idea): the CFA is the stack or frame pointer plus a
/// constant, the return address and the saved frame pointer are at constant offsets from the CFA, and
/// every other register is irrelevant to finding the next frame.
///
/// A row outside these cases (expressions, the CFA in another register, a return address kept in a
/// register) compiles to ``Kind/libunwind``: the whole stack is then unwound by libunwind.
struct UnwindRule: Equatable {
    enum Kind: UInt8 {
        /// CFA = rsp + `cfaOffset`.
        case cfaFromStackPointer
        /// CFA = rbp + `cfaOffset`.
        case cfaFromFramePointer
        /// The outermost frame (the return address is undefined, `_start` and thread starts), or CFI that
        /// libunwind would fail on as well.
        case endOfStack
        case libunwind
    }

    var kind: Kind
    /// The caller was interrupted by a signal (this is the trampoline), so its address is not a return address.
    var isSignalFrame = false
    /// Whether the caller's rbp was saved at CFA + `framePointerOffset` (otherwise it is unchanged).
    var restoresFramePointer = false
    var returnAddressOffset: Int16 = 0
    var framePointerOffset: Int16 = 0
    var cfaOffset: Int32 = 0

    static let endOfStack = UnwindRule(kind: .endOfStack)
    static let libunwind = UnwindRule(kind: .libunwind)

    init(kind: Kind) { self.kind = kind }

    /// Compiles a row as libunwind would apply it (`apply_reg_state` in `src/dwarf/Gparser.c`, `unw_step` in
    /// `src/x86_64/Gstep.c`): an undefined return address or frame pointer ends the stack; an expression for
    /// any register is evaluated there even if the register is never read, so it goes to libunwind.
    init(row: CFIRow, cie: CommonInformationEntry) {
        guard cie.returnAddressRegister == CFIRow.returnAddress, !row.cfaIsExpression,
              !row.registers.contains(where: { $0 == .expression || $0 == .valueExpression })
        else {
            self = cie.returnAddressRegister == CFIRow.returnAddress ? .libunwind : .endOfStack
            return
        }
        switch row.cfaRegister {
        case CFIRow.stackPointer: kind = .cfaFromStackPointer
        case CFIRow.framePointer: kind = .cfaFromFramePointer
        case nil: self = .endOfStack; return
        default: self = .libunwind; return
        }
        isSignalFrame = cie.isSignalFrame
        guard let cfaOffset = Int32(exactly: row.cfaOffset) else { self = .libunwind; return }
        self.cfaOffset = cfaOffset
        switch row.registers[Int(CFIRow.returnAddress)] {
        case .undefined:
            self = .endOfStack
            return
        case let .offset(offset):
            guard let offset = Int16(exactly: offset) else { self = .libunwind; return }
            returnAddressOffset = offset
        default:
            self = .libunwind
            return
        }
        switch row.registers[Int(CFIRow.framePointer)] {
        case .sameValue:
            break
        case .undefined:
            self = .endOfStack
        case let .offset(offset):
            guard let offset = Int16(exactly: offset) else { self = .libunwind; return }
            restoresFramePointer = true
            framePointerOffset = offset
        default:
            self = .libunwind
        }
    }
}
