import Foundation
import Logging
import OTLPProto
import SafeText
import SwiftProtobuf
import _COTelContextShims

/// What a workload tells profilers outside the process about itself: OpenTelemetry's process context (OTEP 4719,
/// https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4719-process-ctx.md), a
/// `ProcessContext` message (generated from opentelemetry-proto's `processcontext/v1development`) in a mapping named
/// `OTEL_CTX`, published by `_COTelContextShims`.
///
/// It holds the spans' resource and the "Thread-Local Reference Data" of OTEP 4947, which tells a reader how to read
/// the thread records ``ThreadContextTracer`` publishes: `threadlocal.schema_version` and
/// `threadlocal.attribute_key_map`.
enum ProcessContext {
    /// The message for `resource`, the spans' resource attributes (a later duplicate key wins, as in the spans).
    static func message(resource: [KeyValue]) -> Opentelemetry_Proto_Processcontext_V1development_ProcessContext {
        var message = Opentelemetry_Proto_Processcontext_V1development_ProcessContext()
        var seen: [String: Int] = [:]
        for attribute in resource {
            let keyValue = keyValue(attribute.key, .stringValue(attribute.value))
            if let index = seen[attribute.key] {
                message.resource.attributes[index] = keyValue
            } else {
                seen[attribute.key] = message.resource.attributes.count
                message.resource.attributes.append(keyValue)
            }
        }
        var keyMap = Opentelemetry_Proto_Common_V1_ArrayValue()
        keyMap.values = ThreadContextTracer.attributeKeyMap.map { name in
            var value = Opentelemetry_Proto_Common_V1_AnyValue()
            value.stringValue = name
            return value
        }
        message.attributes = [
            keyValue("threadlocal.schema_version", .stringValue(ThreadContextTracer.schemaVersion)),
            keyValue("threadlocal.attribute_key_map", .arrayValue(keyMap)),
        ]
        return message
    }

    /// Publishes the process context once for this process. A failure (no memfd and no mapping names, say) only
    /// means readers find none; it is logged at debug level and changes nothing else.
    static func publish(resource: [KeyValue], logger: Logger) {
        do {
            let payload: [UInt8] = try message(resource: resource).serializedBytes()
            let error = payload.withUnsafeBufferPointer { hr_process_context_publish($0.baseAddress, UInt32($0.count)) }
            if error != 0 { logger.debug("process context not published: \(String(cString: strerror(error)))") }
        } catch {
            logger.debug("process context not published: \(error)")
        }
    }

    private static func keyValue(_ key: String, _ value: Opentelemetry_Proto_Common_V1_AnyValue.OneOf_Value) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var keyValue = Opentelemetry_Proto_Common_V1_KeyValue()
        keyValue.key = key
        keyValue.value.value = value
        return keyValue
    }
}
