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

    /// How long to pause before the redo; `nil` when the failure must go back to the outbox.
    /// - Parameters:
    ///   - redo: the number of the redo this would be (1 for the first); at most `maximumRedos`.
    ///   - searchWait: the pause before a redo that must find a record through the target's
    ///     search (``Safety/afterSearchWait``): the outbox's first backoff, `retry.base_delay`.
    ///   - jitter: a uniform random number in 0…1; the pause is 50–100 % of its nominal length.
    ///   - timeLeft: until the attempt's deadline; a redo that cannot make one whole request
    ///     (`requestTimeout`) after its pause is not started.
    static func pause(
        after error: ConnectorError, of request: SubmissionRequest, redo: Int, maximumRedos: Int, capabilities: ConnectorCapabilities,
        searchWait: Duration, timeLeft: Duration, requestTimeout: Duration, jitter: Double
    ) -> Duration? {
        guard redo <= maximumRedos else { return nil }
        let nominal: Duration
        switch error.kind {
        case .rateLimited:
            nominal = error.retryAfter ?? rateLimitedPause
        case .transient:
            nominal = firstPause * (1 << (redo - 1)) * (0.5 + 0.5 * min(max(jitter, 0), 1))
        default:
            return nil
        }
        let pause: Duration
        switch safety(after: error, of: request, capabilities: capabilities) {
        case .never: return nil
        case .atOnce: pause = nominal
        case .afterSearchWait: pause = max(nominal, searchWait)
        }
        return pause + requestTimeout <= timeLeft ? pause : nil
    }

    /// Whether, and how soon, a failed delivery may be done again within its attempt.
    enum Safety: Hashable {
        /// Nothing reached the target, or what did is found again by a direct read (the job by its
        /// id, its contacts) or repeats harmlessly (a `PUT`).
        case atOnce
        /// A create that may have made a record which only a search finds again (the job before
        /// its id is known, a company, a person): a search index may not show a record made half a
        /// second ago, so the redo waits as long as the outbox's first backoff would have — the
        /// wait every retry had before redos existed — keeping the row in hand.
        case afterSearchWait
        /// A mailbox cannot be searched at all: an email that may have gone out is not sent again.
        case never
    }

    static func safety(after error: ConnectorError, of request: SubmissionRequest, capabilities: ConnectorCapabilities) -> Safety {
        guard error.mayHaveReachedTarget else { return .atOnce }
        guard capabilities.contains(.lookupByMarker) else { return .never }
        let jobIDKnown = (error.progress?.externalID ?? request.externalID) != nil
        return error.isUnknownCreate || (request.operation == .create && !jobIDKnown) ? .afterSearchWait : .atOnce
    }

    /// `2 redos within the attempt`, for the attempt's record.
    static func describe(count: Int) -> String {
        "\(count) \(count == 1 ? "redo" : "redos") within the attempt"
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
