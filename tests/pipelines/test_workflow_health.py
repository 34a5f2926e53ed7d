"""Workflow health: the report equals the ledger's and Dagster's own records; the daily asset and its checks."""

import datetime as dt
import math
import time

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from pipelines.cli.demo import SAMPLES
from pipelines.reporting.drift import label_psi, score_psi
from pipelines.reporting.report import build_report, parse_since
from pipelines.reporting.runs import RunFacts, collect_runs
from pipelines.reporting.state_figures import approval_workflows
from pipelines.reporting.workflow_index import UNATTRIBUTED, WorkflowIndex
from pipelines.returns_triage.feed import returns_dir
from pipelines.workflow_health import checks
from pipelines.workflow_health.health import DAY_S, Thresholds, day_health, day_start
from resources.approvals.store import ApprovalStore
from resources.connectors.action import Action
from resources.connectors.ledger import ActionLedger
from resources.llm.ledger import CallLedger, CallRecord, summarize
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

DAY = "2026-03-02"
TODAY = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


@pytest.fixture
def endpoint(offline_server, offline_llm, monkeypatch):
    """The project's LLM resource pointed at the offline server, and a six-return feed for DAY."""
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    lines = (SAMPLES / "returns" / f"returns_{DAY}.csv").read_text().splitlines()[:7]
    (returns_dir() / f"returns_{DAY}.csv").write_text("\n".join(lines) + "\n")
    return offline_server


def classify(instance):
    """Materialize the day's returns and their classifications (model calls, steps, a check) in one run."""
    from pipelines.definitions import defs

    return defs.resolve_job_def("returns_triage_job").execute_in_process(
        instance=instance, partition_key=DAY, raise_on_error=False,
        asset_selection=[dg.AssetKey("return_requests"), dg.AssetKey("return_classifications")])


def with_health(defs) -> dg.Definitions:
    """The project's definitions with this workflow (added as pipelines/definitions.py gathers it, until it does)."""
    from pipelines.workflow_health import workflow

    if dg.AssetKey("workflow_health") in {key for a in defs.assets or [] for key in getattr(a, "keys", ())}:
        return defs
    return dg.Definitions.merge(defs, dg.Definitions(assets=workflow.assets, jobs=workflow.jobs,
                                                     schedules=workflow.schedules))


def decide_some(store) -> None:
    """Four proposals for returns triage: one approved, one edited, one rejected, one pending."""
    approvals = ApprovalStore(store)
    ids = [approvals.propose("returns_triage", f"R-{i}", {"route": "refund"}).id for i in range(4)]
    approvals.approve(ids[0], "alice")
    approvals.edit_and_approve(ids[1], "alice", {"route": "repair"})
    approvals.reject(ids[2], "bob", "not ours")


