import Foundation

/// Pull-based event subscriptions (ATS_APIS.md B9) over the tenant's change log. A value type with
/// no I/O.
///
/// - `PUT event/subscription/{name}?type=entity&names=…&eventTypes=…` creates one; a name already in
///   use, or a 51st subscription (B6: 50 at most), is a 400;
/// - `GET event/subscription/{name}?maxEvents=N` hands out the changes since the last poll and
///   **consumes** them; `&requestId=N` fetches batch N again. A poll with no events answers 200
///   with an empty body (the real empty answer is UNCONFIRMED, so clients must accept it);
/// - `GET event/subscription/{name}/lastRequestId` answers `{"result": N}`;
/// - `DELETE event/subscription/{name}` answers `{"result": true}`.
struct FakeBullhornSubscriptions {
    enum Route: Hashable, Sendable {
        case subscribe, poll, lastRequestID, unsubscribe

        var isWrite: Bool { self != .lastRequestID }
    }

    struct Call: Sendable {
        var route: Route
        var name: String
        var parameters: [String: String]
        var now: Date
        var corporationID: Int
        /// The API user, as `eventMetadata.PERSON_ID`.
        var personID: Int
    }

    static let maximumCount = 50

    private struct Subscription {
        var entities: Set<FakeBullhorn.Entity>
        var kinds: Set<FakeBullhornTenant.Change.Kind>
        /// How many of the tenant's changes this subscription has seen.
        var seen: Int
        var lastRequestID = 0
        var batches: [Int: [FakeBullhorn.Value]] = [:]
    }

    private var subscriptions: [String: Subscription] = [:]
    private var lastEventID = 40_071_958

    mutating func answer(_ call: Call, changes: [FakeBullhornTenant.Change]) -> FakeBullhornAnswer {
        switch call.route {
        case .subscribe: subscribe(call.name, call.parameters, changeCount: changes.count, now: call.now, corporationID: call.corporationID)
        case .poll: poll(call.name, call.parameters, changes: changes, personID: call.personID)
        case .lastRequestID: lastRequestID(call.name)
        case .unsubscribe: unsubscribe(call.name)
        }
    }

    private mutating func subscribe(
        _ name: String, _ parameters: [String: String], changeCount: Int, now: Date, corporationID: Int
    ) -> FakeBullhornAnswer {
        guard parameters["type"]?.lowercased() == "entity" else {
            return .badRequest("Only subscriptions of type 'entity' are supported", key: "errors.invalidSubscriptionType")
        }
        let entities = Self.list(parameters["names"]).compactMap(FakeBullhorn.Entity.init(rawValue:))
        let kinds = Self.list(parameters["eventTypes"]).compactMap(FakeBullhornTenant.Change.Kind.init(rawValue:))
        guard !entities.isEmpty, entities.count == Self.list(parameters["names"]).count,
              !kinds.isEmpty, kinds.count == Self.list(parameters["eventTypes"]).count else {
            return .badRequest("Invalid names or eventTypes", key: "errors.invalidSubscription")
        }
        guard subscriptions[name] == nil else {
            return .badRequest("A subscription named \(name) already exists", key: "errors.duplicateSubscription")
        }
        guard subscriptions.count < Self.maximumCount else {
            return .badRequest("No more than \(Self.maximumCount) subscriptions", key: "errors.tooManySubscriptions")
        }
        subscriptions[name] = Subscription(entities: Set(entities), kinds: Set(kinds), seen: changeCount)
        let names = entities.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return .json([
            "subscriptionId": .string(name), "lastRequestId": 0,
            "createdOn": .int(FakeBullhorn.epochMilliseconds(now)),
            "jmsSelector": .string("JMSType='ENTITY' AND BhCorpId=\(corporationID) AND BhEntityName IN (\(names))"),
        ])
    }

    private mutating func poll(
        _ name: String, _ parameters: [String: String], changes: [FakeBullhornTenant.Change], personID: Int
    ) -> FakeBullhornAnswer {
        guard var subscription = subscriptions[name] else { return Self.unknown(name) }
        if let requestID = parameters["requestId"].flatMap({ Int($0) }) {
            guard let batch = subscription.batches[requestID] else { return Self.emptyPoll }
            return .json(["requestId": .int(requestID), "events": .array(batch)])
        }
        let maximum = max(1, parameters["maxEvents"].flatMap { Int($0) } ?? 100)
        var events: [FakeBullhorn.Value] = []
        while subscription.seen < changes.count, events.count < maximum {
            let change = changes[subscription.seen]
            subscription.seen += 1
            guard subscription.entities.contains(change.entity), subscription.kinds.contains(change.kind) else { continue }
            lastEventID += 1
            events.append(Self.event(change, id: lastEventID, personID: personID))
        }
        guard !events.isEmpty else {
            subscriptions[name] = subscription
            return Self.emptyPoll
        }
        subscription.lastRequestID += 1
        subscription.batches[subscription.lastRequestID] = events
        subscriptions[name] = subscription
        return .json(["requestId": .int(subscription.lastRequestID), "events": .array(events)])
    }

    private func lastRequestID(_ name: String) -> FakeBullhornAnswer {
        guard let subscription = subscriptions[name] else { return Self.unknown(name) }
        return .json(["result": .int(subscription.lastRequestID)])
    }

    private mutating func unsubscribe(_ name: String) -> FakeBullhornAnswer {
        guard subscriptions.removeValue(forKey: name) != nil else { return Self.unknown(name) }
        return .json(["result": true])
    }

    private static let emptyPoll = FakeBullhornAnswer(status: 200, body: .empty)

    private static func unknown(_ name: String) -> FakeBullhornAnswer {
        .error(404, "Cannot find subscription \(name)", key: "errors.subscriptionNotFound")
    }

    private static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func event(_ change: FakeBullhornTenant.Change, id: Int, personID: Int) -> FakeBullhorn.Value {
        [
            "eventId": .string("ID:JBM-\(id)"), "eventType": "ENTITY",
            "eventTimestamp": .int(FakeBullhorn.epochMilliseconds(change.timestamp)),
            "eventMetadata": ["PERSON_ID": .string(String(personID)), "TRANSACTION_ID": .string(UUID().uuidString.lowercased())],
            "entityName": .string(change.entity.rawValue), "entityId": .int(change.id),
            "entityEventType": .string(change.kind.rawValue),
            "updatedProperties": .array(change.updatedProperties.map(FakeBullhorn.Value.string)),
        ]
    }
}
