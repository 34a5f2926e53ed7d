"""aiwf's schema is one ordered list applied when a Store opens: fresh homes get every table, homes made by the
per-component `migrate()` of earlier versions move forward without losing a row, and an up-to-date home is
only read to learn that."""

import sqlite3
import time

import pytest

from resources.state.migrations import MIGRATIONS, versions
from resources.state.store import _DDL_TOKENS, _MIGRATIONS, Store

TABLES = {"llm_calls", "llm_cache", "llm_batches", "prompt_versions", "prompt_status", "audit_events", "audit_sync",
          "audit_logs", "audit_outbox", "review_sessions", "review_keys", "approvals", "approval_decisions",
          "approval_corrections", "action_ledger", "action_history", "sql_before_images", "aiwf_leases",
          "quarantine", "llm_checkpoints", "llm_workflow_spend", "planner_snapshots", "planner_plans",
          "planner_runs", "inventory_events", "llm_budget_spend", "llm_sent"}
# Steps the previous version's homes may lack: the columns added last, per component (its SCHEMA list then).
ADDED_LATER = {"llm_calls": 1, "llm_cache": 1, "prompts": 1, "llm_checkpoints": 1}


def _old_home(execute, dialect: str) -> None:
    """What the previous version left: each component's steps applied by its own `migrate(component, SCHEMA)`
    (minus the columns it did not have yet), counted in aiwf_schema; then a row in the tables that changed."""
    execute(_MIGRATIONS, ())
    for component, total in versions().items():
        steps = [ddl for c, ddl in MIGRATIONS if c == component][:total - ADDED_LATER.get(component, 0)]
        for ddl in steps:
            execute(ddl.format(**_DDL_TOKENS[dialect]), ())
        execute("INSERT INTO aiwf_schema (component, version) VALUES (?, ?)", (component, len(steps)))
    execute("INSERT INTO llm_calls (ts, kind, model, request_hash, status) VALUES (?, 'chat', 'm', 'h1', 'ok')",
            (time.time(),))
    execute("INSERT INTO llm_cache (request_hash, model, response, tokens_in, tokens_out, created) "
            "VALUES ('h1', 'm', '{}', 1, 2, ?)", (time.time(),))
    execute("INSERT INTO prompt_versions (name, version, hash, first_seen) VALUES ('p', '1', 'abc', ?)", (time.time(),))
    execute("INSERT INTO quarantine (ts, workflow, asset_key, partition_key, row_key, payload, error_class, reason) "
            "VALUES (?, 'w', 'a', 'd', 'r1', '{}', 'e', 'why')", (time.time(),))


def _tables(store: Store) -> set[str]:
    if store.dialect == "sqlite":
        return {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in store.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


def _assert_upgraded(store: Store) -> None:
    assert TABLES <= _tables(store)
    assert {r["component"]: r["version"] for r in store.query("SELECT component, version FROM aiwf_schema")} == \
        versions()
    [call] = store.query("SELECT request_hash, batch FROM llm_calls")
    assert call == {"request_hash": "h1", "batch": 0}  # the row kept, the new column added with its default
    assert store.query("SELECT cost_usd FROM llm_cache") == [{"cost_usd": 0}]
    assert store.query("SELECT hash, content_hash FROM prompt_versions") == [{"hash": "abc", "content_hash": None}]
    assert [r["row_key"] for r in store.query("SELECT row_key FROM quarantine")] == ["r1"]


def test_every_aiwf_table_is_in_the_one_list():
    created = {ddl.split("EXISTS", 1)[1].split("(", 1)[0].strip() for _, ddl in MIGRATIONS
               if ddl.lstrip().startswith("CREATE TABLE")}
    assert created == TABLES


def test_a_fresh_home_gets_every_table_on_its_first_statement(tmp_path):
    store = Store(str(tmp_path / "aiwf.db"), tmp_path)
    assert not (tmp_path / "aiwf.db").exists()  # building a Store does nothing
    store.execute("SELECT 1")
    assert TABLES <= _tables(store)


def test_a_sqlite_home_of_the_previous_version_moves_forward_with_its_rows(tmp_path):
    conn = sqlite3.connect(tmp_path / "aiwf.db", isolation_level=None)
    _old_home(conn.execute, "sqlite")
    conn.close()
    _assert_upgraded(Store(str(tmp_path / "aiwf.db"), tmp_path))
    _assert_upgraded(Store(str(tmp_path / "aiwf.db"), tmp_path))  # a second opening applies nothing twice


def test_a_postgres_home_of_the_previous_version_moves_forward_with_its_rows(pg_url, tmp_path):
    import psycopg2

    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        _old_home(lambda sql, params: cur.execute(sql.replace("?", "%s"), params), "postgres")
    _assert_upgraded(Store(pg_url, tmp_path))


def test_an_up_to_date_home_is_only_read(tmp_path, monkeypatch):
    Store(str(tmp_path / "aiwf.db"), tmp_path).execute("SELECT 1")
    before = (tmp_path / "aiwf.db").read_bytes()
    applied = []
    monkeypatch.setattr(Store, "_apply", lambda self, steps: applied.append(steps))
    store = Store(str(tmp_path / "aiwf.db"), tmp_path)
    assert store.query("SELECT COUNT(*) AS n FROM quarantine") == [{"n": 0}]
    assert not applied and (tmp_path / "aiwf.db").read_bytes() == before


def test_a_step_added_at_the_end_is_applied_once(tmp_path, monkeypatch):
    Store(str(tmp_path / "aiwf.db"), tmp_path).execute("SELECT 1")
    grown = [*MIGRATIONS, ("quarantine", "ALTER TABLE quarantine ADD COLUMN note TEXT")]
    monkeypatch.setattr("resources.state.store.MIGRATIONS", grown)
    monkeypatch.setattr("resources.state.store.versions", lambda: versions(grown))
    for _ in range(2):
        store = Store(str(tmp_path / "aiwf.db"), tmp_path)
        assert store.query("SELECT note FROM quarantine") == []
    assert store.query("SELECT version FROM aiwf_schema WHERE component = 'quarantine'") == [
        {"version": versions()["quarantine"] + 1}]


@pytest.mark.parametrize("reader", ["ApprovalStore", "Quarantine", "CallLedger", "ActionLedger"])
def test_readers_do_not_touch_the_database_when_built(tmp_path, reader):
    from resources.approvals.store import ApprovalStore
    from resources.connectors.ledger import ActionLedger
    from resources.llm.ledger import CallLedger
    from resources.state.quarantine import Quarantine

    cls = {"ApprovalStore": ApprovalStore, "Quarantine": Quarantine, "CallLedger": CallLedger,
           "ActionLedger": ActionLedger}[reader]
    cls(Store(str(tmp_path / "aiwf.db"), tmp_path))
    assert not (tmp_path / "aiwf.db").exists()
