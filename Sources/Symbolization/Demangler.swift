import Glibc

/// Turns mangled Swift and C++ symbol names into readable ones.
///
/// `swift_demangle` (libswiftCore) and `__cxa_demangle` (libstdc++) are exported C functions that no
/// header Swift imports declares, so they are looked up once with `dlsym`.
public enum Demangler {
    private typealias SwiftDemangle = @convention(c) (
        UnsafePointer<CChar>?, Int, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UInt32
    ) -> UnsafeMutablePointer<CChar>?
    private typealias CXADemangle = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int32>?
    ) -> UnsafeMutablePointer<CChar>?

    private static let swiftDemangle: SwiftDemangle? = function(named: "swift_demangle")
    private static let cxaDemangle: CXADemangle? = function(named: "__cxa_demangle")

    private static func function<F>(named name: String) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }

    /// The readable name, or `name` itself when it is not mangled (C) or cannot be demangled. A PLT entry's
    /// name (`_ZN3foo3barEv@plt`) is its function's, demangled, with `@plt` kept.
    public static func demangle(_ name: String) -> String {
        if name.hasSuffix(pltSuffix), name.utf8.count > pltSuffix.utf8.count {
            return demangle(String(name.dropLast(pltSuffix.count))) + pltSuffix
        }
        if isSwift(name), let swiftDemangle {
            return name.withCString { pointer in
                guard let result = swiftDemangle(pointer, strlen(pointer), nil, nil, 0) else { return name }
                defer { free(result) }
                return String(cString: result)
            }
        }
        if name.hasPrefix("_Z"), let cxaDemangle {
            return name.withCString { pointer in
                var status: Int32 = 0
                guard let result = cxaDemangle(pointer, nil, nil, &status), status == 0 else { return name }
                defer { free(result) }
                return String(cString: result)
            }
        }
        return name
    }

    private static let pltSuffix = "@plt"

    /// Swift 5+ (`$s`), Swift 4 (`$S`, `_T0`) and embedded (`$e`) manglings, with or without the leading `_`.
    static func isSwift(_ name: String) -> Bool {
        let body = name.hasPrefix("_$") ? name.dropFirst() : Substring(name)
        return body.hasPrefix("$s") || body.hasPrefix("$S") || body.hasPrefix("$e") || body.hasPrefix("_T0")
    }
}
