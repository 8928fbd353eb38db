import GRDB

/// The schema's history. A shipped migration is never edited: changes are new migrations.
/// Migrations use literal SQL, never the app's record types, because they describe the past.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: CRM model, outbox, notifications, reconciliation, audit") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2: digest of the fields a target holds, for reconciliation's drift check") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3: credentials a target rotates") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4: circuit breaker judged by the failure rate of requests") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5: one find-or-create of a company or person at a time, across processes") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6: connections, each organisation's account at a target") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7: circuit breaker and rate-limit pause per connection") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8: API keys and idempotency keys of atsgate serve") { db in
            try db.execute(sql: v8)
        }
        return migrator
    }

    // Tenancy: every CRM id is the CRM's own and unique only within its organisation, so keys are
    // (organisation_id, id) and foreign keys carry organisation_id: a row can never point into
    // another tenant's data.
    private static let v1 = """
    CREATE TABLE organisations (
        id TEXT NOT NULL PRIMARY KEY CHECK (length(id) > 0),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE companies (
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        id TEXT NOT NULL CHECK (length(id) > 0),
        name TEXT NOT NULL,
        domain TEXT,
        industry TEXT,
        website TEXT,
        phone TEXT,
        address TEXT,
        pipeline_stage TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, id)
    ) STRICT;

    CREATE TABLE people (
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        id TEXT NOT NULL CHECK (length(id) > 0),
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        company_role TEXT,
        company_id TEXT,
        people_stage TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id)
    ) STRICT;
    CREATE INDEX people_by_company ON people(organisation_id, company_id);

    CREATE TABLE company_contact_associations (
        organisation_id TEXT NOT NULL,
        company_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        association_label TEXT NOT NULL
            CHECK (association_label IN ('decision_maker', 'hiring_manager', 'primary_contact', 'billing_contact')),
        is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, company_id, person_id, association_label),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id),
        FOREIGN KEY (organisation_id, person_id) REFERENCES people(organisation_id, id)
    ) STRICT;
    CREATE INDEX company_contact_associations_by_person ON company_contact_associations(organisation_id, person_id);

    CREATE TABLE jobs (
        organisation_id TEXT NOT NULL,
        id TEXT NOT NULL CHECK (length(id) > 0),
        company_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        location TEXT,
        employment_type TEXT
            CHECK (employment_type IN ('full_time', 'part_time', 'contract', 'temporary', 'internship')),
        salary_min TEXT,
        salary_max TEXT,
        salary_currency TEXT CHECK (length(salary_currency) = 3),
        job_url TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'filled')),
        qualification_status TEXT NOT NULL CHECK (qualification_status IN ('new', 'qualify', 'skip')),
        qualified_at TEXT,
        qualified_by TEXT,
        notes TEXT,
        version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id)
    ) STRICT;
    CREATE INDEX jobs_by_company ON jobs(organisation_id, company_id);
    -- Reconciliation walks a tenant's qualified jobs.
    CREATE INDEX jobs_by_qualification ON jobs(organisation_id, qualification_status, status);

    -- A company, person or job created in a target once is reused, never created twice.
    CREATE TABLE external_refs (
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        entity_kind TEXT NOT NULL CHECK (entity_kind IN ('company', 'person', 'job')),
        local_id TEXT NOT NULL,
        target TEXT NOT NULL,
        remote_id TEXT NOT NULL CHECK (length(remote_id) > 0),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, entity_kind, local_id, target)
    ) STRICT;
    -- One remote record maps to one local entity; reconciliation looks remote ids up here.
    CREATE UNIQUE INDEX external_refs_by_remote_id ON external_refs(organisation_id, target, entity_kind, remote_id);

    -- The outbox: one row per (job, target).
    CREATE TABLE job_external_submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        external_system TEXT NOT NULL CHECK (length(external_system) > 0),
        operation TEXT NOT NULL CHECK (operation IN ('create', 'update', 'close')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at TEXT,
        lease_owner TEXT,
        lease_expires_at TEXT,
        external_id TEXT,
        job_version INTEGER NOT NULL CHECK (job_version >= 1),
        sent_job_version INTEGER,
        last_error_kind TEXT
            CHECK (last_error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        last_error_message TEXT,
        response_data TEXT,
        submitted_by TEXT,
        -- An earlier attempt of this create may have reached the target (lease lapsed, timeout
        -- after sending): the connector looks the job up by its marker before creating it again.
        outcome_unknown INTEGER NOT NULL DEFAULT 0 CHECK (outcome_unknown IN (0, 1)),
        -- When the row's current work was queued; retry.max_age counts from here.
        enqueued_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (organisation_id, job_id, external_system),
        FOREIGN KEY (organisation_id, job_id) REFERENCES jobs(organisation_id, id),
        CHECK ((status = 'in_flight') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
    ) STRICT;
    -- The claim query, per target: due pending rows in order, and in-flight rows whose lease lapsed.
    CREATE INDEX job_external_submissions_due ON job_external_submissions(external_system, status, next_attempt_at);
    -- Operator filters and `replay --failed [--error-kind K]`.
    CREATE INDEX job_external_submissions_by_status ON job_external_submissions(status, last_error_kind);

    CREATE TABLE decision_maker_notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        company_id TEXT NOT NULL,
        notification_type TEXT NOT NULL CHECK (notification_type IN ('job_qualified', 'job_submitted')),
        notification_channel TEXT NOT NULL CHECK (notification_channel IN ('email')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'sent', 'failed', 'cancelled', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at TEXT,
        lease_owner TEXT,
        lease_expires_at TEXT,
        external_id TEXT,
        error_kind TEXT CHECK (error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        error TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (organisation_id, job_id, person_id, notification_type),
        FOREIGN KEY (organisation_id, job_id) REFERENCES jobs(organisation_id, id),
        FOREIGN KEY (organisation_id, person_id) REFERENCES people(organisation_id, id),
        FOREIGN KEY (organisation_id, company_id) REFERENCES companies(organisation_id, id),
        CHECK ((status = 'in_flight') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
    ) STRICT;
    CREATE INDEX decision_maker_notifications_due ON decision_maker_notifications(status, next_attempt_at);

    -- One row per delivery attempt of a submission or a notification.
    CREATE TABLE submission_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        submission_id INTEGER REFERENCES job_external_submissions(id),
        notification_id INTEGER REFERENCES decision_maker_notifications(id),
        attempt_number INTEGER NOT NULL CHECK (attempt_number >= 1),
        operation TEXT CHECK (operation IN ('create', 'update', 'close')),
        worker TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT CHECK (outcome IN ('sent', 'retry', 'failed', 'lease_lost')),
        http_status INTEGER,
        error_kind TEXT CHECK (error_kind IN ('transient', 'rate_limited', 'auth', 'rejected', 'mapping', 'config')),
        message TEXT,
        duration_ms INTEGER CHECK (duration_ms >= 0),
        request_hash TEXT,
        CHECK ((submission_id IS NULL) <> (notification_id IS NULL))
    ) STRICT;
    CREATE INDEX submission_attempts_by_submission ON submission_attempts(submission_id, attempt_number);
    CREATE INDEX submission_attempts_by_notification ON submission_attempts(notification_id, attempt_number);

    CREATE TABLE reconcile_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
        partial_reason TEXT,
        applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),
        remote_jobs_listed INTEGER NOT NULL DEFAULT 0,
        local_jobs_compared INTEGER NOT NULL DEFAULT 0,
        finding_counts TEXT NOT NULL DEFAULT '{}'
    ) STRICT;
    CREATE INDEX reconcile_runs_by_target ON reconcile_runs(organisation_id, target, started_at);

    CREATE TABLE reconcile_findings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES reconcile_runs(id),
        organisation_id TEXT NOT NULL,
        category TEXT NOT NULL CHECK (category IN (
            'unsynced', 'missing_remote', 'unlinked_remote', 'duplicate_remote', 'orphan_remote', 'drift', 'status_mismatch'
        )),
        job_id TEXT,
        remote_id TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        repair TEXT
    ) STRICT;
    CREATE INDEX reconcile_findings_by_run ON reconcile_findings(run_id, category);

    -- A target's circuit breaker and rate-limit pause, shared by every worker. Targets are
    -- configured once for all organisations, so this table has no organisation_id.
    CREATE TABLE target_states (
        target TEXT NOT NULL PRIMARY KEY,
        circuit TEXT NOT NULL CHECK (circuit IN ('closed', 'open', 'half_open')),
        circuit_until TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        paused_until TEXT,
        updated_at TEXT NOT NULL,
        CHECK ((circuit = 'closed') = (circuit_until IS NULL))
    ) STRICT;

    -- Who qualified, replayed, cancelled, imported, changed configuration; organisation_id is
    -- NULL only for actions that span tenants.
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        organisation_id TEXT REFERENCES organisations(id),
        occurred_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    ) STRICT;
    CREATE INDEX audit_log_by_subject ON audit_log(organisation_id, subject, occurred_at);
    """

    // What the target holds after the last successful delivery, as ComparableFields.digest:
    // reconciliation maps a job again only when the target's digest differs from this one.
    // A running reconcile run beats; a run whose heartbeat stopped is dead, and another may start.
    private static let v2 = """
    ALTER TABLE job_external_submissions ADD COLUMN sent_fields_digest TEXT;
    ALTER TABLE reconcile_runs ADD COLUMN heartbeat_at TEXT;
    """

    // Session credentials a target rotates (Bullhorn's single-use refresh token), shared by every
    // worker; configured secrets are never stored, they stay in the environment.
    private static let v3 = """
    CREATE TABLE target_credentials (
        target TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (target, name)
    ) STRICT;
    """

    // The breaker decides by the failure rate of requests over a sliding window (buckets of
    // `start_ms:requests:failures`), and its cool-down doubles with each opening until the target
    // recovers. Additive, so a worker of the previous version keeps running on this schema.
    private static let v4 = """
    ALTER TABLE target_states ADD COLUMN request_window TEXT NOT NULL DEFAULT '';
    ALTER TABLE target_states ADD COLUMN openings INTEGER NOT NULL DEFAULT 0 CHECK (openings >= 0);
    ALTER TABLE target_states ADD COLUMN probe_successes INTEGER NOT NULL DEFAULT 0 CHECK (probe_successes >= 0);
    ALTER TABLE target_states ADD COLUMN probing_since TEXT;
    """

    // A lease per (target, key) held while one worker finds or creates a company or person at the
    // target, then the id it found, for the workers that waited. Never held through a transaction.
    private static let v5 = """
    CREATE TABLE creation_claims (
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        owner TEXT,
        lease_expires_at TEXT,
        remote_id TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (target, key),
        CHECK ((owner IS NULL) = (lease_expires_at IS NULL)),
        CHECK (owner IS NULL OR remote_id IS NULL)
    ) STRICT;
    """

    // Each organisation's account at a target: the connection file's settings as a JSON object
    // (no secret: `*_env` keys name variables) and its inline secrets sealed with AES-GCM, each
    // with the id of its key ({"api_key": {"key_id": "…", "box": "…"}}). Not tied to the
    // organisations table: a connection may be set up before the CRM's first import.
    private static let v6 = """
    CREATE TABLE connections (
        organisation_id TEXT NOT NULL CHECK (length(organisation_id) > 0),
        target TEXT NOT NULL CHECK (length(target) > 0),
        kind TEXT NOT NULL CHECK (kind IN ('loxo', 'bullhorn', 'email', 'webhook')),
        settings TEXT NOT NULL DEFAULT '{}',
        secrets TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, target)
    ) STRICT;
    """

    // The breaker and 429 pause of each organisation's own connection (its own ATS account);
    // target_states keeps those of each target's default connection. A new table rather than a
    // new key for target_states: a worker of the previous version keeps running on this schema.
    private static let v7 = """
    CREATE TABLE connection_states (
        organisation_id TEXT NOT NULL CHECK (length(organisation_id) > 0),
        target TEXT NOT NULL,
        circuit TEXT NOT NULL CHECK (circuit IN ('closed', 'open', 'half_open')),
        circuit_until TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        paused_until TEXT,
        request_window TEXT NOT NULL DEFAULT '',
        openings INTEGER NOT NULL DEFAULT 0 CHECK (openings >= 0),
        probe_successes INTEGER NOT NULL DEFAULT 0 CHECK (probe_successes >= 0),
        probing_since TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, target),
        CHECK ((circuit = 'closed') = (circuit_until IS NULL))
    ) STRICT;
    """

    // API keys are stored as their SHA-256 only. An idempotency key's answer is kept 24 hours;
    // one claimed but never answered (`status` NULL) belongs to a request still running, or to
    // a node that died, and is claimed again once abandoned.
    private static let v8 = """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY CHECK (length(id) > 0),
        organisation_id TEXT NOT NULL CHECK (length(organisation_id) > 0),
        role TEXT NOT NULL CHECK (role IN ('crm', 'operator', 'reader')),
        name TEXT,
        secret_hash TEXT NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT
    ) STRICT;
    CREATE INDEX api_keys_by_organisation ON api_keys(organisation_id, created_at);

    CREATE TABLE idempotency_keys (
        organisation_id TEXT NOT NULL,
        key TEXT NOT NULL CHECK (length(key) > 0),
        request_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status INTEGER,
        content_type TEXT,
        location TEXT,
        body BLOB,
        PRIMARY KEY (organisation_id, key)
    ) STRICT;
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
    """
}
