import Glibc
@testable import Sampling
import Testing

@Suite struct ProfilerErrorTests {
    @Test func aRefusedSeizeSaysTheCommandRunsUnprofiled() {
        let error = ProfilerError.seizeFailed(errno: EPERM)
        #expect(error.errno == EPERM)
        #expect(error.description.hasPrefix("cannot profile the command (ptrace: Operation not permitted)"))
        #expect(error.description.hasSuffix("running it unprofiled"))
    }

    @Test func otherFailuresNameTheError() {
        #expect(ProfilerError.seizeFailed(errno: ESRCH).description
            == "cannot profile the command (ptrace: No such process); running it unprofiled")
    }
}
