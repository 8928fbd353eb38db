import Foundation
import Logging
import PostgresNIO

/// The schema's history on PostgreSQL. A shipped migration is never edited: changes are new
/// migrations, appended. Each runs in the transaction that records it, under an advisory lock, so
/// nodes starting at once migrate one after the other and the later ones find nothing to do.
enum PostgresMigrations {
    struct Migration {
        var identifier: String
        var sql: String

        /// The script's statements, one by one (a prepared statement holds one): each ends with
        /// `;` at the end of a line.
        var statements: [String] {
            sql.components(separatedBy: ";\n").filter { statement in
                statement.split(separator: "\n").contains { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") && !$0.allSatisfy(\.isWhitespace) }
            }
        }
    }

    static let all: [Migration] = [
        Migration(identifier: "v1: CRM model, outbox, notifications, reconciliation, audit, target state, credentials", sql: v1),
        Migration(identifier: "v2: connections, each organisation's account at a target", sql: v2),
        Migration(identifier: "v3: circuit breaker and rate-limit pause per connection", sql: v3),
        Migration(identifier: "v4: API keys and idempotency keys of atsgate serve", sql: v4),
    ]

    static var known: [String] { all.map(\.identifier) }

    /// Applies the migrations the schema lacks, in order.
    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            // One lock per schema, held to the end of this transaction.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("atsgate migrations " + schema)))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            let applied = Set(try await self.applied(connection, logger: logger))
            for migration in all where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.identifier)", "schema": "\(schema)"])
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Migrations the schema holds, oldest first.
    static func applied(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var identifiers: [String] = []
        for try await identifier in try await connection.query("SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier", logger: logger).decode(String.self) {
            identifiers.append(identifier)
        }
        return identifiers
    }

