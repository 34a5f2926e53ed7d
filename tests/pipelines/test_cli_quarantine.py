"""`aiwf quarantine list|retry`: rows grouped by error class with their whole reason, and a re-drive right after
`aiwf demo` on a fresh home with nothing configured (no OPENAI_*, no AIWF_SHOP_URL)."""

import functools
import json
import os

from aiwf_state import local_store

from pipelines.cli import demo, main, test_doubles
from resources.offline.llm_server import OfflineLLMServer
from resources.state.quarantine import Quarantine

LONG_REASON = "request is about 1943 tokens, over the 1200-token limit for one row; " * 3


def test_list_groups_rows_by_error_class_with_the_whole_reason(capsys):
    quarantine = Quarantine(local_store())
    for row_key, error_class, reason in (("R-1", "invalid_row", "price_eur: not a number"),
                                         ("R-2", "oversized_input", LONG_REASON),
                                         ("R-3", "invalid_row", "days_since_delivery: below 0")):
        quarantine.put(workflow="returns_triage", asset_key="return_classifications", partition_key="2026-03-02",
                       row_key=row_key, payload={"id": row_key}, error_class=error_class, reason=reason,
                       run_id="5ca1ab1e-0000-4000-8000-000000000000")
    assert main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert out.index("invalid_row: 2 row(s)\n  return_classifications [2026-03-02] R-1 (attempts 1, run 5ca1ab1e): "
                     "price_eur: not a number\n  return_classifications [2026-03-02] R-3") < out.index(
        "oversized_input: 1 row(s)")
    assert LONG_REASON.strip() in out and out.rstrip().endswith("3 open row(s)")

    assert main(["quarantine", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["row_key"] for r in rows] == ["R-1", "R-2", "R-3"]  # every row, as the row dicts it always printed
    assert rows[1]["reason"] == LONG_REASON and rows[1]["payload"] == {"id": "R-2"} and rows[1]["status"] == "open"


def test_retry_right_after_the_demo_starts_the_test_doubles_and_summarises(capsys, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_JOBS", [s for s in demo.DEMO_JOBS if s.job == "returns_triage_job"])  # fast
    with monkeypatch.context() as patch:  # the demo's offline model refuses one return, R-1001
        patch.setattr(test_doubles, "OfflineLLMServer", functools.partial(OfflineLLMServer,
                                                                          fail_400_on="Gooseneck kettle"))
        assert main(["demo", "--json"]) == 0
    demo_run = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_ids"][0]
    held = {r["row_key"]: r["error_class"] for r in Quarantine(local_store()).rows("return_classifications")}
    assert held["R-1001"] == "context_too_long" and len(held) == 6

    assert main(["quarantine", "retry"]) == 0  # its offline model answers every row
    out, err = capsys.readouterr()
    assert "started the OFFLINE test-double model" in out and "started the local TEST-DOUBLE shop" in out
    summary = [line for line in out.splitlines() if line.startswith("return_classifications [")]
    assert len(summary) == 1 and "6 quarantined" in summary[0] and summary[0].endswith(
        "succeeded, 1 resolved, 5 still quarantined")
    assert "DEBUG" not in out + err and "RUN_START" not in out + err
    assert not {"OPENAI_BASE_URL", "OPENAI_API_KEY", "AIWF_SHOP_URL"} & os.environ.keys()  # doubles stopped
    redrive_run = summary[0].split(" run ")[1][:8]

    assert main(["audit", "show", "--run", demo_run[:8], "--no-sync"]) == 0
    assert "quarantine re-drive (__ASSET_JOB): SUCCESS" in capsys.readouterr().out
    assert main(["audit", "show", "--run", redrive_run, "--no-sync"]) == 0
    assert f"A quarantine re-drive of return_classifications for run {demo_run}." in capsys.readouterr().out

    assert main(["quarantine", "retry", "--verbose"]) == 0  # Dagster's own step logs only when asked for
    assert "DEBUG" in "".join(capsys.readouterr())
