/// The API's OpenAPI 3.1 document, served at `GET /openapi.yaml`; the server is tested against it (schemathesis in CI via `scripts/check-api`, and a route test that compares its paths with the router's routes).
enum OpenAPIDocument {
    static let yaml = #"""
    openapi: 3.1.0
    info:
      title: atsgate API
      version: "1"
      summary: CRM data in, qualified jobs out to applicant tracking systems.
      description: |
        The HTTP API of `atsgate serve`.

        * Every route under `/v1` takes an API key as `Authorization: Bearer KEY`. A missing,
          unknown or revoked key is 401 (with `WWW-Authenticate: Bearer`); a key whose role may not
          call the route is 403. Keys have one of three roles: `crm` (writes CRM data and decides on
          jobs), `operator` (replays and cancels outbox rows, starts reconcile runs) and `reader`;
          every role may read.
        * A key belongs to one organisation: it sees and writes that organisation's records only.
          Another organisation's job, outbox row or reconcile run answers 404, as if it did not exist.
        * Bodies are JSON with snake_case names; timestamps are ISO 8601 (`2026-10-14T09:30:00Z`).
        * Errors are RFC 9457 problem details (`application/problem+json`). `type` ends in a short
          code (`https://atsgate.dev/problems/invalid-fields`); `errors` lists each bad field as a
          JSON pointer into the request body, or the query parameter's or header's name.
        * `POST` requests may carry an `Idempotency-Key` (1–255 characters): the same key with the same
          API key, method, path and body within 24 hours gets the first answer again (with
          `Idempotency-Replayed: true`) without the work being done twice; the same key with another
          request is 422; the same request while the first is still running is 409. Answers of 500
          and above give the key back.
        * Lists are paged: `?limit=` (1–500, default 50) and `?cursor=` (the `next_cursor` of the
          previous page, `null` on the last one).
        * Query parameters given with an empty value count as not given.
        * A known path asked with a method it does not take is 405, with `Allow` naming the ones it takes.
        * Path ids are percent-decoded; one that is blank or holds U+0000 names nothing (404; on `PUT`, 422).
        * Ids are kept exactly as given; they are not blank and hold no U+0000.
        * Bodies above the server's upload limit (16 MiB by default) are refused with 413; a request
          that takes longer than the server's request timeout (30 s by default) is answered 503.
      license:
        name: Proprietary
        identifier: LicenseRef-Proprietary
    servers:
      - url: /
    tags:
      - name: CRM
        description: CRM data, as `atsgate import` takes it.
      - name: Decisions
        description: Qualify, skip or close jobs.
      - name: Outbox
        description: Deliveries to targets, for operators.
      - name: Reconcile
        description: Compare what targets hold with the jobs here.
      - name: Targets
        description: Configured targets and this organisation's connections to them.
      - name: Operations
        description: Liveness, readiness, metrics and this document. No API key.
    security:
      - bearerAuth: []