    // The SQLite schema after its v4, in PostgreSQL's types. Tenancy: every CRM id is the CRM's
    // own and unique only within its organisation, so keys are (organisation_id, id) and foreign
    // keys carry organisation_id: a row can never point into another tenant's data.
    private static let v1 = """
    CREATE TABLE organisations (
        id text NOT NULL PRIMARY KEY CHECK (length(id) > 0),
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );

    CREATE TABLE companies (
        organisation_id text NOT NULL REFERENCES organisations(id),
        id text NOT NULL CHECK (length(id) > 0),
        name text NOT NULL,
        domain text,
        industry text,
        website text,
        phone text,
        address text,
        pipeline_stage text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, id)
    );

    CREATE TABLE people (
        organisation_id text NOT NULL REFERENCES organisations(id),
        id text NOT NULL CHECK (length(id) > 0),
        first_name text NOT NULL,
        last_name text NOT NULL,
        email text,
        phone text,
        company_role text,
        company_id text,
        people_stage text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id)
    );
    CREATE INDEX people_by_company ON people(organisation_id, company_id);

    CREATE TABLE company_contact_associations (
        organisation_id text NOT NULL,
        company_id text NOT NULL,
        person_id text NOT NULL,
        association_label text NOT NULL
            CHECK (association_label IN ('decision_maker', 'hiring_manager', 'primary_contact', 'billing_contact')),
        is_primary boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, company_id, person_id, association_label),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id),
        FOREIGN KEY (organisation_id, person_id) REFERENCES people(organisation_id, id)
    );
    CREATE INDEX company_contact_associations_by_person ON company_contact_associations(organisation_id, person_id);

    CREATE TABLE jobs (
        organisation_id text NOT NULL,
        id text NOT NULL CHECK (length(id) > 0),
        company_id text NOT NULL,
        title text NOT NULL,
        description text,
        location text,
        employment_type text
            CHECK (employment_type IN ('full_time', 'part_time', 'contract', 'temporary', 'internship')),
        salary_min numeric,
        salary_max numeric,
        salary_currency text CHECK (length(salary_currency) = 3),
        job_url text,
        status text NOT NULL CHECK (status IN ('open', 'closed', 'filled')),
        qualification_status text NOT NULL CHECK (qualification_status IN ('new', 'qualify', 'skip')),
        qualified_at timestamptz,
        qualified_by text,
        notes text,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id)
    );
    CREATE INDEX jobs_by_company ON jobs(organisation_id, company_id);
    -- Reconciliation walks a tenant's qualified jobs.
    CREATE INDEX jobs_by_qualification ON jobs(organisation_id, qualification_status, status);

    -- A company, person or job created in a target once is reused, never created twice.
    CREATE TABLE external_refs (
        organisation_id text NOT NULL REFERENCES organisations(id),
        entity_kind text NOT NULL CHECK (entity_kind IN ('company', 'person', 'job')),
        local_id text NOT NULL,
        target text NOT NULL,
        remote_id text NOT NULL CHECK (length(remote_id) > 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, entity_kind, local_id, target)
    );
    -- One remote record maps to one local entity; reconciliation looks remote ids up here.
    CREATE UNIQUE INDEX external_refs_by_remote_id ON external_refs(organisation_id, target, entity_kind, remote_id);

    -- The outbox: one row per (job, target).
    CREATE TABLE job_external_submissions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        organisation_id text NOT NULL,
        job_id text NOT NULL,
        external_system text NOT NULL CHECK (length(external_system) > 0),
        operation text NOT NULL CHECK (operation IN ('create', 'update', 'close')),
        status text NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        external_id text,
        job_version integer NOT NULL CHECK (job_version >= 1),
        sent_job_version integer,
        last_error_kind text
            CHECK (last_error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        last_error_message text,
        -- The target's answer, redacted: a JSON string (a summary) or document.
        response_data jsonb,
        submitted_by text,
        -- An earlier attempt of this create may have reached the target (lease lapsed, timeout
        -- after sending): the connector looks the job up by its marker before creating it again.
        outcome_unknown boolean NOT NULL DEFAULT false,
        -- When the row's current work was queued; retry.max_age counts from here.
        enqueued_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        sent_at timestamptz,
        -- What the target holds after the last successful delivery (ComparableFields.digest).
        sent_fields_digest text,
        UNIQUE (organisation_id, job_id, external_system),
        FOREIGN KEY (organisation_id, job_id) REFERENCES jobs(organisation_id, id),
        CHECK ((status = 'in_flight') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
    );
    -- The claim query, per target: due pending rows in order, and in-flight rows whose lease lapsed.
    CREATE INDEX job_external_submissions_due ON job_external_submissions(external_system, next_attempt_at, id) WHERE status = 'pending';
    CREATE INDEX job_external_submissions_leased ON job_external_submissions(external_system, lease_expires_at) WHERE status = 'in_flight';
    -- Operator filters and `replay --failed [--error-kind K]`.
    CREATE INDEX job_external_submissions_by_status ON job_external_submissions(status, last_error_kind);

    CREATE TABLE decision_maker_notifications (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        organisation_id text NOT NULL,
        job_id text NOT NULL,
        person_id text NOT NULL,
        company_id text NOT NULL,
        notification_type text NOT NULL CHECK (notification_type IN ('job_qualified', 'job_submitted')),
        notification_channel text NOT NULL CHECK (notification_channel IN ('email')),
        status text NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', 'failed', 'cancelled', 'skipped')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        external_id text,
        error_kind text CHECK (error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        error text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (organisation_id, job_id, person_id, notification_type),
        FOREIGN KEY (organisation_id, job_id) REFERENCES jobs(organisation_id, id),
        FOREIGN KEY (organisation_id, person_id) REFERENCES people(organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id),
        CHECK ((status = 'in_flight') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
    );
    CREATE INDEX decision_maker_notifications_due ON decision_maker_notifications(status, next_attempt_at);

    -- One row per delivery attempt of a submission or a notification.
    CREATE TABLE submission_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        organisation_id text NOT NULL REFERENCES organisations(id),
        submission_id bigint REFERENCES job_external_submissions(id),
        notification_id bigint REFERENCES decision_maker_notifications(id),
        attempt_number integer NOT NULL CHECK (attempt_number >= 1),
        operation text CHECK (operation IN ('create', 'update', 'close')),
        worker text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        outcome text CHECK (outcome IN ('sent', 'retry', 'failed', 'lease_lost')),
        http_status integer,
        error_kind text CHECK (error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        message text,
        duration_ms bigint CHECK (duration_ms >= 0),
        request_hash text,
        CHECK ((submission_id IS NULL) <> (notification_id IS NULL))
    );
    CREATE INDEX submission_attempts_by_submission ON submission_attempts(submission_id, attempt_number);
    CREATE INDEX submission_attempts_by_notification ON submission_attempts(notification_id, attempt_number);

    CREATE TABLE reconcile_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        organisation_id text NOT NULL REFERENCES organisations(id),
        target text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
        partial_reason text,
        applied boolean NOT NULL DEFAULT false,
        remote_jobs_listed integer NOT NULL DEFAULT 0,
        local_jobs_compared integer NOT NULL DEFAULT 0,
        finding_counts jsonb NOT NULL DEFAULT '{}',
        -- A running run beats; a run whose heartbeat stopped is dead, and another may start.
        heartbeat_at timestamptz
    );
    CREATE INDEX reconcile_runs_by_target ON reconcile_runs(organisation_id, target, started_at);

    CREATE TABLE reconcile_findings (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES reconcile_runs(id),
        organisation_id text NOT NULL,
        category text NOT NULL CHECK (category IN (
            'unsynced', 'missing_remote', 'unlinked_remote', 'duplicate_remote', 'orphan_remote', 'drift', 'status_mismatch'
        )),
        job_id text,
        remote_id text,
        details jsonb NOT NULL DEFAULT '{}',
        repair text
    );
    CREATE INDEX reconcile_findings_by_run ON reconcile_findings(run_id, category);

    -- A target's circuit breaker and rate-limit pause, shared by every node. A claim reads it and
    -- writes it only when the claim changes it (a half-open probe), so claims do not queue on it.
    CREATE TABLE target_states (
        target text NOT NULL PRIMARY KEY,
        circuit text NOT NULL CHECK (circuit IN ('closed', 'open', 'half_open')),
        circuit_until timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        paused_until timestamptz,
        request_window text NOT NULL DEFAULT '',
        openings integer NOT NULL DEFAULT 0 CHECK (openings >= 0),
        probe_successes integer NOT NULL DEFAULT 0 CHECK (probe_successes >= 0),
        probing_since timestamptz,
        updated_at timestamptz NOT NULL,
        CHECK ((circuit = 'closed') = (circuit_until IS NULL))
    );

    -- Session credentials a target rotates (Bullhorn's single-use refresh token), shared by every
    -- node; configured secrets are never stored, they stay in the environment.
    CREATE TABLE target_credentials (
        target text NOT NULL,
        name text NOT NULL,
        value text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (target, name)
    );

    -- A lease per (target, key) held while one node finds or creates a company or person at the
    -- target, then the id it found, for the nodes that waited. Never held through a transaction.
    CREATE TABLE creation_claims (
        target text NOT NULL,
        key text NOT NULL,
        owner text,
        lease_expires_at timestamptz,
        remote_id text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (target, key),
        CHECK ((owner IS NULL) = (lease_expires_at IS NULL)),
        CHECK (owner IS NULL OR remote_id IS NULL)
    );

    -- Who qualified, replayed, cancelled, imported, changed configuration; organisation_id is
    -- NULL only for actions that span tenants.
    CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        organisation_id text REFERENCES organisations(id),
        occurred_at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_by_subject ON audit_log(organisation_id, subject, occurred_at);
    """

