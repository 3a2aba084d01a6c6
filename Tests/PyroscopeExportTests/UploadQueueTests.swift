import Testing

@testable import PyroscopeExport

struct UploadQueueTests {
    func upload(_ number: Int64) -> PyroscopeUpload {
        PyroscopeUpload(profile: [], startTime: number, endTime: number, sampleLabelNames: [])
    }

    @Test func fullQueueDropsTheOldest() async {
        let queue = UploadQueue(capacity: 2)
        #expect(queue.enqueue(upload(1)) == .queued)
        #expect(queue.enqueue(upload(2)) == .queued)
        #expect(queue.enqueue(upload(3)) == .queuedDroppingOldest)
        queue.close()
        #expect(await queue.next()?.startTime == 2)
        #expect(await queue.next()?.startTime == 3)
        #expect(await queue.next() == nil)
        #expect(queue.counts == (enqueued: 3, dropped: 1))
    }

    @Test func uploadsAfterCloseAreRefusedAndCounted() {
        let queue = UploadQueue(capacity: 2)
        queue.close()
        #expect(queue.enqueue(upload(1)) == .refusedAfterClose)
        #expect(queue.counts == (enqueued: 1, dropped: 1))
    }

    @Test func waitingConsumerGetsTheNextUpload() async {
        let queue = UploadQueue(capacity: 1)
        async let next = queue.next()
        #expect(queue.enqueue(upload(7)) == .queued)
        #expect(await next?.startTime == 7)
    }

    @Test func closingWakesAWaitingConsumer() async {
        let queue = UploadQueue(capacity: 1)
        async let next = queue.next()
        queue.close()
        #expect(await next == nil)
    }

    @Test func cancellingTheConsumerEndsItsWait() async {
        let queue = UploadQueue(capacity: 1)
        let consumer = Task { await queue.next() }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(queue.enqueue(upload(1)) == .queued, "what comes later stays queued, counted as not delivered")
    }
}
