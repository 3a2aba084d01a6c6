import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import OTLPProto
import SafeText

/// OTLP/gRPC (`ProfilesService/Export`) on grpc-swift-2 and its NIO transport, the gRPC stack swift-otel already
/// brings for the spans. The transport dials the endpoint itself: proxies do not apply.
final class GRPCProfileTransport: OTLPProfileTransport {
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let service: Opentelemetry_Proto_Collector_Profiles_V1development_ProfilesService.Client<HTTP2ClientTransport.Posix>
    private let metadata: Metadata
    private let options: CallOptions

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(settings: OTLPProfileSettings) throws(Invalid) {
        guard let components = URLComponents(string: settings.endpoint), let host = components.host, let port = components.port else {
            throw Invalid(description: "\(settings.shownEndpoint) has no host and port")
        }
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if components.scheme == "https" {
            security = .tls { tls in
                if let caFile = settings.connection.trust.caFile {
                    tls.trustRoots = .certificates([.file(path: caFile.path, format: .pem)])
                }
            }
        } else {
            security = .plaintext
        }
        do {
            client = GRPCClient(transport: try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: security))
        } catch {
            throw Invalid(description: "\(settings.shownEndpoint): \(ShownText.value(String(describing: error)))")
        }
        service = .init(wrapping: client)
        var metadata = Metadata()
        for header in settings.headers { metadata.addString(header.value, forKey: header.name.lowercased()) }
        metadata.replaceOrAddString(ProfilesDevelopmentVersion.value, forKey: ProfilesDevelopmentVersion.grpcMetadataKey)
        metadata.replaceOrAddString("hybrid-run", forKey: "user-agent")
        self.metadata = metadata
        var options = CallOptions.defaults
        options.timeout = settings.timeout
        self.options = options
        let client = self.client
        // Runs the connections until close(); what it throws then (a connection that never came up) is no news.
        Task { try? await client.runConnections() }
    }

    func export(_ request: ExportProfilesRequest) async -> ExportOutcome {
        do {
            let response = try await service.export(request, metadata: metadata, options: options)
            return PartialSuccess.outcome(response.hasPartialSuccess ? response.partialSuccess : nil)
        } catch {
            if Task.isCancelled || error is CancellationError { return .cancelled }
            if let error = error as? RPCError {
                return .failed("\(error.code): \(ShownText.value(Redaction.redactingCredentials(in: error.message)))")
            }
            return .failed(ShownText.value(Redaction.redactingCredentials(in: String(describing: error))))
        }
    }

    func close() {
        client.beginGracefulShutdown()
    }
}