def nearest(values, p):
    ordered = sorted(values)
    return ordered[max(1, -(-p * len(ordered) // 100)) - 1] if ordered else None


def tenths(ms: float) -> float:
    """The report's rounding of latencies: tenths of a millisecond, halves up."""
    return math.floor(ms * 10 + 0.5) / 10


def test_report_figures_equal_the_ledger_and_dagster_records(endpoint):
    from pipelines.definitions import defs

    instance, store = dg.DagsterInstance.ephemeral(), local_store()
    assert classify(instance).success and classify(instance).success  # the second run is served by checkpoints
    decide_some(store)
    Quarantine(store).put(workflow="returns_triage", asset_key="return_classifications", partition_key=DAY,
                          row_key="R-x", payload={}, error_class="invalid_row", reason="test")
    action = Action("returns_triage", "R-1", "refund", {"amount": 1}, "1")
    ActionLedger(store).claim(action, "shop", "run-1")
    ActionLedger(store).mark(action.key, "done", result={"ok": True})

    index = WorkflowIndex.from_repository(defs.get_repository_def())
    since, until = time.time() - 3600, time.time() + 1
    runs = collect_runs(instance, since, until, index, lambda ids: approval_workflows(store, ids))
    report = build_report(store, runs, index, since, until)
    w = report["workflows"]["returns_triage"]

    ledger = CallLedger(store).rows()
    totals, answered = summarize(ledger), [r for r in ledger if r["status"] == "ok" and not r["cache_hit"]]
    assert (w["llm_calls"], w["tokens"], w["cost_usd"]) == (totals["llm_calls"], totals["tokens"],
                                                             totals["cost_usd"]) and w["llm_calls"] >= 6
    lat = [r["latency_ms"] for r in answered]
    assert w["latency_ms"] == {f"p{p}": tenths(nearest(lat, p)) for p in (50, 95, 99)}
    for model, figures in report["models"].items():
        mine = [r["latency_ms"] for r in answered if r["model"] == model]
        assert figures["calls"] == len(mine) and figures["latency_ms"]["p95"] == tenths(nearest(mine, 95))

    records = instance.get_run_records()
    assert (w["runs"], w["runs_succeeded"], w["completed_partitions"]) == (len(records), 2, 1)
    durations: dict[str, list[float]] = {}
    check_outcomes = []
    for record in records:
        for entry in instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
            durations.setdefault(entry.step_key, []).append(entry.dagster_event.event_specific_data.duration_ms / 1000)
        check_outcomes += [e.dagster_event.event_specific_data.passed for e in instance.all_logs(
            record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert w["step_seconds"] == {s: {f"p{p}": round(nearest(v, p), 3) for p in (50, 95, 99)}
                                 for s, v in durations.items()}
    assert w["checks"] == {"passed": sum(check_outcomes), "failed": len(check_outcomes) - sum(check_outcomes)}

    decided = dict(store.execute("SELECT status, COUNT(*) FROM approval_decisions GROUP BY status"))
    assert w["approvals"] == {"total": store.execute("SELECT COUNT(*) FROM approvals")[0][0],
                              "approved": decided["approved"], "edited": decided["edited"],
                              "rejected": decided["rejected"], "override_rate": round(2 / 3, 4)}
    assert w["quarantined_rows"] == len(Quarantine(store).rows()) and w["side_effects"]["sent"] == 1
    assert w["cost_per_successful_run_usd"] == round(totals["cost_usd"] / 2, 6)

    # The daily asset plots the same figures (in process there is no repository: runs are placed by job name);
    # two of three decisions overridden trips the override warning.
    health_job = with_health(defs).resolve_job_def("workflow_health_job")
    result = health_job.execute_in_process(instance=instance, partition_key=TODAY)
    metadata = result.asset_materializations_for_node("workflow_health")[0].metadata
    assert metadata["returns_triage/cost_usd"].value == w["cost_usd"]
    assert metadata["returns_triage/p95_latency_ms"].value == w["latency_ms"]["p95"]
    assert metadata["returns_triage/override_rate"].value == round(2 / 3, 4)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == set(checks.CHECKS)
    override = evaluations[checks.OVERRIDES_LOW]
    assert not override.passed and override.severity == dg.AssetCheckSeverity.WARN
    assert "returns_triage: 67% of 3 decisions overridden" in override.description
    relaxed = health_job.execute_in_process(
        instance=instance, partition_key=TODAY,
        run_config={"ops": {"workflow_health": {"config": {"override_rate_max": 0.7}}}})
    assert {e.check_name: e.passed for e in relaxed.get_asset_check_evaluations()}[checks.OVERRIDES_LOW]


def test_calls_of_assets_the_definitions_do_not_know_belong_to_their_runs_workflow():
    store, now = local_store(), time.time()
    ledger = CallLedger(store)
    for run_id, asset, cost in (("run-a", None, 0.25), ("run-a", "mystery", 0.5), ("run-b", "drafts", 1.0),
                                ("run-z", None, 2.0)):
        ledger.record(CallRecord("chat", "gpt-4o-mini", "h", "ok", run_id=run_id, asset_key=asset, cost_usd=cost,
                                 latency_ms=10.0, ts=now))
    index = WorkflowIndex(assets={"drafts": "content_ops"})
    runs = [RunFacts("run-a", "catalog", "SUCCESS", now, "2026-03-02")]
    report = build_report(store, runs, index, now - 60, now + 60)
    costs = {name: w["cost_usd"] for name, w in report["workflows"].items()}
    assert costs == {"catalog": 0.75, "content_ops": 1.0, UNATTRIBUTED: 2.0}
    assert sum(costs.values()) == summarize(ledger.rows())["cost_usd"]
    assert report["workflows"]["catalog"]["cost_per_partition_usd"] == 0.75


def test_the_index_places_runs_by_tag_approval_job_and_steps():
    index = WorkflowIndex(assets={"drafts": "content_ops"}, jobs={"catalog_job": "catalog"})
    assert index.of_run("x", {"aiwf/workflow": "memory_maintenance"}) == "memory_maintenance"
    assert index.of_run("returns_refund_job", {"aiwf/approval_id": "apr_1"}, (), {"apr_1": "returns_triage"}) \
        == "returns_triage"
    assert index.of_run("catalog_job", {}) == "catalog"
    assert index.of_run("__ASSET_JOB", {}, ["drafts"]) == "content_ops"
    assert index.of_run("order_recovery_job", {}) == "order_recovery"
    assert index.of_run("__ASSET_JOB", {}, ["unknown"]) == UNATTRIBUTED


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    assert score_psi([0.9, 0.8, 0.85] * 20, [0.9, 0.8, 0.85] * 5) == 0
    assert score_psi([0.9] * 50, [0.3] * 50) > 0.2
    assert label_psi(["refund", "restock"] * 10, ["refund", "restock"] * 3) == 0
    assert label_psi(["refund"] * 10, ["manual_review"] * 10) > 0.2
    assert parse_since("7d", now=10 * DAY_S) == 3 * DAY_S
    assert parse_since("2026-03-01") == day_start("2026-03-01")
    with pytest.raises(ValueError):
        parse_since("last week")


def write_classifications(day: str, confidence: list[float], routes: list[str]) -> None:
    path = ParquetIOManager().path_for(dg.AssetKey("return_classifications"), day)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"return_id": [f"R-{i}" for i in range(len(routes))], "confidence": confidence,
                  "route": routes}).to_parquet(path)


@pytest.mark.parametrize("shifted", [False, True])
def test_drift_checks_compare_the_day_with_the_trailing_week(shifted):
    from pipelines.workflow_health.workflow import workflow_health

    day = "2026-03-09"
    usual = ([0.92, 0.88, 0.95, 0.81] * 5, ["refund", "restock", "repair", "refund"] * 5)
    for back in range(1, 8):
        write_classifications((dt.date(2026, 3, 9) - dt.timedelta(days=back)).isoformat(), *usual)
    write_classifications(day, *(([0.35, 0.42, 0.3, 0.5] * 5, ["manual_review"] * 20) if shifted else usual))
    result = dg.materialize([workflow_health], instance=dg.DagsterInstance.ephemeral(), partition_key=day,
                            resources={"state": StateResource(), "io_manager": ParquetIOManager()})
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in (checks.CONFIDENCE_STABLE, checks.LABELS_STABLE):
        assert evaluations[name].passed is not shifted
        assert evaluations[name].severity == dg.AssetCheckSeverity.WARN
    frame = result.output_for_node("workflow_health").set_index("workflow")
    assert frame.loc["returns_triage", "baseline_answers"] == 140 and frame.loc["returns_triage", "answers"] == 20
    if shifted:
        assert "returns_triage: PSI" in evaluations[checks.CONFIDENCE_STABLE].description
        assert frame.loc["returns_triage", "label_psi"] > 0.2


@pytest.mark.parametrize("today_cost,spiked", [(0.015, False), (0.05, True)])
def test_cost_per_partition_is_held_to_twice_its_trailing_median(today_cost, spiked):
    store, day = local_store(), "2026-03-09"
    start, ledger, runs = day_start(day), CallLedger(store), []
    for back, cost in ((1, 0.010), (2, 0.012), (3, 0.008), (0, today_cost)):
        ts = start - back * DAY_S + 3600
        ledger.record(CallRecord("chat", "gpt-4o-mini", "h", "ok", run_id=f"run-{back}", asset_key="drafts",
                                 cost_usd=cost, latency_ms=5.0, ts=ts))
        runs.append(RunFacts(f"run-{back}", "content_ops", "SUCCESS", ts, f"2026-03-0{9 - back}"))
    frame = day_health(store, runs, WorkflowIndex(assets={"drafts": "content_ops"}), day, lambda a, d: store.home / "none",
                       Thresholds())
    row = frame.set_index("workflow").loc["content_ops"]
    assert (row["cost_per_partition_usd"], row["trailing_median_cost_per_partition_usd"]) == (today_cost, 0.01)
    result = checks.cost_check(frame, Thresholds())
    assert result.passed is not spiked and result.severity == dg.AssetCheckSeverity.WARN
    if spiked:
        assert "content_ops: $0.0500 per partition > 2.0x the trailing median $0.0100" in result.description


def test_checks_pass_and_say_why_when_a_figure_cannot_be_computed():
    frame = pd.DataFrame([{"workflow": "catalog", "override_rate": None, "confidence_psi": None, "label_psi": None,
                           "cost_per_partition_usd": 0.5, "trailing_median_cost_per_partition_usd": None,
                           "decisions": 0}])
    for check in checks.CHECKS.values():
        result = check(frame, Thresholds())
        assert result.passed and result.description


def test_the_nightly_schedule_asks_for_yesterday():
    from pipelines.definitions import defs
    from pipelines.workflow_health import workflow

    assert [a.key.to_user_string() for a in workflow.assets] == ["workflow_health"]
    assert workflow.asset_checks == [] and workflow.sensors == [] and len(workflow.jobs) == 1
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 10, 0, 30, tzinfo=dt.UTC),
        repository_def=with_health(defs).get_repository_def())
    request = workflow.workflow_health_nightly.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-03-09"


@pytest.mark.integration
def test_the_report_is_the_same_on_postgres(pg_url):
    from pipelines.reporting.call_figures import daily_costs
    from resources.state.store import Store

    now, reports = time.time(), []
    index = WorkflowIndex(assets={"drafts": "content_ops"})
    runs = [RunFacts("run-a", "catalog", "SUCCESS", now, DAY, {"step": 1.5}, checks_passed=2)]
    for store in (local_store(), Store(pg_url, local_store().home)):
        ledger = CallLedger(store)
        for i in range(7):
            ledger.record(CallRecord("chat", "gpt-4o" if i % 2 else "gpt-4o-mini", f"h{i}", "error" if i == 6 else "ok",
                                     run_id="run-a", asset_key=None if i == 5 else "drafts", cost_usd=0.001 * i,
                                     tokens_in=10 * i, latency_ms=12.34 * (7 - i), cache_hit=i == 4, ts=now))
        decide_some(store)
        Quarantine(store).put(workflow="catalog", asset_key="x", partition_key=DAY, row_key="r", payload={},
                              error_class="invalid_row", reason="test")
        action = Action("catalog", "sku-1", "update", {"price": 1}, "1")
        ActionLedger(store).claim(action, "shop", "run-a")
        ActionLedger(store).mark(action.key, "failed", error="boom")
        reports.append((build_report(store, runs, index, now - 60, now + 60),
                        daily_costs(store, now - 60, now + 60, index, {"run-a": "catalog"})))
    assert reports[0] == reports[1]
    report = reports[0][0]
    assert set(report["workflows"]) == {"catalog", "content_ops", "returns_triage"}
    assert report["workflows"]["catalog"]["side_effects"]["failed"] == 1
    assert report["workflows"]["returns_triage"]["approvals"]["override_rate"] == round(2 / 3, 4)
