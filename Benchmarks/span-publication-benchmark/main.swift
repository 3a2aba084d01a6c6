// What ThreadContextTracer adds to a workload's span start and end, whole: reading the span's ids from swift-otel
// (its logging metadata provider, the only public way), parsing them and the C publication, measured as the
// difference between the same spans started through swift-otel's tracer alone and through ThreadContextTracer
// wrapping it, in this thread's CPU time, alternating the two in rounds so that both see the same machine.
// Run by scripts/bench-thread-context.sh, which prints the C publication alone first.
//
//   span-publication-benchmark SPANS ROUNDS
import Glibc
import Instrumentation
import OTel
import ServiceLifecycle
import Telemetry
import Tracing

func threadCPUNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// CPU nanoseconds of this thread per span started and ended through `tracer`, under one open parent span as
/// the workloads' spans are.
func nanosecondsPerSpan(_ tracer: any Tracer, spans: Int) -> Double {
    withTracer(tracer) {
        withSpan("parent") { _ in
            let start = threadCPUNanoseconds()
            for _ in 0..<spans {
                withSpan("COPY orders") { _ in }
            }
            return Double(threadCPUNanoseconds() - start) / Double(spans)
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let spans = Int(arguments[1]), let rounds = Int(arguments[2]), spans > 0, rounds > 0 else {
    print("usage: span-publication-benchmark SPANS ROUNDS")
    exit(2)
}
var configuration = OTel.Configuration.default
// Spans are made, sampled and handed to the batch processor as in a workload; only the export is left out.
configuration.traces.exporter = .none
configuration.metrics.enabled = false
configuration.logs.enabled = false
let backend = try OTel.makeTracingBackend(configuration: configuration)
let service = Task { try await ServiceGroup(services: [backend.service], logger: .init(label: "benchmark")).run() }
let base: any Tracer = backend.factory
let published = Telemetry.threadContextTracer(base: base)

var plain: [Double] = []
var wrapped: [Double] = []
for _ in 0..<rounds {
    plain.append(nanosecondsPerSpan(base, spans: spans))
    wrapped.append(nanosecondsPerSpan(published, spans: spans))
}
service.cancel()
let bestPlain = plain.min()!, bestWrapped = wrapped.min()!
let added = bestWrapped - bestPlain
print("| swift-otel span (start + end) | through ThreadContextTracer | added per span | added, share of the span |")
print("|---:|---:|---:|---:|")
print(String(format: "| %.0f ns | %.0f ns | %.0f ns | %.0f %% |", bestPlain, bestWrapped, added, 100 * added / bestPlain))