    paths:
      /v1/companies/{id}:
        put:
          tags: [CRM]
          operationId: putCompany
          summary: Create or update one company
          description: |
            Stores the company, all or nothing, as one row of an import. The path names its id and
            the API key its organisation; the body may repeat `id` and `organisation_id` only with
            those values (or `null`). Blank strings count as absent. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/EntityId"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/CompanyFields"
                example:
                  name: Halcyon Robotics
                  domain: halcyonrobotics.example
                  industry: Manufacturing
                  website: https://halcyonrobotics.example
                  phone: "+14155550142"
                  pipeline_stage: customer
          responses:
            "200":
              $ref: "#/components/responses/ImportSummary"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/people/{id}:
        put:
          tags: [CRM]
          operationId: putPerson
          summary: Create or update one person
          description: |
            Stores the person, all or nothing. `company_id`, when given, must name a company of the
            organisation (422 otherwise). The body may repeat `id` and `organisation_id` only with the
            path's and the key's values (or `null`). Blank strings count as absent. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/EntityId"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/PersonFields"
                example:
                  first_name: Dana
                  last_name: Whitfield
                  email: dana.whitfield@halcyonrobotics.example
                  company_role: Chief Executive Officer
                  company_id: cmp-001
                  people_stage: contacted
          responses:
            "200":
              $ref: "#/components/responses/ImportSummary"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/jobs/{id}:
        put:
          tags: [CRM]
          operationId: putJob
          summary: Create or update one job
          description: |
            Stores the job, all or nothing. `company_id` must name a company of the organisation
            (422 otherwise). An edit of a job a target holds queues its update
            (`queued_submissions`). `qualified_at` and `qualified_by` are taken only with
            `qualification_status: qualify`. The body may repeat `id` and `organisation_id` only with
            the path's and the key's values (or `null`). Blank strings count as absent. Takes a `crm`
            key.
          parameters:
            - $ref: "#/components/parameters/JobId"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/JobFields"
                example:
                  company_id: cmp-001
                  title: Robotics Field Service Engineer
                  location: San Francisco, US
                  employment_type: contract
                  salary_min: 120000
                  salary_max: 150000
                  salary_currency: USD
                  job_url: https://careers.halcyonrobotics.example/jobs/robotics-field-service-engineer-001
                  status: open
          responses:
            "200":
              $ref: "#/components/responses/ImportSummary"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"
        get:
          tags: [CRM]
          operationId: getJob
          summary: One job, its version and its outbox rows
          description: Takes a key of any role.
          parameters:
            - $ref: "#/components/parameters/JobId"
          responses:
            "200":
              description: The job.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/JobReport"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "404":
              $ref: "#/components/responses/NotFound"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/associations:
        put:
          tags: [CRM]
          operationId: putAssociation
          summary: Create or update one company–person association
          description: |
            Links a person to a company under a label; the company and the person must exist in the
            organisation (422 otherwise). The body may name `organisation_id` only as the key's
            organisation (or `null`). Takes a `crm` key.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/AssociationFields"
                example:
                  company_id: cmp-001
                  person_id: per-001
                  association_label: decision_maker
                  is_primary: true
          responses:
            "200":
              $ref: "#/components/responses/ImportSummary"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/import:
        post:
          tags: [CRM]
          operationId: importDocument
          summary: Import a whole CRM document, all or nothing
          description: |
            The document `atsgate import` reads: an object of entity arrays. Rows may leave out
            `organisation_id` (and an organisation row its `id`); when given it must be the key's
            organisation. Rows may refer to records of the same document or already stored. Any
            problem refuses the whole document with 422, each problem pointing at
            `/ENTITY/INDEX/FIELD`; a body that is not such an object is 422 too. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/ImportDocument"
                example:
                  companies:
                    - id: cmp-001
                      name: Halcyon Robotics
                  jobs:
                    - id: job-001
                      company_id: cmp-001
                      title: Robotics Field Service Engineer
                      status: open
          responses:
            "200":
              $ref: "#/components/responses/ImportSummary"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/jobs/{id}/qualify:
        post:
          tags: [Decisions]
          operationId: qualifyJob
          summary: Qualify a job and queue it to targets
          description: |
            Commits the decision, the job's outbox rows, decision-maker notifications and an audit
            entry together. `targets` names the targets to send to (all enabled ones when left out
            or empty); an unknown or disabled target, or one without a connection, is 422. A job
            that is not open is 409. The body may be empty. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/JobId"
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/QualifyBody"
                example:
                  targets: [loxo]
                  by: dana@northwind.example
                  note: Strong fit for the Q4 hiring plan.
          responses:
            "200":
              $ref: "#/components/responses/Qualification"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/jobs/{id}/skip:
        post:
          tags: [Decisions]
          operationId: skipJob
          summary: Skip a job (cancels its pending creates)
          description: The body may be empty; it takes no `targets`. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/JobId"
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/DecisionBody"
          responses:
            "200":
              $ref: "#/components/responses/Qualification"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/jobs/{id}/close:
        post:
          tags: [Decisions]
          operationId: closeJob
          summary: Close a job (queues its close at every target that holds it)
          description: The body may be empty; it takes no `targets`. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/JobId"
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/DecisionBody"
          responses:
            "200":
              $ref: "#/components/responses/Qualification"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/qualifications:
        post:
          tags: [Decisions]
          operationId: qualifyJobs
          summary: Qualify many jobs in one transaction
          description: |
            Qualifies every job of `job_ids` to the same targets, all or nothing: an unknown job
            refuses the batch with 404, one that is not open with 409, each pointing at
            `/job_ids/INDEX`. An empty job id, or more than the server's limit (10,000 by default),
            is 422. Takes a `crm` key.
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/BulkQualifyBody"
                example:
                  job_ids: [job-001, job-002]
                  targets: [loxo]
          responses:
            "200":
              description: What each decision did.
              headers:
                Idempotency-Replayed:
                  $ref: "#/components/headers/IdempotencyReplayed"
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/BulkQualificationReport"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/outbox:
        get:
          tags: [Outbox]
          operationId: listOutbox
          summary: Outbox rows, oldest first
          description: The filters of `atsgate outbox list`. Takes a key of any role.
          parameters:
            - name: status
              in: query
              schema:
                anyOf:
                  - $ref: "#/components/schemas/OutboxStatus"
                  - const: ""
            - name: target
              in: query
              description: A target name; a malformed one is 400.
              schema:
                anyOf:
                  - $ref: "#/components/schemas/TargetName"
                  - const: ""
            - name: error_kind
              in: query
              description: The kind of the row's last error; an unknown kind is 400.
              schema:
                anyOf:
                  - $ref: "#/components/schemas/ErrorKind"
                  - const: ""
            - name: job_id
              in: query
              description: Only this job's rows.
              schema:
                type: string
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page of rows.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    additionalProperties: false
                    properties:
                      data:
                        type: array
                        items:
                          $ref: "#/components/schemas/OutboxRow"
                      next_cursor:
                        $ref: "#/components/schemas/NextCursor"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/outbox/{id}:
        get:
          tags: [Outbox]
          operationId: getOutboxRow
          summary: One outbox row with its attempts
          description: Takes a key of any role.
          parameters:
            - $ref: "#/components/parameters/OutboxRowId"
          responses:
            "200":
              description: The row and its attempts, oldest first.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/OutboxShow"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "404":
              $ref: "#/components/responses/NotFound"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/outbox/{id}/replay:
        post:
          tags: [Outbox]
          operationId: replayOutboxRow
          summary: Send a failed row again
          description: |
            Moves a failed row back to pending. A row in another state is 409. Takes an `operator`
            key; any other role is 403. The body is ignored.
          parameters:
            - $ref: "#/components/parameters/OutboxRowId"
            - $ref: "#/components/parameters/IdempotencyKey"
          responses:
            "200":
              $ref: "#/components/responses/OperatorAction"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/outbox/{id}/cancel:
        post:
          tags: [Outbox]
          operationId: cancelOutboxRow
          summary: Withdraw a pending or failed row
          description: |
            A row in another state is 409. Takes an `operator` key; any other role is 403. The body
            is ignored.
          parameters:
            - $ref: "#/components/parameters/OutboxRowId"
            - $ref: "#/components/parameters/IdempotencyKey"
          responses:
            "200":
              $ref: "#/components/responses/OperatorAction"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "404":
              $ref: "#/components/responses/NotFound"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/outbox/replay:
        post:
          tags: [Outbox]
          operationId: replayFailedRows
          summary: Send every failed row that matches again
          description: |
            Replays the organisation's failed rows, optionally only those of one target, of one
            error kind, or failed since a time. With `dry_run` nothing changes: the answer lists
            the rows that would be replayed. The body may be empty. Takes an `operator` key; any
            other role is 403.
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/BulkReplayBody"
                example:
                  target: loxo
                  error_kind: transient
                  dry_run: true
          responses:
            "200":
              $ref: "#/components/responses/OperatorAction"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/reconcile-runs:
        post:
          tags: [Reconcile]
          operationId: startReconcileRun
          summary: Start a reconcile run in the background
          description: |
            Starts comparing the target's jobs with this organisation's and answers at once with the
            stored run (`status: running`). With `apply` the run also repairs what it finds. A run
            of the same organisation and target still running is 409; a target that is not an
            enabled one is 422. Takes an `operator` key; any other role is 403.
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/ReconcileStartBody"
                example:
                  target: loxo
                  apply: false
          responses:
            "202":
              description: The run, started.
              headers:
                Location:
                  description: |
                    The run's address, `/v1/reconcile-runs/{id}`; a replay of this answer for the
                    same `Idempotency-Key` carries it too.
                  schema:
                    type: string
                Idempotency-Replayed:
                  $ref: "#/components/headers/IdempotencyReplayed"
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/ReconcileRun"
              links:
                GetRun:
                  operationId: getReconcileRun
                  parameters:
                    id: $response.body#/id
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "403":
              $ref: "#/components/responses/Forbidden"
            "409":
              $ref: "#/components/responses/Conflict"
            "413":
              $ref: "#/components/responses/ContentTooLarge"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"
        get:
          tags: [Reconcile]
          operationId: listReconcileRuns
          summary: Reconcile runs, newest first
          description: Takes a key of any role.
          parameters:
            - name: target
              in: query
              description: Only this target's runs; a malformed name is 400.
              schema:
                anyOf:
                  - $ref: "#/components/schemas/TargetName"
                  - const: ""
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page of runs.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    additionalProperties: false
                    properties:
                      data:
                        type: array
                        items:
                          $ref: "#/components/schemas/ReconcileRun"
                      next_cursor:
                        $ref: "#/components/schemas/NextCursor"
            "400":
              $ref: "#/components/responses/BadRequest"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "422":
              $ref: "#/components/responses/Unprocessable"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/reconcile-runs/{id}:
        get:
          tags: [Reconcile]
          operationId: getReconcileRun
          summary: One reconcile run with its findings
          description: Takes a key of any role.
          parameters:
            - name: id
              in: path
              required: true
              schema:
                type: integer
                format: int64
                minimum: 1
          responses:
            "200":
              description: The run and its findings.
              content:
                application/json:
                  schema:
                    type: object
                    required: [run, findings]
                    additionalProperties: false
                    properties:
                      run:
                        $ref: "#/components/schemas/ReconcileRun"
                      findings:
                        type: array
                        items:
                          $ref: "#/components/schemas/ReconcileFinding"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "404":
              $ref: "#/components/responses/NotFound"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/targets:
        get:
          tags: [Targets]
          operationId: listTargets
          summary: Every configured target and its health as this organisation's deliveries see it
          description: |
            Each target's breaker and pause, for the organisation's own connection when it has one
            (`connection: own`), else for the target's default connection. Takes a key of any role.
          responses:
            "200":
              description: The targets.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data]
                    additionalProperties: false
                    properties:
                      data:
                        type: array
                        items:
                          $ref: "#/components/schemas/Target"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "503":
              $ref: "#/components/responses/Unavailable"

      /v1/connections:
        get:
          tags: [Targets]
          operationId: listConnections
          summary: This organisation's own connections to targets
          description: Names of settings and secrets only, never their values. Takes a key of any role.
          responses:
            "200":
              description: The connections.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data]
                    additionalProperties: false
                    properties:
                      data:
                        type: array
                        items:
                          $ref: "#/components/schemas/Connection"
            "401":
              $ref: "#/components/responses/Unauthorized"
            "503":
              $ref: "#/components/responses/Unavailable"

      /healthz:
        get:
          tags: [Operations]
          operationId: getHealth
          summary: Liveness
          security: []
          responses:
            "200":
              description: The process answers.
              content:
                application/json:
                  schema:
                    type: object
                    required: [status]
                    additionalProperties: false
                    properties:
                      status:
                        const: ok

      /readyz:
        get:
          tags: [Operations]
          operationId: getReadiness
          summary: Readiness
          description: |
            Whether the database answers, its schema is this build's, and the configuration on disk
            still loads.
          security: []
          responses:
            "200":
              description: Ready.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Readiness"
            "503":
              description: |
                Not ready: the failing checks say why. A check that takes longer than the request
                timeout is answered with a problem instead.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Readiness"
                application/problem+json:
                  schema:
                    $ref: "#/components/schemas/Problem"

      /metrics:
        get:
          tags: [Operations]
          operationId: getMetrics
          summary: Prometheus metrics
          security: []
          responses:
            "200":
              description: Metrics in the Prometheus text format 0.0.4.
              content:
                text/plain:
                  schema:
                    type: string
            "503":
              $ref: "#/components/responses/Unavailable"

      /openapi.yaml:
        get:
          tags: [Operations]
          operationId: getOpenAPIDocument
          summary: This document
          security: []
          responses:
            "200":
              description: The OpenAPI document.
              content:
                application/yaml:
                  schema:
                    type: object
                    required: [openapi, info, paths]

    components:
      securitySchemes:
        bearerAuth:
          type: http
          scheme: bearer
          description: |
            An API key made by `atsgate api-keys create` (`atsgate_ak_…`), sent as
            `Authorization: Bearer KEY`.

      parameters:
        EntityId:
          name: id
          in: path
          required: true
          description: The CRM's own id of the record, kept exactly as given.
          schema:
            $ref: "#/components/schemas/RequiredId"
        JobId:
          name: id
          in: path
          required: true
          description: The CRM's own id of the job.
          schema:
            $ref: "#/components/schemas/RequiredId"
        OutboxRowId:
          name: id
          in: path
          required: true
          schema:
            type: integer
            format: int64
            minimum: 1
        Limit:
          name: limit
          in: query
          description: Items per page.
          schema:
            anyOf:
              - type: integer
                minimum: 1
                maximum: 500
                default: 50
              - const: ""
        Cursor:
          name: cursor
          in: query
          description: The `next_cursor` of the previous page. Opaque; anything else is 400.
          schema:
            anyOf:
              - $ref: "#/components/schemas/Cursor"
              - const: ""
        IdempotencyKey:
          name: Idempotency-Key
          in: header
          description: |
            Makes a retry of this request safe: the same key with the same request within 24 hours
            gets the first answer again. The same key with another request is 422; while the first
            is still being worked on, 409.
          schema:
            type: string
            minLength: 1
            maxLength: 255

      headers:
        IdempotencyReplayed:
          description: "`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`."
          schema:
            const: "true"

      responses:
        ImportSummary:
          description: What was stored.
          headers:
            Idempotency-Replayed:
              $ref: "#/components/headers/IdempotencyReplayed"
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ImportSummary"
        Qualification:
          description: What the decision did.
          headers:
            Idempotency-Replayed:
              $ref: "#/components/headers/IdempotencyReplayed"
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/QualificationReport"
        OperatorAction:
          description: The rows acted on (or, with `dry_run`, that would be).
          headers:
            Idempotency-Replayed:
              $ref: "#/components/headers/IdempotencyReplayed"
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/OperatorActionReport"
        BadRequest:
          description: The body is not JSON of the route's shape, a query parameter is malformed, or the `Idempotency-Key` is empty or too long.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        Unauthorized:
          description: No API key, or an unknown or revoked one.
          headers:
            WWW-Authenticate:
              required: true
              schema:
                const: Bearer
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        Forbidden:
          description: The key's role may not do this.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        NotFound:
          description: No such record in the key's organisation.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        Conflict:
          description: The record is not in a state that allows this, or a request with the same `Idempotency-Key` is still running.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        ContentTooLarge:
          description: The body is larger than the server's upload limit.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        Unprocessable:
          description: |
            Well-formed but refused: bad fields (each in `errors`, as a JSON pointer into the body),
            a reference to a record that does not exist, or an `Idempotency-Key` used with another
            request. Nothing was stored.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"
        Unavailable:
          description: The database is unavailable, the request took longer than the server's timeout, or the server is shutting down. Retry later.
          content:
            application/problem+json:
              schema:
                $ref: "#/components/schemas/Problem"

      schemas:
        Problem:
          type: object
          description: RFC 9457 problem details.
          required: [type, title, status, detail]
          additionalProperties: false
          properties:
            type:
              type: string
              description: "`https://atsgate.dev/problems/CODE`, or `about:blank`."
              examples: [https://atsgate.dev/problems/invalid-fields]
            title:
              type: string
              description: The status's reason phrase.
            status:
              type: integer
              minimum: 400
              maximum: 599
            detail:
              type: string
            errors:
              type: array
              minItems: 1
              items:
                type: object
                required: [pointer, detail]
                additionalProperties: false
                properties:
                  pointer:
                    type: string
                    description: A JSON pointer into the request body (`/jobs/3/title`), or a query parameter's or header's name.
                  detail:
                    type: string

        # --- Shared field shapes -------------------------------------------------------------
        # Strings are trimmed of white space (the characters below) and a blank string counts as
        # absent, as `atsgate import` reads CSV cells.
        Blank:
          type: string
          pattern: '^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$'
        RequiredId:
          type: string
          description: Not blank; no U+0000.
          minLength: 1
          maxLength: 200
          pattern: '^[^\u0000]*[^\u0000\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$'
        RequiredText:
          type: string
          maxLength: 500
          pattern: '[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
        OptionalId:
          type: [string, "null"]
          description: No U+0000.
          maxLength: 200
          pattern: '^[^\u0000]*$'
        OptionalText:
          type: [string, "null"]
          maxLength: 500
        LongText:
          type: [string, "null"]
          maxLength: 20000
        WebURL:
          description: An http or https URL with a host.
          anyOf:
            - type: "null"
            - $ref: "#/components/schemas/Blank"
            - type: string
              maxLength: 2000
              pattern: '^[\t\n\v\f\r ]*[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]*)?[\t\n\v\f\r ]*$'
        Timestamp:
          description: An ISO 8601 timestamp with a time zone, such as `2026-10-14T09:30:00Z`.
          anyOf:
            - type: "null"
            - $ref: "#/components/schemas/Blank"
            - type: string
              pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$'
        Amount:
          description: A non-negative decimal, as a JSON number or a string of digits; blank counts as absent.
          anyOf:
            - type: "null"
            - type: number
              minimum: 0
            - type: string
              pattern: '^[\t ]*([0-9]+(\.[0-9]+)?)?[\t ]*$'
        Flag:
          description: A boolean, or one of `true`, `yes`, `1`, `false`, `no`, `0` as a string.
          anyOf:
            - type: ["boolean", "null"]
            - type: string
              pattern: '^[\t ]*([Tt][Rr][Uu][Ee]|[Yy][Ee][Ss]|1|[Ff][Aa][Ll][Ss][Ee]|[Nn][Oo]|0)?[\t ]*$'

        TargetName:
          type: string
          description: A configured target's name (`connectors/NAME.yaml`).
          pattern: '^[a-z][a-z0-9_-]{0,63}$'
        Cursor:
          type: string
          description: Opaque.
          pattern: '^YzE6(((M[DTjz]|N[DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]){1,6}|((M[DTjz]|N[DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]){0,5}(M[AQgw]|N[AQgw]|O[AQ]|(M[DTjz]|N[DTjz]|O[DT])[AEIMQUYcgk]))$'
        NextCursor:
          type: [string, "null"]
          description: The `cursor` of the next page; `null` on the last page.
        JobStatus:
          type: string
          enum: [open, closed, filled]
        QualificationStatus:
          type: string
          enum: [new, qualify, skip]
        EmploymentType:
          type: string
          enum: [full_time, part_time, contract, temporary, internship]
        OutboxStatus:
          type: string
          enum: [pending, in_flight, sent, failed, cancelled]
        ErrorKind:
          type: string
          enum: [transient, rate_limited, auth, rejected, mapping, config]
        SubmissionOperation:
          type: string
          enum: [create, update, close]
        ReconcileCategory:
          type: string
          description: |
            `unsynced`: qualified and open here, nothing at the target and no row delivering it;
            `missing_remote`: linked to a remote id the target no longer lists; `unlinked_remote`:
            the target holds a job with our marker that our row does not point at;
            `duplicate_remote`: more than one remote job carries one marker; `orphan_remote`: a
            remote job carries the marker of no qualified job here; `drift`: the remote job's
            fields differ from what the mapping makes of the job; `status_mismatch`: open on one
            side, closed on the other.
          enum: [unsynced, missing_remote, unlinked_remote, duplicate_remote, orphan_remote, drift, status_mismatch]

        # --- CRM writes ----------------------------------------------------------------------
        CompanyFields:
          type: object
          additionalProperties: false
          required: [name]
          properties:
            name:
              $ref: "#/components/schemas/RequiredText"
            domain:
              $ref: "#/components/schemas/OptionalText"
            industry:
              $ref: "#/components/schemas/OptionalText"
            website:
              $ref: "#/components/schemas/WebURL"
            phone:
              type: [string, "null"]
              maxLength: 50
            address:
              type: [string, "null"]
              maxLength: 1000
            pipeline_stage:
              $ref: "#/components/schemas/OptionalText"
        PersonFields:
          type: object
          additionalProperties: false
          required: [first_name, last_name]
          properties:
            first_name:
              type: string
              maxLength: 100
              pattern: '[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
            last_name:
              type: string
              maxLength: 100
              pattern: '[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
            email:
              description: One `@`, a local part of at most 64 characters, a dotted domain; no spaces.
              anyOf:
                - type: "null"
                - $ref: "#/components/schemas/Blank"
                - type: string
                  maxLength: 254
                  pattern: '^[\t\n\v\f\r ]*[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+[\t\n\v\f\r ]*$'
            phone:
              type: [string, "null"]
              maxLength: 50
            company_role:
              $ref: "#/components/schemas/OptionalText"
            company_id:
              $ref: "#/components/schemas/OptionalId"
            people_stage:
              $ref: "#/components/schemas/OptionalText"
        AssociationFields:
          type: object
          additionalProperties: false
          required: [company_id, person_id, association_label]
          properties:
            company_id:
              $ref: "#/components/schemas/RequiredId"
            person_id:
              $ref: "#/components/schemas/RequiredId"
            association_label:
              type: string
              enum: [decision_maker, hiring_manager, primary_contact, billing_contact]
            is_primary:
              $ref: "#/components/schemas/Flag"
        JobFields:
          type: object
          additionalProperties: false
          required: [company_id, title, status]
          properties:
            company_id:
              $ref: "#/components/schemas/RequiredId"
            title:
              $ref: "#/components/schemas/RequiredText"
            description:
              $ref: "#/components/schemas/LongText"
            location:
              $ref: "#/components/schemas/OptionalText"
            employment_type:
              anyOf:
                - type: "null"
                - $ref: "#/components/schemas/Blank"
                - $ref: "#/components/schemas/EmploymentType"
            salary_min:
              $ref: "#/components/schemas/Amount"
            salary_max:
              $ref: "#/components/schemas/Amount"
            salary_currency:
              description: ISO 4217 code; required with a salary, refused without one.
              anyOf:
                - type: "null"
                - $ref: "#/components/schemas/Blank"
                - type: string
                  pattern: '^[\t\n\v\f\r ]*[A-Za-z]{3}[\t\n\v\f\r ]*$'
            job_url:
              $ref: "#/components/schemas/WebURL"
            status:
              $ref: "#/components/schemas/JobStatus"
            qualification_status:
              description: "`new` when left out."
              anyOf:
                - type: "null"
                - $ref: "#/components/schemas/Blank"
                - $ref: "#/components/schemas/QualificationStatus"
            qualified_at:
              $ref: "#/components/schemas/Timestamp"
            qualified_by:
              $ref: "#/components/schemas/OptionalText"
            notes:
              $ref: "#/components/schemas/LongText"
        ImportDocument:
          type: object
          description: The rows of each entity; every key is optional.
          additionalProperties: false
          properties:
            organisations:
              type: array
              items:
                type: object
                additionalProperties: false
                required: [name]
                properties:
                  id:
                    description: The key's organisation, or left out.
                    type: [string, "null"]
                  name:
                    $ref: "#/components/schemas/RequiredText"
            companies:
              type: array
              items:
                $ref: "#/components/schemas/CompanyRow"
            people:
              type: array
              items:
                $ref: "#/components/schemas/PersonRow"
            associations:
              type: array
              items:
                $ref: "#/components/schemas/AssociationRow"
            jobs:
              type: array
              items:
                $ref: "#/components/schemas/JobRow"
        RowOrganisation:
          description: The key's organisation, or left out.
          type: [string, "null"]
        CompanyRow:
          description: A company row of an import document (the fields of `PUT /v1/companies/{id}` and its `id`).
          type: object
          additionalProperties: false
          required: [id, name]
          properties:
            id:
              $ref: "#/components/schemas/RequiredId"
            organisation_id:
              $ref: "#/components/schemas/RowOrganisation"
            name:
              $ref: "#/components/schemas/CompanyFields/properties/name"
            domain:
              $ref: "#/components/schemas/CompanyFields/properties/domain"
            industry:
              $ref: "#/components/schemas/CompanyFields/properties/industry"
            website:
              $ref: "#/components/schemas/CompanyFields/properties/website"
            phone:
              $ref: "#/components/schemas/CompanyFields/properties/phone"
            address:
              $ref: "#/components/schemas/CompanyFields/properties/address"
            pipeline_stage:
              $ref: "#/components/schemas/CompanyFields/properties/pipeline_stage"
        PersonRow:
          description: A person row of an import document (the fields of `PUT /v1/people/{id}` and its `id`).
          type: object
          additionalProperties: false
          required: [id, first_name, last_name]
          properties:
            id:
              $ref: "#/components/schemas/RequiredId"
            organisation_id:
              $ref: "#/components/schemas/RowOrganisation"
            first_name:
              $ref: "#/components/schemas/PersonFields/properties/first_name"
            last_name:
              $ref: "#/components/schemas/PersonFields/properties/last_name"
            email:
              $ref: "#/components/schemas/PersonFields/properties/email"
            phone:
              $ref: "#/components/schemas/PersonFields/properties/phone"
            company_role:
              $ref: "#/components/schemas/PersonFields/properties/company_role"
            company_id:
              $ref: "#/components/schemas/PersonFields/properties/company_id"
            people_stage:
              $ref: "#/components/schemas/PersonFields/properties/people_stage"
        AssociationRow:
          description: An association row of an import document (the fields of `PUT /v1/associations`).
          type: object
          additionalProperties: false
          required: [company_id, person_id, association_label]
          properties:
            organisation_id:
              $ref: "#/components/schemas/RowOrganisation"
            company_id:
              $ref: "#/components/schemas/AssociationFields/properties/company_id"
            person_id:
              $ref: "#/components/schemas/AssociationFields/properties/person_id"
            association_label:
              $ref: "#/components/schemas/AssociationFields/properties/association_label"
            is_primary:
              $ref: "#/components/schemas/AssociationFields/properties/is_primary"
        JobRow:
          description: A job row of an import document (the fields of `PUT /v1/jobs/{id}` and its `id`).
          type: object
          additionalProperties: false
          required: [id, company_id, title, status]
          properties:
            id:
              $ref: "#/components/schemas/RequiredId"
            organisation_id:
              $ref: "#/components/schemas/RowOrganisation"
            company_id:
              $ref: "#/components/schemas/JobFields/properties/company_id"
            title:
              $ref: "#/components/schemas/JobFields/properties/title"
            description:
              $ref: "#/components/schemas/JobFields/properties/description"
            location:
              $ref: "#/components/schemas/JobFields/properties/location"
            employment_type:
              $ref: "#/components/schemas/JobFields/properties/employment_type"
            salary_min:
              $ref: "#/components/schemas/JobFields/properties/salary_min"
            salary_max:
              $ref: "#/components/schemas/JobFields/properties/salary_max"
            salary_currency:
              $ref: "#/components/schemas/JobFields/properties/salary_currency"
            job_url:
              $ref: "#/components/schemas/JobFields/properties/job_url"
            status:
              $ref: "#/components/schemas/JobFields/properties/status"
            qualification_status:
              $ref: "#/components/schemas/JobFields/properties/qualification_status"
            qualified_at:
              $ref: "#/components/schemas/JobFields/properties/qualified_at"
            qualified_by:
              $ref: "#/components/schemas/JobFields/properties/qualified_by"
            notes:
              $ref: "#/components/schemas/JobFields/properties/notes"

        # --- Decisions -----------------------------------------------------------------------
        DecisionBody:
          type: object
          properties:
            targets:
              description: Only `qualify` takes targets.
              type: [array, "null"]
              maxItems: 0
            by:
              description: Who decided; the API key's id when left out.
              type: [string, "null"]
            note:
              type: [string, "null"]
        QualifyBody:
          type: object
          properties:
            targets:
              description: The targets to send the job to; all enabled targets when left out or empty.
              type: [array, "null"]
              items:
                $ref: "#/components/schemas/TargetName"
            by:
              description: Who decided; the API key's id when left out.
              type: [string, "null"]
            note:
              type: [string, "null"]
        BulkQualifyBody:
          type: object
          required: [job_ids]
          properties:
            job_ids:
              type: array
              minItems: 1
              maxItems: 10000
              items:
                type: string
                minLength: 1
                pattern: '^[^\u0000]+$'
            targets:
              type: [array, "null"]
              items:
                $ref: "#/components/schemas/TargetName"
            by:
              type: [string, "null"]
            note:
              type: [string, "null"]

        # --- Reports -------------------------------------------------------------------------
        ImportCounts:
          type: object
          required: [inserted, updated, unchanged]
          additionalProperties: false
          properties:
            inserted:
              type: integer
              minimum: 0
            updated:
              type: integer
              minimum: 0
            unchanged:
              type: integer
              minimum: 0
        ImportSummary:
          type: object
          required: [organisations, companies, people, associations, jobs, queued_submissions]
          additionalProperties: false
          properties:
            organisations:
              $ref: "#/components/schemas/ImportCounts"
            companies:
              $ref: "#/components/schemas/ImportCounts"
            people:
              $ref: "#/components/schemas/ImportCounts"
            associations:
              $ref: "#/components/schemas/ImportCounts"
            jobs:
              $ref: "#/components/schemas/ImportCounts"
            queued_submissions:
              type: integer
              minimum: 0
              description: Outbox rows moved back to pending because a job a target holds was edited.
        Job:
          type: object
          description: A job as the CRM holds it; absent values are left out.
          required: [organisation_id, id, company_id, title, status, qualification_status]
          additionalProperties: false
          properties:
            organisation_id:
              type: string
            id:
              type: string
            company_id:
              type: string
            title:
              type: string
            description:
              type: string
            location:
              type: string
            employment_type:
              $ref: "#/components/schemas/EmploymentType"
            salary:
              type: object
              required: [currency]
              additionalProperties: false
              properties:
                minimum:
                  type: number
                maximum:
                  type: number
                currency:
                  type: string
            job_url:
              type: string
            status:
              $ref: "#/components/schemas/JobStatus"
            qualification_status:
              $ref: "#/components/schemas/QualificationStatus"
            qualified_at:
              type: string
              format: date-time
            qualified_by:
              type: string
            notes:
              type: string
        JobReport:
          type: object
          required: [job, version, outbox]
          additionalProperties: false
          properties:
            job:
              $ref: "#/components/schemas/Job"
            version:
              type: integer
              description: Increases on every edit of the job's content.
            outbox:
              type: array
              items:
                $ref: "#/components/schemas/OutboxRow"
        OutboxRow:
          type: object
          description: An outbox row, as `atsgate outbox list --json` shows it. Every key is present; absent values are `null`.
          required:
            - id
            - organisation_id
            - job_id
            - external_system
            - operation
            - status
            - attempts
            - next_attempt_at
            - lease_owner
            - lease_expires_at
            - external_id
            - job_version
            - sent_job_version
            - last_error_kind
            - last_error_message
            - submitted_by
            - created_at
            - updated_at
            - sent_at
          additionalProperties: false
          properties:
            id:
              type: integer
              format: int64
            organisation_id:
              type: string
            job_id:
              type: string
            external_system:
              type: string
              description: The target's name.
            operation:
              $ref: "#/components/schemas/SubmissionOperation"
            status:
              $ref: "#/components/schemas/OutboxStatus"
            attempts:
              type: integer
            next_attempt_at:
              type: [string, "null"]
              format: date-time
            lease_owner:
              type: [string, "null"]
            lease_expires_at:
              type: [string, "null"]
              format: date-time
            external_id:
              type: [string, "null"]
              description: The target's id of the job, once it holds it.
            job_version:
              type: integer
            sent_job_version:
              type: [integer, "null"]
            last_error_kind:
              anyOf:
                - $ref: "#/components/schemas/ErrorKind"
                - type: "null"
            last_error_message:
              type: [string, "null"]
            submitted_by:
              type: [string, "null"]
            created_at:
              type: string
              format: date-time
            updated_at:
              type: string
              format: date-time
            sent_at:
              type: [string, "null"]
              format: date-time
            target_state:
              type: string
              description: The target's health (`closed`, `open`, `paused`, …), where a listing adds it.
        Attempt:
          type: object
          required: [attempt_number, worker, started_at]
          additionalProperties: false
          properties:
            attempt_number:
              type: integer
            operation:
              $ref: "#/components/schemas/SubmissionOperation"
            worker:
              type: string
            started_at:
              type: string
              format: date-time
            finished_at:
              type: string
              format: date-time
            outcome:
              type: string
            http_status:
              type: integer
            error_kind:
              $ref: "#/components/schemas/ErrorKind"
            message:
              type: string
            duration_ms:
              type: integer
            request_hash:
              type: string
        OutboxShow:
          type: object
          required: [row, attempts]
          additionalProperties: false
          properties:
            row:
              $ref: "#/components/schemas/OutboxRow"
            attempts:
              type: array
              items:
                $ref: "#/components/schemas/Attempt"
        OperatorActionReport:
          type: object
          required: [dry_run, count, rows]
          additionalProperties: false
          properties:
            dry_run:
              type: boolean
            count:
              type: integer
              minimum: 0
            rows:
              type: array
              items:
                $ref: "#/components/schemas/OutboxRow"
        BulkReplayBody:
          type: object
          properties:
            target:
              description: Only this target's rows; a malformed name is 422.
              anyOf:
                - $ref: "#/components/schemas/TargetName"
                - type: "null"
            error_kind:
              anyOf:
                - $ref: "#/components/schemas/ErrorKind"
                - type: "null"
            failed_since:
              description: Only rows that failed at or after this time (`2026-10-14T09:30:00Z`).
              type: [string, "null"]
              pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$'
            dry_run:
              type: [boolean, "null"]
        QualificationReport:
          type: object
          required: [organisation_id, job_id, status, qualification_status, version, submissions, notifications]
          additionalProperties: false
          properties:
            organisation_id:
              type: string
            job_id:
              type: string
            status:
              $ref: "#/components/schemas/JobStatus"
            qualification_status:
              $ref: "#/components/schemas/QualificationStatus"
            version:
              type: integer
            submissions:
              type: array
              description: What happened to each target's outbox row.
              items:
                type: object
                required: [target, change]
                additionalProperties: false
                properties:
                  target:
                    type: string
                  change:
                    type: string
                    enum: [queued, requeued, retargeted, cancelled, unchanged]
                  operation:
                    $ref: "#/components/schemas/SubmissionOperation"
                  outbox_id:
                    type: integer
                    format: int64
                  reason:
                    type: string
            notifications:
              type: array
              description: Decision-maker notifications queued or skipped.
              items:
                type: object
                required: [person_id, type, status]
                additionalProperties: false
                properties:
                  person_id:
                    type: string
                  type:
                    type: string
                    enum: [job_qualified, job_submitted]
                  status:
                    type: string
                    enum: [pending, in_flight, sent, failed, cancelled, skipped]
                  reason:
                    type: string
        BulkQualificationReport:
          type: object
          required: [count, results]
          additionalProperties: false
          properties:
            count:
              type: integer
              minimum: 1
            results:
              type: array
              items:
                $ref: "#/components/schemas/QualificationReport"
        ReconcileStartBody:
          type: object
          required: [target]
          properties:
            target:
              $ref: "#/components/schemas/TargetName"
            apply:
              description: Repair what the run finds; `false` when left out.
              type: [boolean, "null"]
        ReconcileRun:
          type: object
          required: [id, organisation_id, target, started_at, status, applied, remote_jobs_listed, local_jobs_compared, finding_counts]
          additionalProperties: false
          properties:
            id:
              type: integer
              format: int64
            organisation_id:
              type: string
            target:
              type: string
            started_at:
              type: string
              format: date-time
            finished_at:
              type: string
              format: date-time
            status:
              type: string
              enum: [running, completed, partial, failed]
            partial_reason:
              type: string
            applied:
              type: boolean
            remote_jobs_listed:
              type: integer
            local_jobs_compared:
              type: integer
            finding_counts:
              type: object
              description: Findings per category; every category is present.
              required: [unsynced, missing_remote, unlinked_remote, duplicate_remote, orphan_remote, drift, status_mismatch]
              propertyNames:
                $ref: "#/components/schemas/ReconcileCategory"
              additionalProperties:
                type: integer
                minimum: 0
        ReconcileFinding:
          type: object
          required: [category, detail, fields]
          additionalProperties: false
          properties:
            category:
              $ref: "#/components/schemas/ReconcileCategory"
            job_id:
              type: string
            remote_id:
              type: string
            detail:
              type: string
            fields:
              type: array
              items:
                type: string
            repair:
              type: string
              enum: [enqueue_create, enqueue_update, enqueue_close, adopt]
        Health:
          type: object
          required: [circuit, consecutive_failures, requests_in_window, failed_requests_in_window, openings]
          additionalProperties: false
          properties:
            circuit:
              type: string
              enum: [closed, open, half-open, cooling-done, paused]
            circuit_until:
              type: string
              format: date-time
            consecutive_failures:
              type: integer
              description: Failed requests in a row.
            requests_in_window:
              type: integer
            failed_requests_in_window:
              type: integer
            openings:
              type: integer
              description: Times the circuit opened since the account last recovered.
            paused_until:
              type: string
              format: date-time
        Target:
          type: object
          required: [target, kind, enabled, connection, health]
          additionalProperties: false
          properties:
            target:
              type: string
            kind:
              type: string
              enum: [loxo, bullhorn, email, webhook]
            enabled:
              type: boolean
            connection:
              type: string
              enum: [own, default]
            health:
              $ref: "#/components/schemas/Health"
        Connection:
          type: object
          required: [target, kind, settings, secrets, updated_at]
          additionalProperties: false
          properties:
            target:
              type: string
            kind:
              type: string
              enum: [loxo, bullhorn, email, webhook]
            settings:
              type: array
              description: The names of the connection's settings.
              items:
                type: string
            secrets:
              type: array
              description: The names of the connection's secrets; never their values.
              items:
                type: string
            updated_at:
              type: string
              format: date-time
        Readiness:
          type: object
          required: [status, checks]
          additionalProperties: false
          properties:
            status:
              type: string
              enum: [ready, not ready]
            checks:
              type: array
              items:
                type: object
                required: [name, ok]
                additionalProperties: false
                properties:
                  name:
                    type: string
                  ok:
                    type: boolean
                  detail:
                    type: string

    """#
}
