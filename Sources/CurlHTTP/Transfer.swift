import _CCurlShims
import Foundation
import Glibc
import SafeText
import Synchronization

/// One request: its libcurl easy handle, the buffers its answer is read into, and the caller waiting for it.
///
/// Configured on the caller's thread, then used only by the ``TransferEngine`` thread. ``finish(_:)`` may come
/// from either side (the engine completing it, or the caller's cancellation) and resumes the caller once; the
/// engine drops a transfer that finished from the caller's side at its next turn.
final class Transfer: @unchecked Sendable {
    struct Request {
        var url: String
        var headers: [HTTPHeader]
        var body: [UInt8]
        var timeout: Duration
        var bodyLimit: Int
        var connection: ConnectionSettings
    }

    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let bodyLimit: Int
    /// The proxy this request goes through (nil: direct), as it may be shown, and its password, to mask wherever
    /// libcurl might quote it.
    private let proxy: String?
    private let shownProxy: String?
    private let proxySecrets: [String]
    // Touched by the engine thread only, while the transfer runs.
    private var body: [UInt8] = []
    private var headers: [HTTPHeader] = []

    private enum State {
        case configured
        case waiting(CheckedContinuation<TransferResult, Never>)
        case finished(TransferResult)
        case delivered
    }
    private let state = Mutex(State.configured)

    /// Nil when libcurl cannot create a handle (out of memory).
    init?(_ request: Request) {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        bodyLimit = request.bodyLimit
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let proxy = request.connection.proxy.proxy(for: request.url)
        self.proxy = proxy
        shownProxy = proxy.map(ProxySettings.shown)
        proxySecrets = proxy.map(Self.password(of:)) ?? []
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sets every option; the first libcurl refuses fails the transfer before it starts.
    func configure(_ request: Request) -> TransferFailure? {
        var failure: CURLcode = CURLE_OK
        func check(_ code: CURLcode) { if failure == CURLE_OK { failure = code } }
        func set(_ option: CURLoption, _ value: Int) { check(hr_curl_setopt_long(handle, option, value)) }
        func set(_ option: CURLoption, _ value: String) { check(hr_curl_setopt_string(handle, option, value)) }

        // Quiet and signal-free: libcurl must never write to stderr (the user's terminal) nor install a SIGALRM
        // handler for DNS timeouts (the child's signals pass through hybrid-run).
        set(CURLOPT_VERBOSE, 0)
        set(CURLOPT_NOPROGRESS, 1)
        set(CURLOPT_NOSIGNAL, 1)
        check(hr_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))

        set(CURLOPT_URL, request.url)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        // Redirects are not followed: a redirect to another host would drop (or leak) the credentials.
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        let milliseconds = max(Int(request.timeout.wholeMilliseconds), 1)
        set(CURLOPT_TIMEOUT_MS, milliseconds)
        set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)

        // "" disables libcurl's own reading of the proxy variables: ProxySettings decided.
        set(CURLOPT_PROXY, proxy ?? "")
        set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        apply(request.connection.trust, file: CURLOPT_CAINFO, directory: CURLOPT_CAPATH, verifyPeer: CURLOPT_SSL_VERIFYPEER,
              verifyHost: CURLOPT_SSL_VERIFYHOST, set: set, setText: set)
        apply(request.connection.proxyTrust, file: CURLOPT_PROXY_CAINFO, directory: CURLOPT_PROXY_CAPATH,
              verifyPeer: CURLOPT_PROXY_SSL_VERIFYPEER, verifyHost: CURLOPT_PROXY_SSL_VERIFYHOST, set: set, setText: set)

        // `Expect:` switches off `Expect: 100-continue`, a round trip (or a second's wait) before every larger body.
        for header in request.headers + [HTTPHeader("Expect", "")] {
            headerList = curl_slist_append(headerList, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        check(hr_curl_setopt_list(handle, CURLOPT_HTTPHEADER, headerList))
        check(hr_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        // COPYPOSTFIELDS: libcurl keeps its own copy, so the body's lifetime is not tied to this call.
        if request.body.isEmpty {
            set(CURLOPT_COPYPOSTFIELDS, "")
        } else {
            request.body.withUnsafeBytes { check(hr_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))) }
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        check(hr_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            let length = size * count
            Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().receiveBody(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }))
        check(hr_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        check(hr_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            let length = size * count
            Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }))
        check(hr_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        return failure == CURLE_OK ? nil : makeFailure(failure)
    }

