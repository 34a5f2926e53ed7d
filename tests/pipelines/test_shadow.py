"""`aiwf shadow` after `aiwf demo`: a candidate prompt version re-runs a demo day with every side effect off."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from aiwf_state import local_store
from demo_home import CountingApp

from pipelines import cli
from resources.offline.shop_server import ShopServer

DAY = "2026-03-02"  # the demo's returns day (pipelines/cli/demo_samples/returns)
REQUIRED = {"rows", "agreement", "per_field", "check_failures", "cost_usd", "baseline_cost_usd", "p95_latency_ms",
            "side_effects_sent", "approvals_created", "diff_report"}


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def approvals_count() -> int:
    return local_store().query("SELECT COUNT(*) AS n FROM approvals")[0]["n"]


@pytest.fixture
def shop():
    server = ShopServer()
    counting = server.app = CountingApp(server.app)
    with server:
        yield server, counting


def used_home(demo_home, aiwf_home, monkeypatch):
    """A copy of the session's demo home, with the shop that demo used as AIWF_SHOP_URL; that shop's counter."""
    assert demo_home.exit == 0 and demo_home.shop_requests_by_demo, demo_home.stdout  # the demo did use this shop
    demo_home.copy_to(aiwf_home)
    monkeypatch.setenv("AIWF_SHOP_URL", demo_home.shop_url)
    return demo_home.shop


def test_shadow_run_after_the_demo_sends_nothing_and_leaves_production_alone(demo_home, aiwf_home, monkeypatch,
                                                                             capsys):
    counting = used_home(demo_home, aiwf_home, monkeypatch)
    tables = file_hashes(aiwf_home / "tables")
    approvals, seen = approvals_count(), len(counting.requests)
    assert approvals > 0 and any(k.startswith("return_classifications/") for k in tables)

    code, out = run(capsys, "shadow", "--asset", "return_classifications", "--partition", DAY,
                    "--prompt-version", "2", "--json")
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])

    assert REQUIRED <= set(summary)
    assert summary["side_effects_sent"] == 0 and summary["approvals_created"] == 0
    assert counting.requests[seen:] == []  # the shop saw no request at all
    assert approvals_count() == approvals
    assert file_hashes(aiwf_home / "tables") == tables  # production tables byte for byte

    rows = len(pd.read_csv(Path(cli.__file__).parent / "demo_samples" / "returns" / f"returns_{DAY}.csv"))
    assert summary["rows"] == rows and summary["rows_answered"] + summary["rows_failed"] == rows
    assert set(summary["per_field"]) == {"reason", "damage", "fraud_risk", "route"}
    assert 0 <= summary["agreement"] <= min(summary["per_field"].values()) <= 1
    assert summary["cost_usd"] > 0 and summary["baseline_cost_usd"] > 0 and summary["p95_latency_ms"] > 0
    assert summary["candidate"] == "return_triage@2" and summary["production"] == "return_triage@1"
    assert {"return_classifications_has_no_pii", "return_classifications_has_no_prompt_injection"} <= set(
        summary["checks"])  # evaluated on the shadow table itself
    assert summary["check_failures"] == sum(not ok for ok in summary["checks"].values())

    shadow_table = Path(summary["shadow_table"])
    assert shadow_table.is_relative_to(aiwf_home / "shadow") and len(pd.read_parquet(shadow_table)) == \
        summary["rows_answered"]
    report = Path(summary["diff_report"]).read_text()
    assert report.startswith("<!doctype html>") and "R-1001" in report
    assert "<script" not in report and "src=" not in report and "href=" not in report  # renders offline

    from dagster import RunsFilter

    from resources.state.home import open_dagster_instance

    with open_dagster_instance() as instance:
        runs = instance.get_runs(filters=RunsFilter(tags={"aiwf/shadow": "1"}))
    assert [r.job_name for r in runs] == ["shadow_run_job"] and runs[0].is_success


def test_shadow_refuses_an_asset_that_is_not_a_batch_asset(capsys):
    code = cli.main(["shadow", "--asset", "return_routing", "--partition", DAY, "--prompt-version", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "not a batch (llm_map) asset" in err and "return_classifications" in err


def test_shadow_on_another_model_compares_with_the_store_live_version(shop, aiwf_home, monkeypatch, capsys):
    """Production answers with the version promoted in the Store (not the file's `live: "1"`): the baseline is that
    version's; `--model M` answers the candidate with M (the ledger says so) and the figures keep their keys."""
    from pipelines.prompt_catalog import prompt_file
    from resources.llm.ledger import CallLedger
    from resources.llm.prompt_registry import PromptRegistry

    from pipelines.cli import demo

    server, _ = shop
    monkeypatch.setenv("AIWF_SHOP_URL", server.url)
    monkeypatch.setattr(demo, "DEMO_JOBS", [s for s in demo.DEMO_JOBS if s.job == "returns_triage_job"])  # its day
    PromptRegistry(local_store()).promote(prompt_file("return_triage"), "2", reason="test: production on v2")
    code, out = run(capsys, "demo", "--json")
    assert code == 0, out

    args = ["shadow", "--asset", "return_classifications", "--partition", DAY, "--prompt-version", "1", "--json"]
    code, out = run(capsys, *args)
    assert code == 0, out
    plain = json.loads(out.strip().splitlines()[-1])
    code, out = run(capsys, *args, "--model", "gpt-4.1-mini")
    assert code == 0, out
    other = json.loads(out.strip().splitlines()[-1])

    for summary in (plain, other):  # production is the Store's live version, and it was paid for under it
        assert summary["production"] == "return_triage@2" and summary["baseline_cost_usd"] > 0
    assert plain["candidate"] == "return_triage@1" and other["candidate"] == "return_triage@1 on gpt-4.1-mini"
    assert set(other) == set(plain) and REQUIRED <= set(other)
    assert set(other["per_field"]) == set(plain["per_field"]) == {"reason", "damage", "fraud_risk", "route"}

    ledger = CallLedger(local_store())
    candidate_rows = ledger.rows([other["run_id"]])
    assert candidate_rows and {r["model"] for r in candidate_rows} == {"gpt-4.1-mini"}
    assert "gpt-4.1-mini" not in {r["model"] for r in ledger.rows([plain["run_id"]])}  # the tier's model there
    table, plain_table = pd.read_parquet(other["shadow_table"]), pd.read_parquet(plain["shadow_table"])
    assert list(table.columns) == list(plain_table.columns) and other["shadow_table"] != plain["shadow_table"]
    if "llm_model" in table.columns:
        assert set(table["llm_model"]) == {"gpt-4.1-mini"}


@pytest.mark.parametrize("asset, version, field", [("drafts", "3", "body"), ("research_notes", "2", "notes"),
                                                   ("product_descriptions", "2", "description")])
def test_shadow_of_a_content_or_catalog_step_after_the_demo(demo_home, aiwf_home, monkeypatch, capsys, asset,
                                                            version, field):
    """The steps that read memory or a second table (drafts, product copy) are shadowed as the asset runs them:
    their `prepare` and `output` hooks, never their `after` hook (nothing is remembered, nothing is published)."""
    from pipelines.cli.demo import CATALOG_DAY

    counting = used_home(demo_home, aiwf_home, monkeypatch)
    day = CATALOG_DAY if asset == "product_descriptions" else next((aiwf_home / "tables" / asset).iterdir()).stem
    tables, memory = file_hashes(aiwf_home / "tables"), file_hashes(aiwf_home / "lancedb")
    approvals, seen = approvals_count(), len(counting.requests)

    code, out = run(capsys, "shadow", "--asset", asset, "--partition", day, "--prompt-version", version, "--json")
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    assert REQUIRED <= set(summary) and set(summary["per_field"]) == {field}
    assert summary["side_effects_sent"] == 0 and summary["approvals_created"] == 0
    assert counting.requests[seen:] == [] and approvals_count() == approvals
    assert file_hashes(aiwf_home / "tables") == tables and file_hashes(aiwf_home / "lancedb") == memory
    assert summary["rows"] == summary["rows_answered"] + summary["rows_failed"] and summary["rows_answered"] > 0
    assert summary["cost_usd"] > 0 and summary["baseline_cost_usd"] > 0 and summary["p95_latency_ms"] > 0
    assert summary["candidate"].endswith(f"@{version}") and 0 <= summary["agreement"] <= 1
    production = pd.read_parquet(aiwf_home / "tables" / asset / f"{day}.parquet")
    assert list(pd.read_parquet(summary["shadow_table"]).columns) == list(production.columns)


@pytest.mark.parametrize("asset,partition,said", [
    ("return_classifications", "../../etc", "has no partition '../../etc'"),
    ("return_classifications", "2026-13-45", "has no partition '2026-13-45'"),
    ("returns_feed", "2026-03-02", "is not a batch (llm_map) asset"),
])
def test_a_shadow_run_launched_outside_the_cli_checks_its_asset_and_partition(asset, partition, said):
    """The UI or GraphQL can launch shadow_run_job with any config: it fails before reading or writing anything."""
    from pipelines.definitions import defs

    job = defs.resolve_job_def("shadow_run_job")
    config = {"ops": {"shadow_run": {"config": {"asset": asset, "partition": partition, "prompt_version": "2"}}}}
    result = job.execute_in_process(run_config=config, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert said in failure.step_failure_data.error.message
