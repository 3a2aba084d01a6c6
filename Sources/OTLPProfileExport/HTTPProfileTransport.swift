import CurlHTTP
import OTLPProto
import SwiftProtobuf

/// OTLP/HTTP with binary protobuf (`POST …/v1development/profiles`, `application/x-protobuf`) through libcurl: the
/// proxies and CA settings of ``OTLPProfileSettings/connection`` apply.
struct HTTPProfileTransport: OTLPProfileTransport {
    let client: CurlHTTPClient
    let endpoint: String
    let headers: [HTTPHeader]
    let timeout: Duration

    init(settings: OTLPProfileSettings) {
        client = CurlHTTPClient(connection: settings.connection)
        endpoint = settings.endpoint
        headers = settings.headers + [
            HTTPHeader("Content-Type", "application/x-protobuf"),
            HTTPHeader(ProfilesDevelopmentVersion.httpHeader, ProfilesDevelopmentVersion.value),
            HTTPHeader("User-Agent", "hybrid-run"),
        ]
        timeout = settings.timeout
    }

    func export(_ request: ExportProfilesRequest) async -> ExportOutcome {
        let body: [UInt8]
        do {
            body = try request.serializedBytes()
        } catch {
            return .failed("the profile could not be encoded: \(error)")
        }
        switch await client.post(endpoint, headers: headers, body: body, timeout: timeout) {
        case .cancelled:
            return .cancelled
        case .failed(let failure):
            return .failed(failure.description)
        case .response(let response):
            guard (200..<300).contains(response.status) else { return .failed("the collector answered \(response.status)") }
            // https://opentelemetry.io/docs/specs/otlp/#partial-success-1
            let answer = try? Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceResponse(serializedBytes: response.body)
            return PartialSuccess.outcome(answer?.partialSuccess)
        }
    }

    func close() {}
}
