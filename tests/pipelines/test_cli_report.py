"""`aiwf report`: the JSON line's contract, its figures against the ledger, and the HTML page in real Chromium."""

import argparse
import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from aiwf_state import local_store
from local_services import require_service

from pipelines.cli import report as report_cli
from pipelines.cli.demo import SAMPLES
from pipelines.returns_triage.feed import returns_dir
from resources.llm.ledger import CallLedger, summarize
from resources.state.home import open_dagster_instance

DAY = "2026-03-02"
CHROMIUM = "/usr/bin/chromium"
FIGURES = {"runs", "runs_succeeded", "success_rate", "cost_usd", "cost_per_successful_run_usd",
           "cost_per_partition_usd", "tokens", "llm_calls", "cache_hit_rate", "retry_rate", "latency_ms",
           "step_seconds", "checks", "quarantined_rows", "approvals", "side_effects"}
PERCENTILES = {"p50", "p95", "p99"}


def aiwf_report(*args: str) -> int:
    """`aiwf report ARGS`, through the subcommand's own add_cli (as pipelines/cli/__init__.py registers it)."""
    parser = argparse.ArgumentParser(prog="aiwf")
    report_cli.add_cli(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["report", *args])
    return parsed.func(parsed)


@pytest.fixture
def triaged(offline_server, offline_llm, monkeypatch):
    """Six returns classified by the offline model in one run on the instance at DAGSTER_HOME."""
    from pipelines.definitions import defs

    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    lines = (SAMPLES / "returns" / f"returns_{DAY}.csv").read_text().splitlines()[:7]
    (returns_dir() / f"returns_{DAY}.csv").write_text("\n".join(lines) + "\n")
    with open_dagster_instance() as instance:
        result = defs.resolve_job_def("returns_triage_job").execute_in_process(
            instance=instance, partition_key=DAY, raise_on_error=False,
            asset_selection=[dg.AssetKey("return_requests"), dg.AssetKey("return_classifications")])
    assert result.success
    return result.run_id


def test_report_json_is_the_contract_and_equals_the_ledger(triaged, capsys):
    assert aiwf_report("--json") == 0
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    assert "returns_triage:" in "\n".join(out[:-1])
    assert {"since", "workflows", "models"} <= set(report)
    w = report["workflows"]["returns_triage"]
    assert FIGURES <= set(w) and set(w["latency_ms"]) == PERCENTILES
    assert set(w["checks"]) == {"passed", "failed"} and set(w["side_effects"]) >= {"sent", "skipped", "failed"}
    assert set(w["approvals"]) >= {"total", "approved", "edited", "rejected", "override_rate"}
    assert all(set(p) == PERCENTILES for p in w["step_seconds"].values()) and "return_classifications" in w[
        "step_seconds"]
    for model in report["models"].values():
        assert {"calls", "cost_usd", "latency_ms"} <= set(model) and set(model["latency_ms"]) == PERCENTILES

    totals = summarize(CallLedger(local_store()).rows())
    assert sum(x["cost_usd"] for x in report["workflows"].values()) == pytest.approx(totals["cost_usd"], abs=1e-9)
    assert (w["llm_calls"], w["tokens"], w["runs"], w["runs_succeeded"]) == (totals["llm_calls"], totals["tokens"],
                                                                             1, 1)
    assert sum(m["calls"] for m in report["models"].values()) == totals["llm_calls"]


def test_report_for_one_workflow_and_a_bad_window(triaged, capsys):
    assert aiwf_report("--workflow", "catalog", "--since", "2h", "--json") == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert list(report["workflows"]) == ["catalog"] and report["models"] == {}
    assert report["workflows"]["catalog"]["runs"] == 0
    assert aiwf_report("--since", "last tuesday") == 2


@pytest.mark.integration
def test_report_html_is_one_self_contained_page_that_chromium_renders(triaged, tmp_path, capsys):
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    assert aiwf_report("--html", str(page)) == 0
    html = page.read_text()
    assert html.count("<svg") >= 4 and "Model cost per day" in html and "returns_triage" in html
    assert "<script" not in html and "src=" not in html and "href=" not in html and "@import" not in html
    if not Path(CHROMIUM).exists():
        require_service("Chromium", "headless Debian chromium (apt-get install -y chromium)")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--window-size=1400,1800", f"--screenshot={shot}",
                           page.as_uri()], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_the_report_benchmark_builds_its_ledger_and_counts_what_it_built(capsys):
    """benchmarks/report.py writes its synthetic ledger through the ledger's own columns: a schema change that it
    does not follow fails here, not in the next person's measurement."""
    from benchmarks import report as bench

    assert bench.main(["--calls", "3000", "--runs", "40", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["calls"], out["runs"], out["run_ids_in_ledger"]) == (3000, 40, 40)
    assert 0 < out["answered_calls"] < 3000 and out["seconds"] > 0
