"""Every aiwf table's schema, as one ordered list of steps applied once when a Store opens (store.py).

Each step is (component, DDL). A step's version is its position among its component's steps, and the store
keeps one row per component in `aiwf_schema` (component, steps applied): the bookkeeping the per-component
`migrate()` calls of earlier versions kept, so a home they made opens and moves forward without losing data.
Append only: add a new step at the end (an ALTER for a new column, a new table); never edit, reorder or remove
a step a home may have applied. DDL may use the tokens {id}, {blob} and {float} (store.py spells them).
The owner of each table is the module that reads and writes it; other modules ask it through its methods.
"""

MIGRATIONS: list[tuple[str, str]] = [
    # resources/llm/ledger.py: one row per model-request attempt
    ("llm_calls", """CREATE TABLE IF NOT EXISTS llm_calls (
        id {id},
        ts {float} NOT NULL,
        run_id TEXT, asset_key TEXT, partition_key TEXT,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_name TEXT, prompt_version TEXT, prompt_hash TEXT,
        request_hash TEXT NOT NULL,
        tokens_in INTEGER NOT NULL DEFAULT 0,
        tokens_out INTEGER NOT NULL DEFAULT 0,
        cost_usd {float} NOT NULL DEFAULT 0,
        latency_ms {float} NOT NULL DEFAULT 0,
        cache_hit INTEGER NOT NULL DEFAULT 0,
        attempt INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL,
        error_class TEXT,
        offline INTEGER NOT NULL DEFAULT 0,
        tier TEXT)"""),
    ("llm_calls", "CREATE INDEX IF NOT EXISTS llm_calls_run ON llm_calls (run_id)"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN batch INTEGER NOT NULL DEFAULT 0"),  # answered through a Batch API
    # resources/llm/cache.py: answers by request hash
    ("llm_cache", """CREATE TABLE IF NOT EXISTS llm_cache (
        request_hash TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        response TEXT NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        created {float} NOT NULL)"""),
    ("llm_cache", "ALTER TABLE llm_cache ADD COLUMN cost_usd {float} NOT NULL DEFAULT 0"),
    # resources/llm/batch_book.py: Batch API jobs
    ("llm_batches", """CREATE TABLE IF NOT EXISTS llm_batches (
        input_file_id TEXT PRIMARY KEY, batch_id TEXT,
        asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, scope TEXT NOT NULL,
        requests TEXT NOT NULL, status TEXT NOT NULL,
        billed INTEGER NOT NULL DEFAULT 0, consumed INTEGER NOT NULL DEFAULT 0,
        run_id TEXT, created {float} NOT NULL, updated {float} NOT NULL)"""),
    ("llm_batches", "CREATE INDEX IF NOT EXISTS llm_batches_partition ON llm_batches (asset_key, partition_key, "
                    "consumed)"),
    # resources/llm/prompt_registry.py: prompt versions seen and status overrides
    ("prompts", """CREATE TABLE IF NOT EXISTS prompt_versions (
        name TEXT NOT NULL, version TEXT NOT NULL, hash TEXT NOT NULL, first_seen {float} NOT NULL,
        PRIMARY KEY (name, version))"""),
    ("prompts", """CREATE TABLE IF NOT EXISTS prompt_status (
        id {id}, ts {float} NOT NULL, name TEXT NOT NULL, action TEXT NOT NULL,
        live TEXT NOT NULL, candidate TEXT, share {float} NOT NULL DEFAULT 0,
        file_live TEXT NOT NULL, file_candidate TEXT, reason TEXT NOT NULL DEFAULT '', actor TEXT)"""),
    ("prompts", "CREATE INDEX IF NOT EXISTS prompt_status_name ON prompt_status (name, id)"),
    # hash of text, params, tier and schema (PromptFile.content_hash); NULL on rows recorded before it existed,
    # filled the first time their text is seen unchanged
    ("prompts", "ALTER TABLE prompt_versions ADD COLUMN content_hash TEXT"),
    # resources/audit/log.py: the audit trail's mirror, sync positions, log files and outbox
    ("audit", """CREATE TABLE IF NOT EXISTS audit_events (
        log TEXT NOT NULL, seq INTEGER NOT NULL, ts {float} NOT NULL, kind TEXT NOT NULL, run_id TEXT,
        hash TEXT NOT NULL, prev TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (log, seq))"""),
    ("audit", "CREATE INDEX IF NOT EXISTS audit_events_run ON audit_events (run_id)"),
    ("audit", "CREATE TABLE IF NOT EXISTS audit_sync (source TEXT PRIMARY KEY, position INTEGER NOT NULL)"),
    ("audit", """CREATE TABLE IF NOT EXISTS audit_logs (
        log_id TEXT PRIMARY KEY, host TEXT NOT NULL, path TEXT NOT NULL, created {float} NOT NULL)"""),
    ("audit", """CREATE TABLE IF NOT EXISTS audit_outbox (
        id {id}, kind TEXT NOT NULL, payload TEXT NOT NULL, provenance TEXT NOT NULL)"""),
    # resources/approvals/review_sessions.py: the review app's sessions and keys
    ("review_sessions", """CREATE TABLE IF NOT EXISTS review_sessions (
        id_hash TEXT PRIMARY KEY, token_ref TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at {float} NOT NULL, last_seen {float} NOT NULL)"""),
    ("review_sessions", "CREATE INDEX IF NOT EXISTS review_sessions_last_seen ON review_sessions (last_seen)"),
    ("review_sessions", "CREATE TABLE IF NOT EXISTS review_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL)"),
    # resources/approvals/store.py: approvals, their decision log and corrections
    ("approvals", """CREATE TABLE IF NOT EXISTS approvals (
        id TEXT PRIMARY KEY, workflow TEXT NOT NULL, item_key TEXT NOT NULL, output_hash TEXT NOT NULL,
        proposed_output TEXT NOT NULL, current_version TEXT, diff TEXT NOT NULL, evidence TEXT NOT NULL,
        reasons TEXT NOT NULL, risk TEXT NOT NULL, status TEXT NOT NULL, final_output TEXT,
        decided_by TEXT, decided_at {float}, reason TEXT, run_id TEXT, partition_key TEXT,
        created_at {float} NOT NULL)"""),
    ("approvals", "CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, workflow)"),
    ("approvals", """CREATE TABLE IF NOT EXISTS approval_decisions (
        seq {id}, approval_id TEXT NOT NULL, workflow TEXT NOT NULL, status TEXT NOT NULL,
        decided_by TEXT NOT NULL, decided_at {float} NOT NULL, reason TEXT)"""),
    ("approvals", """CREATE TABLE IF NOT EXISTS approval_corrections (
        id {id}, approval_id TEXT NOT NULL, workflow TEXT NOT NULL, item_key TEXT NOT NULL,
        before_output TEXT NOT NULL, after_output TEXT NOT NULL, reviewer TEXT NOT NULL,
        reason TEXT, ts {float} NOT NULL, in_memory INTEGER NOT NULL DEFAULT 0)"""),
    # resources/connectors/ledger.py: side effects, at most once, and their history
    ("action_ledger", """CREATE TABLE IF NOT EXISTS action_ledger (
        idempotency_key TEXT PRIMARY KEY,
        workflow TEXT NOT NULL, entity TEXT NOT NULL, action TEXT NOT NULL, payload_version TEXT NOT NULL,
        connector TEXT NOT NULL, payload_hash TEXT NOT NULL, payload TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        result TEXT, error TEXT, saga_id TEXT, compensates TEXT, owner TEXT,
        created_ts {float} NOT NULL, updated_ts {float} NOT NULL)"""),
    ("action_ledger", "CREATE INDEX IF NOT EXISTS action_ledger_workflow ON action_ledger (workflow, status)"),
    ("action_ledger", """CREATE TABLE IF NOT EXISTS action_history (
        id {id}, idempotency_key TEXT NOT NULL, ts {float} NOT NULL, status TEXT NOT NULL, detail TEXT)"""),
    ("action_ledger", "CREATE INDEX IF NOT EXISTS action_history_key ON action_history (idempotency_key)"),
    # resources/connectors/sql.py: the rows an upsert replaced, written in the upsert's own transaction (the
    # table it writes is always a Store, so its before-images sit with the action ledger that undoes them)
    ("sql_before_images", """CREATE TABLE IF NOT EXISTS sql_before_images (
    idempotency_key TEXT PRIMARY KEY, before_rows TEXT NOT NULL, inserted_keys TEXT NOT NULL)"""),
    # resources/state/leases.py: named leases (claims on requests, singletons)
    ("aiwf_leases", """CREATE TABLE IF NOT EXISTS aiwf_leases (
        name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires {float} NOT NULL, acquired {float} NOT NULL)"""),
    # resources/state/quarantine.py: rows a step could not process, with the reason
    ("quarantine", """CREATE TABLE IF NOT EXISTS quarantine (
        id {id},
        ts {float} NOT NULL,
        workflow TEXT NOT NULL, asset_key TEXT NOT NULL, partition_key TEXT,
        row_key TEXT NOT NULL, payload TEXT NOT NULL,
        error_class TEXT NOT NULL, reason TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1, run_id TEXT,
        status TEXT NOT NULL DEFAULT 'open')"""),
    ("quarantine", "CREATE UNIQUE INDEX IF NOT EXISTS quarantine_row ON quarantine (asset_key, partition_key, "
                   "row_key)"),
    # resources/state/checkpoints.py: answered rows and each workflow's spend per day
    ("llm_checkpoints", """CREATE TABLE IF NOT EXISTS llm_checkpoints (
        asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, row_key TEXT NOT NULL,
        prompt_version TEXT NOT NULL, prompt_hash TEXT NOT NULL, model TEXT NOT NULL,
        input_hash TEXT NOT NULL, output TEXT NOT NULL, answered_by TEXT NOT NULL, tier TEXT NOT NULL,
        escalated INTEGER NOT NULL DEFAULT 0, cost_usd {float} NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0, run_id TEXT, ts {float} NOT NULL,
        PRIMARY KEY (asset_key, partition_key, row_key, prompt_version, prompt_hash, model))"""),
    ("llm_checkpoints", """CREATE TABLE IF NOT EXISTS llm_workflow_spend (
        workflow TEXT NOT NULL, day TEXT NOT NULL, cost_usd {float} NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (workflow, day))"""),
    ("llm_checkpoints", "ALTER TABLE llm_checkpoints ADD COLUMN offline INTEGER NOT NULL DEFAULT 0"),
    # assets/planner/store.py: item snapshots, plans and each item's run (an aiwf table: its schema lives here, so
    # resources never import assets)
    ("planner", """CREATE TABLE IF NOT EXISTS planner_snapshots (
        workflow TEXT NOT NULL, partition_key TEXT NOT NULL, item_key TEXT NOT NULL, state TEXT NOT NULL,
        ts {float} NOT NULL, PRIMARY KEY (workflow, partition_key, item_key))"""),
    ("planner", """CREATE TABLE IF NOT EXISTS planner_plans (
        workflow TEXT NOT NULL, state_hash TEXT NOT NULL, prompt TEXT NOT NULL, status TEXT NOT NULL,
        plan TEXT, errors TEXT NOT NULL, attempts INTEGER NOT NULL, model TEXT, offline INTEGER NOT NULL,
        ts {float} NOT NULL, PRIMARY KEY (workflow, state_hash, prompt))"""),
    ("planner", """CREATE TABLE IF NOT EXISTS planner_runs (
        workflow TEXT NOT NULL, partition_key TEXT NOT NULL, item_key TEXT NOT NULL, attempt INTEGER NOT NULL,
        plan_hash TEXT NOT NULL, plan TEXT NOT NULL, item TEXT NOT NULL, status TEXT NOT NULL,
        evidence TEXT NOT NULL, ts {float} NOT NULL, PRIMARY KEY (workflow, partition_key, item_key))"""),
    # pipelines/catalog/inventory.py: append-only inventory events (likewise kept here for the import graph)
    ("inventory_events", """CREATE TABLE IF NOT EXISTS inventory_events (
        id {id}, event_key TEXT NOT NULL UNIQUE, sku TEXT NOT NULL, delta INTEGER NOT NULL,
        reason TEXT NOT NULL, source TEXT NOT NULL, partition_key TEXT, run_id TEXT, ts {float} NOT NULL)"""),
    ("inventory_events", "CREATE INDEX IF NOT EXISTS inventory_events_sku ON inventory_events (sku, id)"),
    # resources/audit/outbox.py: each queued row's MAC, made when it is queued
    ("audit", "ALTER TABLE audit_outbox ADD COLUMN mac TEXT"),
    # resources/llm/ledger.py: usage read in full and the price each row used (resources/llm/pricing.py)
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN provider_cost_usd {float}"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN price_source TEXT"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0"),
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0"),
    # resources/state/spend.py: what each budget across runs (AIWF_BUDGETS) spent and holds, per window
    ("llm_budget_spend", """CREATE TABLE IF NOT EXISTS llm_budget_spend (
        budget TEXT NOT NULL, window_key TEXT NOT NULL, spent_usd {float} NOT NULL DEFAULT 0,
        reserved_usd {float} NOT NULL DEFAULT 0, updated {float} NOT NULL, PRIMARY KEY (budget, window_key))"""),
    # resources/llm/ledger.py: which provider answered (its base URL's host; resources/llm/providers.py)
    ("llm_calls", "ALTER TABLE llm_calls ADD COLUMN provider TEXT"),
    # resources/llm/ledger.py: attempts sent and not yet settled (a write-ahead row; one a killed worker leaves
    # behind is turned into a possibly-paid `unknown` ledger row by the next attempt of the same request)
    ("llm_sent", """CREATE TABLE IF NOT EXISTS llm_sent (
        id {id}, request_hash TEXT NOT NULL, ts {float} NOT NULL, run_id TEXT, asset_key TEXT, partition_key TEXT,
        kind TEXT NOT NULL, model TEXT NOT NULL, prompt_name TEXT, prompt_version TEXT, prompt_hash TEXT,
        attempt INTEGER NOT NULL, tier TEXT, provider TEXT)"""),
    ("llm_sent", "CREATE INDEX IF NOT EXISTS llm_sent_request ON llm_sent (request_hash)"),
    # resources/approvals/store.py: what approving an item does, in words the review page shows
    ("approvals", "ALTER TABLE approvals ADD COLUMN on_approve TEXT"),
    # resources/llm/prompt_registry.py: hash of the JSON schema a version's `schema:` class gives (a field added to
    # the class changes the request as much as an edited text); NULL where none resolves, filled like content_hash
    ("prompts", "ALTER TABLE prompt_versions ADD COLUMN schema_hash TEXT"),
    # new steps go here, at the end
]


def versions(steps: list[tuple[str, str]] = MIGRATIONS) -> dict[str, int]:
    """component -> how many steps it has: the `aiwf_schema` versions of an up-to-date home."""
    out: dict[str, int] = {}
    for component, _ in steps:
        out[component] = out.get(component, 0) + 1
    return out
