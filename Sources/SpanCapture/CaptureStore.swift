import Synchronization

/// The export request bodies the relay copied, kept until the run ends: at most ``limit`` bytes in all, so a
/// chatty child costs bounded memory (later bodies are relayed and counted, not kept).
final class CaptureStore: Sendable {
    private struct State {
        var bodies: [OTLPBody] = []
        var bytes = 0
        var dropped = 0
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func add(_ bodies: [OTLPBody]) {
        state.withLock { state in
            for body in bodies {
                if state.bytes + body.bytes.count > limit {
                    state.dropped += 1
                } else {
                    state.bytes += body.bytes.count
                    state.bodies.append(body)
                }
            }
        }
    }

    /// Everything kept so far and how many requests were not kept.
    func take() -> (bodies: [OTLPBody], dropped: Int) {
        state.withLock { state in
            defer { state = State() }
            return (state.bodies, state.dropped)
        }
    }
}
