import Foundation

/// When a failed delivery is done again at once, within the same attempt and lease, instead of
/// going back to the outbox for its backoff.
///
/// A target that fails one request in five makes most multi-request deliveries fail somewhere;
/// sent back to the outbox, each such row waits seconds to hours and queues behind the rest.
/// Redone at once, the delivery goes on from where it stopped (the job it created, the companies
/// and people it found), after a short pause. Only failures that say nothing final are redone
/// (`transient`, `rate_limited`), only when repeating is safe, and only while the target's
/// ``RetryBudget`` allows: a target that stops answering spends the budget in a few redos, and
/// from then on its rows take the outbox's backoff and the circuit breaker's cool-downs.
enum AttemptRedo {
    /// The first pause after a transient failure; it doubles for each further redo.
    static let firstPause: Duration = .milliseconds(500)
    /// After a 429 without Retry-After (Bullhorn's documented advice is one second).
    static let rateLimitedPause: Duration = .seconds(1)

    /// What the delivery has to go on with, and how long to pause first; `nil` when the failure
    /// must go back to the outbox.
    /// - Parameters:
    ///   - redo: the number of the redo this would be (1 for the first); at most `maximumRedos`.
    ///   - jitter: a uniform random number in 0…1; the pause is 50–100 % of its nominal length.
    ///   - timeLeft: until the attempt's deadline; a redo that cannot make one whole request
    ///     (`requestTimeout`) after its pause is not started.
    static func pause(
        after error: ConnectorError, of request: SubmissionRequest, redo: Int, maximumRedos: Int, capabilities: ConnectorCapabilities,
        timeLeft: Duration, requestTimeout: Duration, jitter: Double
    ) -> Duration? {
        guard redo <= maximumRedos, isSafeToRepeat(after: error, of: request, capabilities: capabilities) else { return nil }
        let pause: Duration
        switch error.kind {
        case .rateLimited:
            pause = error.retryAfter ?? rateLimitedPause
        case .transient:
            let nominal = firstPause * (1 << (redo - 1))
            pause = nominal * (0.5 + 0.5 * min(max(jitter, 0), 1))
        default:
            return nil
        }
        return pause + requestTimeout <= timeLeft ? pause : nil
    }

    /// A failure that may have reached the target is redone only where what it may have made
    /// can be found again at once. Not a create whose record only a search finds (the job before
    /// its id is known, a company, a person): a search index may not show a record made half a
    /// second ago, so that waits for the outbox's backoff, as before redos existed. Not a mailbox,
    /// which cannot be searched at all: an email that may have gone out is not sent again.
    static func isSafeToRepeat(after error: ConnectorError, of request: SubmissionRequest, capabilities: ConnectorCapabilities) -> Bool {
        guard error.mayHaveReachedTarget else { return true }
        let jobIDKnown = (error.progress?.externalID ?? request.externalID) != nil
        if error.isUnknownCreate || (request.operation == .create && !jobIDKnown) { return false }
        return capabilities.contains(.lookupByMarker)
    }

    /// The request for the redo: the job the failed try created, the references it learned, the
    /// steps it finished, and whether any try so far may have reached the target (then a create
    /// is looked up first).
    static func request(after request: SubmissionRequest, progress: DeliveryProgress, mayHaveReachedTarget: Bool) -> SubmissionRequest {
        var next = request
        next.externalID = progress.externalID ?? request.externalID
        next.references = request.references.merging(progress.learnedReferences)
        next.outcomeOfEarlierAttemptUnknown = request.outcomeOfEarlierAttemptUnknown || mayHaveReachedTarget
        next.completedSteps = request.completedSteps.union(progress.completedSteps)
        return next
    }
}

extension DeliveryProgress {
    /// What two tries of one attempt got done together; `later`'s job id and references win.
    func merging(_ later: DeliveryProgress?) -> DeliveryProgress {
        guard let later else { return self }
        return DeliveryProgress(
            externalID: later.externalID ?? externalID,
            learnedReferences: learnedReferences.merging(later.learnedReferences),
            completedSteps: completedSteps.union(later.completedSteps)
        )
    }
}