    // As SQLite's v6: settings and sealed secrets ({"api_key": {"key_id": "…", "box": "…"}}).
    private static let v2 = """
    CREATE TABLE connections (
        organisation_id text NOT NULL CHECK (length(organisation_id) > 0),
        target text NOT NULL CHECK (length(target) > 0),
        kind text NOT NULL CHECK (kind IN ('loxo', 'bullhorn', 'email', 'webhook')),
        settings jsonb NOT NULL DEFAULT '{}',
        secrets jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, target)
    )
    """

    // As SQLite's v7: each organisation's own connection's breaker and 429 pause.
    private static let v3 = """
    CREATE TABLE connection_states (
        organisation_id text NOT NULL CHECK (length(organisation_id) > 0),
        target text NOT NULL,
        circuit text NOT NULL CHECK (circuit IN ('closed', 'open', 'half_open')),
        circuit_until timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        paused_until timestamptz,
        request_window text NOT NULL DEFAULT '',
        openings integer NOT NULL DEFAULT 0 CHECK (openings >= 0),
        probe_successes integer NOT NULL DEFAULT 0 CHECK (probe_successes >= 0),
        probing_since timestamptz,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (organisation_id, target),
        CHECK ((circuit = 'closed') = (circuit_until IS NULL))
    )
    """

    // As SQLite's v8: API keys as their SHA-256; idempotency keys and their answers.
    private static let v4 = """
    CREATE TABLE api_keys (
        id text PRIMARY KEY CHECK (length(id) > 0),
        organisation_id text NOT NULL CHECK (length(organisation_id) > 0),
        role text NOT NULL CHECK (role IN ('crm', 'operator', 'reader')),
        name text,
        secret_hash text NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        revoked_at timestamptz
    );
    CREATE INDEX api_keys_by_organisation ON api_keys(organisation_id, created_at);
    CREATE TABLE idempotency_keys (
        organisation_id text NOT NULL,
        key text NOT NULL CHECK (length(key) > 0),
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        status integer,
        content_type text,
        location text,
        body bytea,
        PRIMARY KEY (organisation_id, key)
    );
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at)
    """
}
