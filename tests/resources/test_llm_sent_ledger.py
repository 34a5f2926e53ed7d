"""A paid request is never unrecorded: the ledger learns of an attempt before it is sent (resources/llm/ledger.py
`sent`), a settled attempt leaves only its ok or error row, and one killed in flight is reconciled by the next
attempt of the same request as a possibly-paid row that `aiwf report` counts."""

import os
import signal
import subprocess
import sys
import time

from aiwf_state import local_store

from resources.llm import LLMResource
from resources.llm.prompts import Prompt

PROMPT = Prompt("note", "1", template="Summarise: {text}")
KILLED = """
import sys
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
LLMResource(base_url=sys.argv[1], api_key="sk-test", max_attempts=1).session().complete(
    Prompt("note", "1", template="Summarise: {text}"), {"text": "a slow one"})
"""


def in_flight(store) -> int:
    return store.execute("SELECT COUNT(*) FROM llm_sent")[0][0]


def test_settled_attempts_leave_their_rows_and_nothing_in_flight(offline_server, offline_llm):
    offline_server.configure(fail_500_rate=0.5, seed=3)
    ai = offline_llm.session()
    for i in range(6):
        ai.complete(PROMPT, {"text": f"note {i}"})
    store = local_store()
    statuses = dict(store.execute("SELECT status, COUNT(*) FROM llm_calls GROUP BY status"))
    assert statuses.get("ok") == 6 and statuses.get("error", 0) >= 1 and set(statuses) == {"ok", "error"}
    assert in_flight(store) == 0


def test_a_request_killed_in_flight_is_counted_as_possibly_paid(offline_server, offline_llm):
    offline_server.configure(latency_ms=30_000)  # the killed worker's request is answered only after it died
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    worker = subprocess.Popen([sys.executable, "-c", KILLED, offline_llm.base_url], cwd=root,
                              env={**os.environ, "PYTHONPATH": root})
    store, deadline = local_store(), time.monotonic() + 120
    while in_flight(store) == 0:  # the attempt is in the ledger before the request leaves
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(30)
    assert store.execute("SELECT COUNT(*) FROM llm_calls")[0][0] == 0  # not settled: no row of its own yet

    offline_server.configure(latency_ms=0)
    offline_llm.session().complete(PROMPT, {"text": "a slow one"})  # the next attempt of the same request
    rows = store.execute("SELECT status, error_class, attempt FROM llm_calls ORDER BY id")
    assert [r[0] for r in rows] == ["unknown", "ok"] and rows[0][1] == "killed_in_flight"
    assert in_flight(store) == 0

    from pipelines.reporting.report import build_report
    from pipelines.reporting.workflow_index import WorkflowIndex

    report = build_report(store, [], WorkflowIndex(), since=0)
    model = next(iter(report["models"].values()))
    assert model["possibly_paid"] == 1 and model["calls"] == 1
