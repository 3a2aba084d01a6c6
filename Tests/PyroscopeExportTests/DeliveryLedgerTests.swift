import Testing

@testable import PyroscopeExport

struct DeliveryLedgerTests {
    @Test func aFailureDuringTheRunIsWarnedTheFirstTimeItsKindComesUp() {
        let ledger = DeliveryLedger()
        #expect(ledger.recordFailure("first", kind: "gave up"))
        #expect(!ledger.recordFailure("second", kind: "gave up"), "covered by the first one's warning")
        #expect(ledger.recordFailure("third", kind: "rejected 422"))
        #expect(ledger.outcomes == DeliveryLedger.Outcomes(delivered: 0, firstFailure: "first", announcedFailures: 3))
    }

    @Test func aFailureOnceShutdownHasBegunIsLeftToTheReport() {
        let ledger = DeliveryLedger()
        ledger.recordDelivered()
        ledger.beginShutdown()
        #expect(!ledger.recordFailure("retries ran out", kind: "gave up"))
        #expect(ledger.outcomes == DeliveryLedger.Outcomes(delivered: 1, firstFailure: "retries ran out", announcedFailures: 0))
    }

    @Test func aFailureWithoutAKindIsLeftToTheReport() {
        let ledger = DeliveryLedger()
        #expect(!ledger.recordFailure("cancelled at the deadline"))
        #expect(ledger.outcomes.announcedFailures == 0)
    }
}
