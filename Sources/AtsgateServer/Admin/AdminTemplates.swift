import Mustache

/// The admin pages: server-rendered HTML that works without JavaScript. Every form that changes
/// something carries the session's CSRF token; `{{ }}` escapes everything it prints.
enum AdminTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in templates {
            // The templates are constants of this file: a parse error is a bug caught by the admin tests.
            try? library.register(text, named: name)
        }
        return library
    }()

    static let templates: [String: String] = [
        "head": head, "foot": foot, "sign-in": signIn, "outbox": outbox, "row": row, "confirm": confirm,
        "targets": targets, "runs": runs, "run": run, "message": message,
    ]

    static let head = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · atsgate</title>
    <style>
    body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
    header { background: #1d2330; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
    header a { color: #fff; text-decoration: none; } header .who { margin-left: auto; opacity: .8; }
    header form { margin: 0; } header button { background: none; border: 1px solid #fff8; color: #fff; border-radius: 4px; cursor: pointer; }
    main { padding: 1.2rem; max-width: 76rem; }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
    th { background: #eef0f3; font-weight: 600; }
    .status-failed, .circuit-open { color: #b3261e; font-weight: 600; } .status-sent, .circuit-closed { color: #1b6e3a; }
    .status-pending, .status-in_flight, .circuit-half_open, .circuit-paused { color: #8a5a00; }
    form.filters { display: flex; gap: .6rem; align-items: end; margin-bottom: 1rem; flex-wrap: wrap; }
    label { display: flex; flex-direction: column; font-size: .85rem; gap: .15rem; }
    input, select, button { font: inherit; padding: .25rem .4rem; }
    .notice { background: #e7f3ec; border: 1px solid #9cc9ad; padding: .5rem .8rem; margin-bottom: 1rem; }
    .error { background: #fbeaea; border: 1px solid #e0a3a0; padding: .5rem .8rem; margin-bottom: 1rem; }
    .actions { display: flex; gap: .6rem; margin: 1rem 0; } .danger { background: #b3261e; color: #fff; border: 0; border-radius: 4px; }
    dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; background: #fff; padding: .8rem; }
    dt { font-weight: 600; } dd { margin: 0; word-break: break-word; }
    </style>
    </head>
    <body>
    <header>
    <strong>atsgate</strong>
    {{#signedIn}}
    <a href="/admin/outbox">Outbox</a> <a href="/admin/targets">Targets</a> <a href="/admin/reconcile-runs">Reconcile runs</a>
    <span class="who">{{organisation}} · {{keyID}}</span>
    <form method="post" action="/admin/sign-out"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">Sign out</button></form>
    {{/signedIn}}
    </header>
    <main>
    <h1>{{title}}</h1>
    {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    """

    static let foot = """
    </main>
    </body>
    </html>
    """

    static let signIn = """
    {{> head}}
    <form method="post" action="/admin/sign-in">
    <input type="hidden" name="csrf_token" value="{{csrfToken}}">
    <label>Operator API key <input type="password" name="key" id="key" autocomplete="off" required size="60"></label>
    <p><button type="submit" id="sign-in">Sign in</button></p>
    </form>
    {{> foot}}
    """

    static let outbox = """
    {{> head}}
    <form class="filters" method="get" action="/admin/outbox">
    <label>Status <select name="status" id="status"><option value="">any</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select></label>
    <label>Target <select name="target" id="target"><option value="">any</option>{{#targets}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/targets}}</select></label>
    <label>Error kind <select name="error_kind" id="error_kind"><option value="">any</option>{{#errorKinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/errorKinds}}</select></label>
    <label>Job <input name="job_id" id="job_id" value="{{jobID}}" size="12"></label>
    <button type="submit" id="filter">Filter</button>
    </form>
    {{^rows}}<p>No rows match.</p>{{/rows}}
    {{#hasRows}}
    <table id="outbox">
    <thead><tr><th>Row</th><th>Job</th><th>Target</th><th>Operation</th><th>Status</th><th>Attempts</th><th>Next attempt</th><th>Last error</th></tr></thead>
    <tbody>
    {{#rows}}<tr data-row="{{id}}"><td><a href="/admin/outbox/{{id}}">#{{id}}</a></td><td>{{jobID}}</td><td>{{target}}</td><td>{{operation}}</td><td class="status-{{status}}">{{status}}</td><td>{{attempts}}</td><td>{{nextAttemptAt}}</td><td>{{lastErrorKind}} {{lastErrorMessage}}</td></tr>
    {{/rows}}
    </tbody>
    </table>
    {{/hasRows}}
    {{#nextPage}}<p><a href="{{nextPage}}" id="next-page">Next page →</a></p>{{/nextPage}}
    {{> foot}}
    """

    static let row = """
    {{> head}}
    <dl id="row">
    <dt>Status</dt><dd class="status-{{status}}" id="row-status">{{status}}</dd>
    <dt>Job</dt><dd>{{jobID}} (version {{jobVersion}}{{#sentJobVersion}}, target holds {{sentJobVersion}}{{/sentJobVersion}})</dd>
    <dt>Target</dt><dd>{{target}}</dd><dt>Operation</dt><dd>{{operation}}</dd>
    <dt>Attempts</dt><dd>{{attemptCount}}</dd><dt>Next attempt</dt><dd>{{nextAttemptAt}}</dd>
    <dt>Remote id</dt><dd>{{externalID}}</dd>
    <dt>Last error</dt><dd>{{lastErrorKind}} {{lastErrorMessage}}</dd>
    <dt>Queued by</dt><dd>{{submittedBy}}</dd><dt>Updated</dt><dd>{{updatedAt}}</dd>
    </dl>
    <div class="actions">
    {{#canReplay}}<a href="/admin/outbox/{{id}}/replay" id="replay">Replay…</a>{{/canReplay}}
    {{#canCancel}}<a href="/admin/outbox/{{id}}/cancel" id="cancel">Cancel…</a>{{/canCancel}}
    </div>
    <h2>Attempts</h2>
    {{^attempts}}<p>None yet.</p>{{/attempts}}
    {{#hasAttempts}}
    <table id="attempts">
    <thead><tr><th>#</th><th>Started</th><th>Outcome</th><th>HTTP</th><th>Error kind</th><th>Message</th><th>ms</th><th>Worker</th></tr></thead>
    <tbody>
    {{#attempts}}<tr><td>{{attemptNumber}}</td><td>{{startedAt}}</td><td>{{outcome}}</td><td>{{httpStatus}}</td><td>{{errorKind}}</td><td>{{message}}</td><td>{{durationMs}}</td><td>{{worker}}</td></tr>
    {{/attempts}}
    </tbody>
    </table>
    {{/hasAttempts}}
    {{> foot}}
    """

    static let confirm = """
    {{> head}}
    <p>{{question}}</p>
    <form method="post" action="{{action}}">
    <input type="hidden" name="csrf_token" value="{{csrfToken}}">
    <div class="actions"><button type="submit" class="danger" id="confirm">{{button}}</button> <a href="{{back}}">Keep it as it is</a></div>
    </form>
    {{> foot}}
    """

    static let targets = """
    {{> head}}
    <table id="targets">
    <thead><tr><th>Target</th><th>Kind</th><th>Enabled</th><th>Connection</th><th>Circuit</th><th>Until</th><th>Requests (failed) in window</th><th>Failures in a row</th><th>Paused until</th></tr></thead>
    <tbody>
    {{#targets}}<tr><td>{{target}}</td><td>{{kind}}</td><td>{{enabled}}</td><td>{{connection}}</td><td class="circuit-{{circuit}}">{{circuit}}</td><td>{{circuitUntil}}</td><td>{{requests}} ({{failures}})</td><td>{{consecutiveFailures}}</td><td>{{pausedUntil}}</td></tr>
    {{/targets}}
    </tbody>
    </table>
    {{> foot}}
    """

    static let runs = """
    {{> head}}
    {{^runs}}<p>No reconcile runs yet.</p>{{/runs}}
    {{#hasRuns}}
    <table id="runs">
    <thead><tr><th>Run</th><th>Target</th><th>Started</th><th>Status</th><th>Applied</th><th>Remote</th><th>Local</th><th>Findings</th></tr></thead>
    <tbody>
    {{#runs}}<tr><td><a href="/admin/reconcile-runs/{{id}}">#{{id}}</a></td><td>{{target}}</td><td>{{startedAt}}</td><td>{{status}}</td><td>{{applied}}</td><td>{{remote}}</td><td>{{local}}</td><td>{{findings}}</td></tr>
    {{/runs}}
    </tbody>
    </table>
    {{/hasRuns}}
    {{> foot}}
    """

    static let run = """
    {{> head}}
    <dl>
    <dt>Target</dt><dd>{{target}}</dd><dt>Status</dt><dd>{{status}}</dd><dt>Started</dt><dd>{{startedAt}}</dd><dt>Finished</dt><dd>{{finishedAt}}</dd>
    <dt>Applied</dt><dd>{{applied}}</dd><dt>Remote jobs</dt><dd>{{remote}}</dd><dt>Local jobs</dt><dd>{{local}}</dd>
    {{#partialReason}}<dt>Why partial</dt><dd>{{partialReason}}</dd>{{/partialReason}}
    </dl>
    <h2>Findings</h2>
    <table><thead><tr><th>Category</th><th>Count</th></tr></thead><tbody>
    {{#counts}}<tr><td>{{category}}</td><td>{{count}}</td></tr>{{/counts}}
    </tbody></table>
    {{#hasFindings}}
    <table id="findings">
    <thead><tr><th>Category</th><th>Job</th><th>Remote id</th><th>Repair</th><th>Detail</th></tr></thead>
    <tbody>
    {{#findings}}<tr><td>{{category}}</td><td>{{jobID}}</td><td>{{remoteID}}</td><td>{{repair}}</td><td>{{detail}}</td></tr>
    {{/findings}}
    </tbody>
    </table>
    {{/hasFindings}}
    {{> foot}}
    """

    static let message = """
    {{> head}}
    <p>{{text}}</p>
    {{#link}}<p><a href="{{link}}">{{linkText}}</a></p>{{/link}}
    {{> foot}}
    """
}
