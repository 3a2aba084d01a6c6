import Glibc
@testable import Sampling
import Testing

@Suite struct ProfilerErrorTests {
    @Test func aRefusedSeizeSaysTheCommandRunsUnprofiled() {
        let error = ProfilerError.seizeFailed(errno: EPERM)
        #expect(error.description.hasPrefix("cannot profile the command (ptrace: Operation not permitted: "))
        #expect(error.description.hasSuffix("running it unprofiled"))
    }

    @Test func otherFailuresNameTheError() {
        #expect(ProfilerError.seizeFailed(errno: ESRCH).description
            == "cannot profile the command (ptrace: No such process); running it unprofiled")
    }

    @Test func aKernelWithoutPerfEventsIsNamed() {
        #expect(ProfilerError.perfEventFailed(errno: ENOSYS).description
            == "cannot profile the command (perf_event_open: Function not implemented: this kernel has no perf events); running it unprofiled")
    }

    @Test func whenBothWaysFailEachReasonIsGiven() {
        let error = ProfilerError.combining(.perfEventFailed(errno: ENODEV), .seizeFailed(errno: ESRCH))
        #expect(error.description.hasPrefix("cannot profile the command (perf_event_open: No such device: "))
        #expect(error.description.contains("; ptrace: No such process)"))
    }
}
