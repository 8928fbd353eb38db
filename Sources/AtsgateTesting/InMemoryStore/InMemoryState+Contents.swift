import AtsgateCore
import Foundation

/// The state as the SQLite engine's dump shows its tables: the same table and column names,
/// each row one `[column:value …]` line, so tests read both engines' contents alike.
extension InMemoryState {
    func renderedTables() -> [String: [String]] {
        [
            "organisations": lines(organisations.values.map { row in
                RenderedRow([("id", .text(row.value.id.rawValue)), ("name", .text(row.value.name))] + Self.stamps(row))
            }),
            "companies": lines(companies.values.map { row in
                let company = row.value
                return RenderedRow([
                    ("organisation_id", .text(company.organisationID.rawValue)), ("id", .text(company.id.rawValue)), ("name", .text(company.name)),
                    ("domain", .text(company.domain)), ("industry", .text(company.industry)), ("website", .text(company.website)),
                    ("phone", .text(company.phone)), ("address", .text(company.address)), ("pipeline_stage", .text(company.pipelineStage)),
                ] + Self.stamps(row))
            }),
            "people": lines(people.values.map { row in
                let person = row.value
                return RenderedRow([
                    ("organisation_id", .text(person.organisationID.rawValue)), ("id", .text(person.id.rawValue)),
                    ("first_name", .text(person.firstName)), ("last_name", .text(person.lastName)), ("email", .text(person.email)),
                    ("phone", .text(person.phone)), ("company_role", .text(person.companyRole)), ("company_id", .text(person.companyID?.rawValue)),
                    ("people_stage", .text(person.peopleStage)),
                ] + Self.stamps(row))
            }),
            "company_contact_associations": lines(associations.values.map { row in
                let association = row.value
                return RenderedRow([
                    ("organisation_id", .text(association.organisationID.rawValue)), ("company_id", .text(association.companyID.rawValue)),
                    ("person_id", .text(association.personID.rawValue)), ("association_label", .raw(association.label)),
                    ("is_primary", .boolean(association.isPrimary)),
                ] + Self.stamps(row))
            }),
            "jobs": lines(jobs.values.map { row in
                let job = row.value.job
                return RenderedRow([
                    ("organisation_id", .text(job.organisationID.rawValue)), ("id", .text(job.id.rawValue)), ("company_id", .text(job.companyID.rawValue)),
                    ("title", .text(job.title)), ("description", .text(job.description)), ("location", .text(job.location)),
                    ("employment_type", .raw(job.employmentType)), ("salary_min", .decimal(job.salary?.minimum)),
                    ("salary_max", .decimal(job.salary?.maximum)), ("salary_currency", .text(job.salary?.currency)), ("job_url", .text(job.jobURL)),
                    ("status", .raw(job.status)), ("qualification_status", .raw(job.qualificationStatus)), ("qualified_at", .date(job.qualifiedAt)),
                    ("qualified_by", .text(job.qualifiedBy)), ("notes", .text(job.notes)), ("version", .integer(row.value.version)),
                ] + Self.stamps(row))
            }),
            "external_refs": lines(externalRefs.map { key, link in
                RenderedRow([
                    ("organisation_id", .text(key.organisationID.rawValue)), ("entity_kind", .text(key.kind.rawValue)), ("local_id", .text(key.localID)),
                    ("target", .text(key.target.rawValue)), ("remote_id", .text(link.value)),
                ] + Self.stamps(link))
            }),
            "job_external_submissions": byID(submissions) { row in
                let entry = row.entry
                return RenderedRow([
                    ("id", .integer(entry.id)), ("organisation_id", .text(entry.organisationID.rawValue)), ("job_id", .text(entry.jobID.rawValue)),
                    ("external_system", .text(entry.target.rawValue)), ("operation", .raw(entry.operation)), ("status", .raw(entry.status)),
                    ("attempts", .integer(entry.attempts)), ("next_attempt_at", .date(entry.nextAttemptAt)), ("lease_owner", .text(entry.leaseOwner)),
                    ("lease_expires_at", .date(entry.leaseExpiresAt)), ("external_id", .text(entry.externalID)), ("job_version", .integer(entry.jobVersion)),
                    ("sent_job_version", .integer(entry.sentJobVersion)), ("last_error_kind", .raw(entry.lastErrorKind)),
                    ("last_error_message", .text(entry.lastErrorMessage)), ("response_data", .text(row.responseData)),
                    ("submitted_by", .text(entry.submittedBy)), ("outcome_unknown", .boolean(row.outcomeUnknown)), ("enqueued_at", .date(row.enqueuedAt)),
                    ("created_at", .date(entry.createdAt)), ("updated_at", .date(entry.updatedAt)), ("sent_at", .date(entry.sentAt)),
                    ("sent_fields_digest", .text(row.sentFieldsDigest)),
                ])
            },
            "decision_maker_notifications": byID(notifications) { row in
                let notification = row.notification
                return RenderedRow([
                    ("id", .integer(notification.id)), ("organisation_id", .text(notification.organisationID.rawValue)),
                    ("job_id", .text(notification.jobID.rawValue)), ("person_id", .text(notification.personID.rawValue)),
                    ("company_id", .text(notification.companyID.rawValue)), ("notification_type", .raw(notification.type)),
                    ("notification_channel", .raw(notification.channel)), ("status", .raw(notification.status)),
                    ("attempts", .integer(notification.attempts)), ("next_attempt_at", .date(row.nextAttemptAt)), ("lease_owner", .text(row.leaseOwner)),
                    ("lease_expires_at", .date(row.leaseExpiresAt)), ("external_id", .text(row.externalID)), ("error_kind", .raw(row.errorKind)),
                    ("error", .text(notification.error)), ("sent_at", .date(notification.sentAt)), ("created_at", .date(notification.createdAt)),
                    ("updated_at", .date(row.updatedAt)),
                ])
            },
            "submission_attempts": byID(attempts) { row in
                let (submission, notification): (Int64?, Int64?) = switch row.subject {
                case .submission(let id): (id, nil)
                case .notification(let id): (nil, id)
                }
                let history = row.history
                return RenderedRow([
                    ("organisation_id", .text(row.organisationID?.rawValue)), ("submission_id", .integer(submission)),
                    ("notification_id", .integer(notification)), ("attempt_number", .integer(history.attemptNumber)),
                    ("operation", .raw(history.operation)), ("worker", .text(history.worker)), ("started_at", .date(history.startedAt)),
                    ("finished_at", .date(history.finishedAt)), ("outcome", .text(history.outcome)), ("http_status", .integer(history.httpStatus)),
                    ("error_kind", .raw(history.errorKind)), ("message", .text(history.message)), ("duration_ms", .integer(history.durationMilliseconds)),
                    ("request_hash", .text(history.requestHash)),
                ])
            },
            "reconcile_runs": byID(reconcileRuns) { row in
                let run = row.run
                let counts = Dictionary(uniqueKeysWithValues: run.findingCounts.map { ($0.key.rawValue, $0.value) })
                return RenderedRow([
                    ("organisation_id", .text(run.organisationID.rawValue)), ("target", .text(run.target.rawValue)), ("started_at", .date(run.startedAt)),
                    ("finished_at", .date(run.finishedAt)), ("status", .raw(run.status)), ("partial_reason", .text(run.partialReason)),
                    ("applied", .boolean(run.applied)), ("remote_jobs_listed", .integer(run.remoteJobsListed)),
                    ("local_jobs_compared", .integer(run.localJobsCompared)), ("finding_counts", .text(Self.json(counts))),
                    ("heartbeat_at", .date(row.heartbeatAt)),
                ])
            },
            "reconcile_findings": byID(reconcileFindings) { row in
                let finding = row.finding
                return RenderedRow([
                    ("run_id", .integer(row.runID)), ("organisation_id", .text(row.organisationID.rawValue)), ("category", .raw(finding.category)),
                    ("job_id", .text(finding.jobID?.rawValue)), ("remote_id", .text(finding.remoteID)),
                    ("details", .text(Self.json(["detail": finding.detail, "fields": finding.fields]))),
                    ("repair", .raw(finding.repair)),
                ])
            },
            "target_states": lines(targetStates.filter { $0.key.organisationID == nil }.map { lane, row in
                let health = row.health
                let (circuit, until): (String, Date?) = switch health.circuit {
                case .closed: ("closed", nil)
                case .open(let until): ("open", until)
                case .halfOpen(let until): ("half_open", until)
                }
                return RenderedRow([
                    ("target", .text(lane.target.rawValue)), ("circuit", .text(circuit)), ("circuit_until", .date(until)),
                    ("consecutive_failures", .integer(health.consecutiveFailures)), ("paused_until", .date(health.pausedUntil)),
                    ("updated_at", .date(row.updatedAt)), ("request_window", .text(health.window.storedText)), ("openings", .integer(health.openings)),
                    ("probe_successes", .integer(health.probeSuccesses)), ("probing_since", .date(health.probingSince)),
                ])
            }),
            "audit_log": byID(auditLog) { entry in
                RenderedRow([
                    ("organisation_id", .text(entry.organisationID?.rawValue)), ("occurred_at", .date(entry.occurredAt)), ("actor", .text(entry.actor)),
                    ("action", .raw(entry.action)), ("subject", .text(entry.subject)), ("details", .text(Self.json(entry.details))),
                ])
            },
            "target_credentials": lines(credentials.map { key, row in
                RenderedRow([
                    ("target", .text(key.target.rawValue)), ("name", .text(key.name)), ("value", .text(row.value)), ("updated_at", .date(row.updatedAt)),
                ])
            }),
            "creation_claims": lines(creationClaims.map { key, claim in
                RenderedRow([
                    ("target", .text(key.target.rawValue)), ("key", .text(key.key)), ("owner", .text(claim.owner)),
                    ("lease_expires_at", .date(claim.leaseExpiresAt)), ("remote_id", .text(claim.remoteID)), ("updated_at", .date(claim.updatedAt)),
                ])
            }),
        ]
    }

    /// Rows keyed by CRM ids, in the order of their lines.
    private func lines(_ rows: [RenderedRow]) -> [String] {
        rows.map(\.line).sorted()
    }

    /// Rows of an AUTOINCREMENT table, in id order, the id first.
    private func byID<Row>(_ table: [Int64: Row], _ render: (Row) -> RenderedRow) -> [String] {
        table.sorted { $0.key < $1.key }.map { id, row in
            var rendered = render(row)
            if rendered.columns.first?.name != "id" { rendered.columns.insert((name: "id", value: .integer(id)), at: 0) }
            return rendered.line
        }
    }

    private static func stamps<Value>(_ row: Timestamped<Value>) -> [(String, StoredValue)] {
        [("created_at", .date(row.createdAt)), ("updated_at", .date(row.updatedAt))]
    }

    /// A small map as JSON with sorted keys, as the SQLite engine stores audit details.
    private static func json(_ map: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: map, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
