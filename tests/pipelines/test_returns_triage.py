"""Returns triage end to end on the sample feed: routing, quarantine, review, no repeat calls, re-drive, drops."""

import shutil

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store

from pipelines.cli.demo import SAMPLES
from pipelines.returns_triage.feed import read_feed_file, returns_dir
from resources.approvals.store import ApprovalStore
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource

DAY = "2026-03-02"
SAMPLE = SAMPLES / "returns" / f"returns_{DAY}.csv"


@pytest.fixture
def endpoint(offline_server, offline_llm, monkeypatch):
    """Point the project's LLM resource (configured from the environment) at the offline server."""
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    offline_server.configure(reset_counters=True)
    shutil.copy(SAMPLE, returns_dir() / SAMPLE.name)
    return offline_server


def run_triage(instance=None):
    from pipelines.definitions import defs

    return defs.resolve_job_def("returns_triage_job").execute_in_process(
        partition_key=DAY, instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey(name), DAY))


def answered(server) -> int:
    return server.counters()["answered"]["chat.completions"]


def test_triage_routes_returns_flags_risk_and_quarantines_bad_rows(endpoint):
    result = run_triage()
    assert result.success
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert {c.asset_check_key.name: c.passed for c in checks} == {
        "return_files_are_all_readable": True, "return_routing_matches_expectations": True,
        "return_classifications_has_no_pii": True, "return_classifications_has_no_prompt_injection": True,
        "return_classifications_canary_is_no_worse": True}  # no canary runs: the shipped share is 0

    held = {r["row_key"]: r["error_class"] for r in Quarantine(local_store()).rows("return_classifications")}
    assert {k: v for k, v in held.items() if v != "verification_failed"} == {
        "#35": "missing_key", "R-1037": "invalid_row", "R-1038": "invalid_row", "R-1003#38": "duplicate_key",
        "R-1040": "oversized_input"}
    routing = table("return_routing").set_index("return_id")
    assert len(routing) + len(held) == 40
    assert set(routing["route"]) <= {"restock", "refurbish", "refund", "repair", "manual_review"}
    injected = routing.loc["R-1026"]
    assert injected["needs_review"] and "prompt-injection" in injected["review_reasons"]
    pending = {a.item_key for a in ApprovalStore(local_store()).list(status="pending", workflow="returns_triage")}
    assert "R-1026" in pending and pending == set(routing.index[routing["needs_review"]])

    calls = answered(endpoint)
    assert calls >= len(routing)
    assert run_triage().success and answered(endpoint) == calls  # the second run pays for nothing


def test_quarantine_retry_redrives_only_the_failed_rows(endpoint, capsys):
    from pipelines.cli import main

    endpoint.configure(fail_400_on="Gooseneck kettle")  # the model refuses R-1001
    assert run_triage().success
    held = {r["row_key"]: r for r in Quarantine(local_store()).rows("return_classifications")}
    assert held["R-1001"]["error_class"] == "context_too_long"
    endpoint.configure(fail_400_on=None, reset_counters=True)

    assert main(["quarantine", "retry", "--asset", "return_classifications"]) == 0
    assert answered(endpoint) == 1  # R-1001 alone; the bad input rows cannot be helped by a model
    assert "R-1001" in table("return_routing")["return_id"].values
    resolved = [r["row_key"] for r in Quarantine(local_store()).rows("return_classifications", status="resolved")]
    assert resolved == ["R-1001"]
    main(["quarantine", "list", "--asset", "return_classifications"])
    assert "5 open row(s)" in capsys.readouterr().out


def test_parquet_and_csv_drops_trigger_runs_and_broken_files_are_quarantined():
    from pipelines.definitions import defs
    from pipelines.returns_triage.workflow import return_requests, returns_drop_sensors

    folder = returns_dir()
    good = pd.read_csv(SAMPLE, dtype=str).head(2)
    good.assign(price_eur=[89.0, 149.0]).to_parquet(folder / "returns_2026-03-05.parquet")
    (folder / "returns_2026-03-05.csv").write_text("id,note\n1,missing the real columns\n")
    frame = read_feed_file(folder / "returns_2026-03-05.parquet")
    assert frame.loc[0, "price_eur"] == "89.0" and frame.loc[0, "source_file"] == "returns_2026-03-05.parquet"

    for sensor in returns_drop_sensors:
        context = dg.build_sensor_context(definitions=defs, resources={"state": StateResource()})
        requests = sensor.evaluate_tick(context).run_requests
        assert [r.partition_key for r in requests] == ["2026-03-05"]

    result = dg.materialize([return_requests], partition_key="2026-03-05",
                            resources={"io_manager": ParquetIOManager(), "state": StateResource()})
    assert result.success and result.output_for_node("return_requests").shape[0] == 2
    held = Quarantine(local_store()).rows("return_requests")
    assert [(r["row_key"], r["error_class"]) for r in held] == [("returns_2026-03-05.csv", "invalid_file")]
    assert "missing column(s)" in held[0]["reason"]


def test_an_unusable_file_fails_a_warning_by_name_and_is_quarantined_once_under_its_day():
    from pipelines.returns_triage.workflow import return_requests

    folder = returns_dir()
    pd.read_csv(SAMPLE, dtype=str).head(2).to_csv(folder / "returns_2026-03-05.csv", index=False)
    (folder / "returns_2026-03-05.parquet").write_bytes(b"not parquet at all")
    resources = {"io_manager": ParquetIOManager(), "state": StateResource()}
    result = dg.materialize([return_requests], partition_key="2026-03-05", resources=resources)
    assert result.success and len(result.output_for_node("return_requests")) == 2  # the good file goes on
    check = result.get_asset_check_evaluations()[0]
    assert check.check_name == "return_files_are_all_readable"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    rejected = check.metadata["rejected_files"].value
    assert list(rejected) == ["returns_2026-03-05.parquet"] and "unreadable parquet file" in rejected[
        "returns_2026-03-05.parquet"]
    assert "returns_2026-03-05.parquet: unreadable parquet file" in check.description

    other = dg.materialize([return_requests], partition_key="2026-03-06", resources=resources)
    assert other.get_asset_check_evaluations()[0].passed  # another day's run neither reports nor quarantines it
    held = Quarantine(local_store()).rows("return_requests")
    assert [(r["row_key"], r["partition_key"]) for r in held] == [("returns_2026-03-05.parquet", "2026-03-05")]
