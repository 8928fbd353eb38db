import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// A test double's wait must end when its task is cancelled, or a test stuck on a condition that
/// never comes true ignores its time limit. If one of these fails, it fails by hitting the limit.
@Suite("Test doubles' waits", .timeLimit(.minutes(1)))
struct WaitListTests {
    let connector = ScriptedConnector(target: "loxo", capabilities: .ats)

    /// Whether the wait registers before or after the submit, it must return (the list's own
    /// bookkeeping, registered then met, is the last test).
    @Test("A wait resumes once its condition comes true")
    func resumesWhenMet() async throws {
        let waiting = Task { await connector.waitForSubmits(1) }
        _ = try? await connector.submit(SubmissionRequest(operation: .create, snapshot: Self.snapshot))
        await waiting.value
        #expect(connector.submittedRequests.count == 1)
    }

    @Test("A wait that never comes true ends when its task is cancelled")
    func endsOnCancellation() async {
        let waiting = Task { await connector.waitForSubmits(5) }
        waiting.cancel()
        await waiting.value
        let clock = ManualClock()
        let sleeping = Task { await clock.untilSomeoneSleeps() }
        sleeping.cancel()
        await sleeping.value
        #expect(connector.submittedRequests.isEmpty)
        #expect(clock.sleeperCount == 0)
    }

    @Test("A task cancelled before it starts to wait does not wait")
    func cancelledBeforeWaiting() async {
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await connector.waitForSubmits(5)
        }
        await waiting.value
        #expect(connector.submittedRequests.isEmpty)
    }

    @Test("The list itself: a cancel before registering is remembered; removeAll takes only what is met")
    func listBookkeeping() async {
        var list = WaitList<Int>()
        let early = list.makeID()
        let cancelledWaiter = list.cancel(early)
        #expect(cancelledWaiter == nil)
        var registered = true
        await withCheckedContinuation { continuation in
            registered = list.add(early, 1, continuation)
            // Stored by mistake: take it back out, so the test fails instead of hanging.
            let stored = registered ? list.removeAll { _ in true } : [continuation]
            for waiter in stored { waiter.resume() }
        }
        #expect(!registered, "a wait cancelled before it registered must be resumed at once")

        let id = list.makeID()
        var unmet: [CheckedContinuation<Void, Never>] = []
        var met: [CheckedContinuation<Void, Never>] = []
        await withCheckedContinuation { continuation in
            _ = list.add(id, 3, continuation)
            unmet = list.removeAll { $0 <= 2 }
            met = list.removeAll { $0 <= 3 }
            for waiter in unmet + met { waiter.resume() }
        }
        #expect(unmet.isEmpty, "a waiter for 3 is not met by 2")
        #expect(met.count == 1)
    }

    static let snapshot = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Engineer"),
        version: 1,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
    )
}
