import SafeText

/// HTTP requests through libcurl: proxies from ``ConnectionSettings`` (the standard variables), the system's CA
/// store or a private CA, HTTP/2 where the server offers it over TLS, and a wait the caller can always end by
/// cancelling its task.
///
/// libcurl is never allowed to print or to handle signals, and its error text reaches callers only with
/// credentials masked (``TransferFailure``).
public struct CurlHTTPClient: Sendable {
    public let connection: ConnectionSettings
    /// The most of a response body kept (the rest is read and discarded): answers here are short messages.
    public let bodyLimit: Int

    public init(connection: ConnectionSettings, bodyLimit: Int = 64 << 10) {
        self.connection = connection
        self.bodyLimit = bodyLimit
    }

    /// Sends one `POST`. Returns when the server answered, the transfer failed or `timeout` passed, or at once
    /// when the calling task is cancelled.
    public func post(_ url: String, headers: [HTTPHeader], body: [UInt8], timeout: Duration) async -> TransferResult {
        if let header = headers.first(where: { Self.isUnsafe($0.name) || Self.isUnsafe($0.value) }) {
            return .failed(TransferFailure(kind: .other, message: "header \(ShownText.value(header.name)) holds a line break or NUL; not sent", proxy: nil))
        }
        let request = Transfer.Request(url: url, headers: headers, body: body, timeout: timeout, bodyLimit: bodyLimit, connection: connection)
        guard let transfer = Transfer(request) else {
            return .failed(TransferFailure(kind: .other, message: "libcurl could not create a request (out of memory)", proxy: nil))
        }
        if let failure = transfer.configure(request) { return .failed(failure) }
        let engine = TransferEngine.shared
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.wait(with: continuation)
                engine.start(transfer)
            }
        } onCancel: {
            transfer.finish(.cancelled)
            engine.wakeUp()
        }
    }

    /// CR, LF and NUL would end a header line early and let a value forge headers of its own.
    private static func isUnsafe(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0 }
    }
}
