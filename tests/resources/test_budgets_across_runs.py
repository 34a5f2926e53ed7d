"""Budgets across runs (AIWF_BUDGETS): the file, the atomic spend table, and llm_map under a spent budget."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from aiwf_state import local_store

from resources.llm.budgets_file import BudgetFileError, BudgetLine, load_budgets
from resources.llm.pricing import Usage, price
from resources.state.quarantine import Quarantine
from resources.state.spend import BudgetSpend, Refused

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import budget_runs  # noqa: E402

STRONG = "budget-probe-strong"
BUDGET = "workflow:shared_wf"


@pytest.fixture
def priced(tmp_path, monkeypatch):
    """The probe models priced in an AIWF_PRICES file; a budgets file whose cap `set_cap(usd)` changes."""
    prices = tmp_path / "prices.yaml"
    prices.write_text(f"models:\n  {budget_runs.MODEL}: {{input_per_mtok: 1000, output_per_mtok: 200}}\n"
                      f"  {STRONG}: {{input_per_mtok: 3000, output_per_mtok: 600}}\n")
    monkeypatch.setenv("AIWF_PRICES", str(prices))
    budgets = tmp_path / "budgets.yaml"
    monkeypatch.setenv("AIWF_BUDGETS", str(budgets))

    def set_cap(usd: float) -> None:
        budgets.write_text("budgets:\n  - {scope: workflow, name: shared_wf, usd: %s, window: day}\n"
                           "  - {scope: tag, name: \"team=growth\", usd: 200, window: month}\n" % usd)
        os.utime(budgets, ns=(os.stat(budgets).st_mtime_ns + 1_000_000_000,) * 2)  # seen as changed

    return set_cap


def answered(server) -> int:
    return server.counters()["answered"]["chat.completions"]


def max_request_usd(rows: int = 20) -> float:
    """What the longest probe request can cost at most: its input estimate and the default output cap."""
    longest = len(budget_runs.PROBE.render(note=f"Note {rows} of p1: the parcel arrived late and the box was dented, "
                                                f"customer {rows} asks for a refund.")[-1]["content"])
    return price(budget_runs.MODEL, Usage(input=longest // 4 + 40, output=256)).usd


def test_the_budgets_file_is_read_as_written(priced):
    priced(5)
    lines = load_budgets()
    assert lines == [BudgetLine("workflow", "shared_wf", 5.0, "day"), BudgetLine("tag", "team=growth", 200.0, "month")]
    assert lines[1].applies("other", {"team": "growth"}) and not lines[1].applies("other", {"team": "ops"})
    assert lines[0].window_key(0) == "1970-01-01" and lines[1].window_key(0) == "1970-01"
    bad = Path(os.environ["AIWF_BUDGETS"])
    bad.write_text("budgets:\n  - {scope: team, name: x, usd: 1, window: day}\n")
    with pytest.raises(BudgetFileError, match="scope must be one of"):
        load_budgets()


def test_a_reservation_past_the_cap_is_refused_whole():
    spend = BudgetSpend(local_store())
    caps = [("workflow:w", "2026-03-02", 1.0), ("tag:team=a", "2026-03", 0.5)]
    assert spend.reserve(caps, 0.4) == {"workflow:w": pytest.approx(0.4), "tag:team=a": pytest.approx(0.8)}
    with pytest.raises(Refused) as refused:
        spend.reserve(caps, 0.2)  # the tag budget cannot take it: the workflow's hold is rolled back too
    assert refused.value.budget == "tag:team=a"
    assert spend.of("workflow:w", "2026-03-02") == (0.0, pytest.approx(0.4))
    spend.settle([("workflow:w", "2026-03-02"), ("tag:team=a", "2026-03")], 0.4, 0.1)
    assert spend.of("tag:team=a", "2026-03") == (pytest.approx(0.1), pytest.approx(0.0))


def test_a_run_past_its_estimate_fails_before_any_request_unless_forced(priced, offline_server, offline_llm):
    priced(0.05)  # 20 rows cost about $0.7
    result = budget_runs.run("p1", 20, offline_server.url, force=False)
    assert not result.success and answered(offline_server) == 0
    failure = result.get_step_failure_events()[0].event_specific_data.error.message
    assert "estimated $" in failure and "aiwf/force=true" in failure and "have $0.0500 left" in failure


def test_rows_past_a_spent_budget_are_quarantined_then_redriven(priced, offline_server, offline_llm):
    priced(0.3)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([budget_runs.probe_notes, budget_runs.probe_summaries], partition_key="p1",
                            tags={"rows": "20", "aiwf/force": "true"}, instance=instance,
                            resources=budget_runs.resources(offline_server.url))
    assert result.success
    held = Quarantine(local_store()).rows("probe_summaries")
    assert held and {r["error_class"] for r in held} == {"budget_exceeded"}
    spent, reserved = BudgetSpend(local_store()).of(BUDGET, load_budgets()[0].window_key())
    assert spent <= 0.3 + max_request_usd() and reserved == pytest.approx(0, abs=1e-9)
    assert "shared_wf" in instance.get_run_by_id(result.run_id).tags["aiwf/budget_warning"]  # 80% passed
    sent = answered(offline_server)
    assert sent + len(held) == 20

    priced(10)  # the budget raised: the re-drive sends only the quarantined rows
    again = budget_runs.run("p1", 20, offline_server.url)
    assert again.success and answered(offline_server) == 20
    assert Quarantine(local_store()).rows("probe_summaries") == []


def test_the_report_shows_each_budget_in_its_window(priced):
    from pipelines.cli.report import print_summary
    from pipelines.reporting.budgets import budget_figures

    priced(1.0)
    BudgetSpend(local_store()).settle([(BUDGET, load_budgets()[0].window_key())], 0.0, 0.85)
    budgets = budget_figures(local_store())
    assert budgets[BUDGET]["status"] == "warning" and budgets["tag:team=growth"]["status"] == "ok"
    lines = []
    print_summary({"since": "a", "until": "b", "workflows": {}, "models": {}, "budgets": budgets}, lines.append)
    assert any(line.startswith("budget workflow:shared_wf") and "(85%), warning" in line for line in lines)


def test_at_90_percent_strong_rows_are_asked_on_the_cheap_tier(priced, offline_server, offline_llm):
    priced(1.0)
    window = load_budgets()[0].window_key()
    BudgetSpend(local_store()).settle([(BUDGET, window)], 0.0, 0.91)
    resources = {"llm": budget_runs.resources(offline_server.url)["llm"].model_copy(update={"strong_model": STRONG})}
    result = dg.materialize([budget_runs.probe_notes, budget_runs.probe_summaries], partition_key="p2",
                            tags={"rows": "2", "aiwf/force": "true"}, resources=resources,
                            run_config={"ops": {"probe_summaries": {"config": {"tier": "strong"}}}})
    assert result.success
    models = {r["model"] for r in local_store().query("SELECT model FROM llm_calls WHERE status = 'ok'")}
    assert models == {budget_runs.MODEL}


@pytest.mark.integration
def test_two_processes_share_a_daily_workflow_budget_on_postgres(priced, offline_server, offline_llm, pg_url):
    """Each process alone would spend about $0.7; together they stay within $0.6 plus one request's maximum,
    and every row is either answered or quarantined as budget_exceeded."""
    priced(0.6)
    env = {**os.environ, "AIWF_PG_URL": pg_url, "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), str(HERE)])}
    procs = [subprocess.Popen([sys.executable, str(HERE / "budget_runs.py"), p, "20", offline_server.url],
                              env=env, stdout=subprocess.PIPE, text=True) for p in ("p1", "p2")]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(json.loads(o.strip().splitlines()[-1])["success"] for o in outs), outs
    from resources.state.store import open_store

    store = open_store(Path(os.environ["AIWF_HOME"]), pg_url)
    billed = float(store.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls")[0][0])
    spent, reserved = BudgetSpend(store).of(BUDGET, load_budgets()[0].window_key())
    assert billed <= 0.6 + max_request_usd()
    assert spent == pytest.approx(billed, abs=1e-9) and reserved == pytest.approx(0, abs=1e-9)
    held = Quarantine(store).rows("probe_summaries")
    answered_rows = int(store.execute("SELECT COUNT(*) FROM llm_checkpoints")[0][0])
    assert held and {r["error_class"] for r in held} == {"budget_exceeded"}
    assert answered_rows + len(held) == 40  # none lost