    private func apply(
        _ trust: TLSTrust, file: CURLoption, directory: CURLoption, verifyPeer: CURLoption, verifyHost: CURLoption,
        set: (CURLoption, Int) -> Void, setText: (CURLoption, String) -> Void
    ) {
        if let caFile = trust.caFile { setText(file, caFile.path) }
        if let caDirectory = trust.caDirectory { setText(directory, caDirectory) }
        set(verifyPeer, trust.verifiesPeer ? 1 : 0)
        set(verifyHost, trust.verifiesPeer ? 2 : 0)
    }

    /// Hands the caller's continuation over; resumes it at once if the transfer already finished (cancelled
    /// before it was started).
    func wait(with continuation: CheckedContinuation<TransferResult, Never>) {
        let finished: TransferResult? = state.withLock { state in
            guard case .finished(let result) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .delivered
            return result
        }
        if let finished { continuation.resume(returning: finished) }
    }

    /// Ends the transfer with `result` unless it already ended; the caller hears only the first.
    func finish(_ result: TransferResult) {
        let continuation: CheckedContinuation<TransferResult, Never>? = state.withLock { state in
            switch state {
            case .configured:
                state = .finished(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .finished, .delivered:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }

    var isFinished: Bool {
        state.withLock { state in
            switch state {
            case .configured, .waiting: false
            case .finished, .delivered: true
            }
        }
    }

    /// Called by the engine when libcurl is done with the transfer.
    func complete(_ code: CURLcode) {
        guard code == CURLE_OK else {
            finish(.failed(makeFailure(code)))
            return
        }
        var status = 0
        var version = 0
        _ = hr_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = hr_curl_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        let versionText = switch version {
        case Int(CURL_HTTP_VERSION_2_0): "2"
        case Int(CURL_HTTP_VERSION_3): "3"
        case Int(CURL_HTTP_VERSION_1_0): "1.0"
        default: "1.1"
        }
        finish(.response(HTTPResponse(status: status, headers: headers, body: body, httpVersion: versionText)))
    }

    private func makeFailure(_ code: CURLcode) -> TransferFailure {
        let detail = String(cString: errorBuffer)
        var message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        // libcurl 7.88 words a refused connection "Couldn't connect to server"; the system's reason says which.
        var systemError = 0
        if hr_curl_getinfo_long(handle, CURLINFO_OS_ERRNO, &systemError) == CURLE_OK, systemError != 0 {
            let reason = String(cString: strerror(Int32(systemError)))
            if !message.contains(reason) { message += " (\(reason))" }
        }
        message = Redaction.redactingCredentials(in: message)
        for secret in proxySecrets { message = message.replacingOccurrences(of: secret, with: "***") }
        let kind: TransferFailure.Kind = switch code {
        case CURLE_OPERATION_TIMEDOUT: .timedOut
        case CURLE_PEER_FAILED_VERIFICATION: .untrustedCertificate
        default: .other
        }
        return TransferFailure(kind: kind, message: message, proxy: shownProxy)
    }

    private func receiveBody(_ data: UnsafeRawBufferPointer) {
        let room = bodyLimit - body.count
        if room > 0 { body.append(contentsOf: data.prefix(room)) }
    }

    /// Keeps the final response's headers: a status line (after `100 Continue`, say) starts them afresh.
    private func receiveHeaderLine(_ data: UnsafeRawBufferPointer) {
        let line = String(decoding: data, as: UTF8.self).trimmingWhitespace()
        if line.hasPrefix("HTTP/") {
            headers = []
        } else if let colon = line.firstIndex(of: ":") {
            headers.append(HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...].trimmingWhitespace())))
        }
    }

    /// The password of a proxy URL, raw and percent-decoded, or nothing.
    private static func password(of proxy: String) -> [String] {
        guard let scheme = proxy.range(of: "://") else { return password(of: "http://" + proxy) }
        let authority = proxy[scheme.upperBound...].prefix { !"/?#".contains($0) }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return [] }
        let raw = String(authority[authority.index(after: colon)..<at])
        guard !raw.isEmpty else { return [] }
        return [raw, raw.removingPercentEncoding].compactMap { $0 }
    }
}
