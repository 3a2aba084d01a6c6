import Binaries
import Glibc
import OTLPProto
import SwiftProtobuf

/// Reads a process's OpenTelemetry process context (OTEP 4719,
/// https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4719-process-ctx.md) for
/// what OTEP 4947 keeps there: `threadlocal.attribute_key_map`, the names of the thread records' key indexes.
enum ProcessContextReader {
    /// How the mapping shows in `/proc/PID/maps`: a memfd (deleted or not, or shared memory on older kernels) or
    /// an anonymous mapping the writer named with `PR_SET_VMA_ANON_NAME`.
    static let mappingNames: Set<String> = ["/memfd:OTEL_CTX", "/memfd:OTEL_CTX (deleted)", "[anon:OTEL_CTX]", "[anon_shmem:OTEL_CTX]"]
    /// A payload larger than this is not read (a garbage size would make the reader allocate it).
    static let maximumPayloadSize: UInt32 = 1 << 20

    /// The key map, or `nil` when the process publishes none (yet), or its context cannot be read whole.
    ///
    /// The OTEP's reading protocol: the header's signature and version 2, a non-zero publication time, the payload
    /// read, then the time read again: a writer updating the context meanwhile changed it (or zeroed it), so the
    /// read is tried once more, then given up until the next refresh.
    static func attributeKeyMap(pid: pid_t, memory: RemoteMemory) -> [String]? {
        guard let mapping = ProcessMaps.read(pid: pid).first(where: { mappingNames.contains($0.path) }) else { return nil }
        for _ in 0..<2 {
            switch read(at: mapping.start, memory: memory) {
            case .read(let keyMap): return keyMap
            case .changed: continue
            case .unreadable: return nil
            }
        }
        return nil
    }

    private enum Outcome {
        case read([String]?)
        case changed
        case unreadable
    }

    private static func read(at address: UInt64, memory: RemoteMemory) -> Outcome {
        var header = [UInt8](repeating: 0, count: 32)
        guard header.withUnsafeMutableBytes({ memory.read(address, into: $0) }) else { return .unreadable }
        let fields = header.withUnsafeBytes { bytes in
            (signature: Array(bytes[0..<8]), version: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
             size: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self),
             published: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
             payload: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        guard fields.signature == Array("OTEL_CTX".utf8), fields.version == 2, fields.size <= maximumPayloadSize else { return .unreadable }
        guard fields.published != 0 else { return .changed }
        var payload = [UInt8](repeating: 0, count: Int(fields.size))
        guard payload.withUnsafeMutableBytes({ memory.read(fields.payload, into: $0) }) else { return .unreadable }
        guard memory.load(UInt64.self, at: address + 16) == fields.published else { return .changed }
        guard let context = try? Opentelemetry_Proto_Processcontext_V1development_ProcessContext(serializedBytes: payload)
        else { return .unreadable }
        let keyMap = context.attributes.first { $0.key == "threadlocal.attribute_key_map" }.map { attribute in
            attribute.value.arrayValue.values.map(\.stringValue)
        }
        return .read(keyMap)
    }
}
