"""aiwf's own stores on Postgres: concurrent writers in several processes and threads lose no ledger row."""

import subprocess
import sys
import time
import uuid

import psycopg2
import pytest
from aiwf_state import local_store

pytestmark = pytest.mark.integration

WRITER = """
import os, sys, threading, time
from resources.llm.ledger import CallLedger, CallRecord
from resources.state.resource import StateResource

proc, start_at, threads, rows = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
errors = []

def write(thread):
    try:
        ledger = CallLedger(StateResource(pg_url=os.environ["AIWF_PG_URL"]).store())  # every writer opens the store: the schema is created concurrently, once
        for i in range(rows):
            ledger.record(CallRecord(kind="chat", model="m", status="ok", run_id=f"run-{proc}",
                                     request_hash=f"{proc}-{thread}-{i}", tokens_in=i, cost_usd=0.001))
    except Exception as exc:
        errors.append(repr(exc))

time.sleep(max(0.0, start_at - time.time()))
workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
[w.start() for w in workers]
[w.join() for w in workers]
sys.exit("; ".join(errors) if errors else 0)
"""


@pytest.fixture
def fresh_schema(pg_database, monkeypatch):
    """AIWF_PG_URL on an empty schema of the session database, so migrations start from nothing."""
    schema = f"ledger_{uuid.uuid4().hex[:8]}"
    plain = "postgresql://" + pg_database.split("://", 1)[1]
    with psycopg2.connect(plain) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    url = f"{plain}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("AIWF_PG_URL", url)
    yield url, schema
    with psycopg2.connect(plain) as conn, conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")


def test_concurrent_processes_and_threads_lose_no_ledger_row(fresh_schema):
    url, schema = fresh_schema
    procs, threads, rows = 4, 3, 40
    start_at = str(time.time() + 2.0)  # all writers begin together, on a schema not yet created
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, f"p{p}", start_at, str(threads), str(rows)],
                         stderr=subprocess.PIPE, text=True)
        for p in range(procs)
    ]
    failures = [w.stderr.read() for w in writers if w.wait(timeout=90) != 0]
    assert not failures, failures

    from resources.llm.ledger import CallLedger, summarize
    from resources.state.migrations import versions
    from resources.state.store import Store

    ledger = CallLedger(Store(url, local_store().home))
    got = ledger.rows()
    expected = {f"p{p}-{t}-{i}" for p in range(procs) for t in range(threads) for i in range(rows)}
    assert len(got) == procs * threads * rows
    assert {r["request_hash"] for r in got} == expected
    assert summarize(got)["llm_calls"] == procs * threads * rows
    assert ledger.store.query("SELECT version FROM aiwf_schema WHERE component = ?", ("llm_calls",)) == [
        {"version": versions()["llm_calls"]}  # every migration step ran exactly once, whichever writer got there first
    ]
    assert ledger.run_cost("run-p0") == (pytest.approx(threads * rows * 0.001), threads * sum(range(rows)))


def _fork_writer(url: str, rows: int) -> None:
    from resources.state.store import open_store

    store = open_store(local_store().home, url)  # the parent's Store, inherited through fork
    for i in range(rows):
        store.execute("INSERT INTO t (v) VALUES (?)", (f"child-{i}",))


def test_postgres_store_survives_restarts_forks_and_nesting(fresh_schema):
    import multiprocessing

    from resources.state.store import open_store

    url, _ = fresh_schema
    store = open_store(local_store().home, url)
    store.migrate("t", ["CREATE TABLE IF NOT EXISTS t (id {id}, v TEXT)"])
    store.execute("INSERT INTO t (v) VALUES (?)", ("50%",))
    assert store.query("SELECT v FROM t WHERE v LIKE '%\\%'") == [{"v": "50%"}]  # a literal % is not a placeholder

    with store.transaction() as cur:  # a nested transaction is a savepoint on the same connection
        cur.execute("INSERT INTO t (v) VALUES (?)", ("outer",))
        with pytest.raises(RuntimeError), store.transaction() as inner:
            inner.execute("INSERT INTO t (v) VALUES (?)", ("inner",))
            raise RuntimeError("undo the inner part only")
    assert [r["v"] for r in store.query("SELECT v FROM t ORDER BY id")] == ["50%", "outer"]

    with psycopg2.connect(url) as admin, admin.cursor() as cur:  # the server drops aiwf's pooled connections
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'aiwf' AND datname = current_database() AND pid <> pg_backend_pid()")
    assert store.execute("SELECT count(*) FROM t") == [(2,)]  # replayed once on a fresh connection

    child = multiprocessing.get_context("fork").Process(target=_fork_writer, args=(url, 20))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert store.execute("SELECT count(*) FROM t WHERE v LIKE 'child-%'") == [(20,)]  # parent's pool intact
