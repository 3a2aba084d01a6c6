import _CCurlShims
import Foundation
import Synchronization

/// The one thread that runs every HTTP transfer of the process, through libcurl's multi interface.
///
/// Why a thread of its own: libcurl's calls block (`curl_multi_poll` waits for the sockets), and Swift's
/// cooperative threads must not. Why the multi interface: `curl_multi_wakeup` interrupts the wait at once, so a
/// transfer the caller abandons (its task cancelled at a shutdown deadline) is dropped at once, whatever the server
/// or proxy is doing: black-holed, accepting and never answering, or hanging a `CONNECT`. One engine for the
/// process: connections, TLS sessions and HTTP/2 streams are reused between requests, and the thread, idle in
/// `curl_multi_poll` between them, costs nothing.
final class TransferEngine: @unchecked Sendable {
    // @unchecked: `multi` is used by the engine thread only, except `curl_multi_wakeup`, which libcurl documents
    // as callable from any thread; the inbox is behind a mutex.
    static let shared = TransferEngine()

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<[Transfer]>([])

    /// The longest `curl_multi_poll` waits while transfers run: libcurl's own timers (timeouts, retries of
    /// happy-eyeballs) are also checked then.
    private static let busyWait: Int32 = 1000
    private static let idleWait: Int32 = 3_600_000

    private init() {
        // `curl_global_init` once per process, before any other libcurl call; never undone (the process ends first).
        _ = hr_curl_global_init_default()
        multi = curl_multi_init()
        let thread = Thread { [self] in run() }
        thread.name = "hybrid-run HTTP"
        thread.start()
    }

    /// Hands `transfer` to the engine thread; it reports through ``Transfer/finish(_:)``.
    func start(_ transfer: Transfer) {
        inbox.withLock { $0.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Makes the engine look at its transfers now: one was finished from the caller's side (cancelled).
    func wakeUp() {
        curl_multi_wakeup(multi)
    }

    private func run() {
        var active: [Transfer] = []
        while true {
            for transfer in inbox.withLock({ inbox in defer { inbox = [] }; return inbox }) where !transfer.isFinished {
                if curl_multi_add_handle(multi, transfer.handle) == CURLM_OK {
                    active.append(transfer)
                } else {
                    transfer.finish(.failed(TransferFailure(kind: .other, message: "libcurl could not start the request", proxy: nil)))
                }
            }
            active.removeAll { transfer in
                guard transfer.isFinished else { return false }
                curl_multi_remove_handle(multi, transfer.handle)
                return true
            }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let index = active.firstIndex(where: { $0.handle == handle })
                else { continue }
                let result = message.pointee.data.result
                let transfer = active.remove(at: index)
                curl_multi_remove_handle(multi, handle)
                transfer.complete(result)
            }

            var wait: Int = -1
            curl_multi_timeout(multi, &wait)
            let timeout = active.isEmpty ? Self.idleWait : Int32(clamping: wait < 0 ? Int(Self.busyWait) : min(wait, Int(Self.busyWait)))
            curl_multi_poll(multi, nil, 0, timeout, nil)
        }
    }
}
