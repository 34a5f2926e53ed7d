"""`aiwf estimate` on days never run: no model request, and the backfill then bills what it said within 15%."""

import json

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from test_returns_triage import DAY, endpoint  # noqa: F401 (the offline server, the sample returns of DAY)

from pipelines.cli import main
from pipelines.cli.demo import SAMPLES
from pipelines.returns_triage.feed import returns_dir

HISTORY_DAY, DAYS = DAY, ["2026-03-03", "2026-03-04", "2026-03-05"]
SAMPLE = SAMPLES / "returns" / f"returns_{HISTORY_DAY}.csv"


def drop_day(day: str, n: int) -> int:
    """A day's returns file: the sample's rows with new ids and prices (new requests, not cache hits)."""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    frame["return_id"] = [f"{v}-{day}" if v else v for v in frame["return_id"]]
    frame["price_eur"] = [f"{float(p) + n * 0.37:.2f}" if p.replace(".", "", 1).isdigit() else p
                          for p in frame["price_eur"]]
    frame.to_csv(returns_dir() / f"returns_{day}.csv", index=False)
    return len(frame)


def run_day(day: str):
    from pipelines.definitions import defs

    return defs.resolve_job_def("returns_triage_job").execute_in_process(
        partition_key=day, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def billed(days: list[str]) -> float:
    marks = ", ".join("?" * len(days))
    return float(local_store().execute(
        f"SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls WHERE asset_key = 'return_classifications' AND "
        f"partition_key IN ({marks})", days)[0][0])


def estimate(capsys, *args) -> dict:
    assert main(["estimate", "--job", "returns_triage_job", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_estimate_of_days_never_run_costs_no_request_and_matches_the_backfill(endpoint, capsys):
    assert run_day(HISTORY_DAY).success  # the prompt version's history
    for n, day in enumerate(DAYS, start=1):
        drop_day(day, n)
    endpoint.configure(reset_counters=True)

    figures = estimate(capsys, "--partitions", f"{DAYS[0]}...{DAYS[-1]}", "--json")
    assert endpoint.counters()["requests"] == 0
    assert list(figures) == ["rows", "rows_cached", "tokens_in", "tokens_out", "cost_usd", "cost_usd_p90", "wall_s",
                             "unpriced_models", "budget_left_usd", "lower_bound"]
    assert figures["rows"] >= 90 and figures["unpriced_models"] == [] and figures["budget_left_usd"] is None

    for day in DAYS:
        assert run_day(day).success
    cost = billed(DAYS)
    assert cost == pytest.approx(figures["cost_usd"], rel=0.15), (cost, figures)
    assert figures["cost_usd_p90"] >= figures["cost_usd"]

    again = estimate(capsys, "--partitions", f"{DAYS[0]}...{DAYS[-1]}", "--json")
    assert again["rows"] == 0 and again["cost_usd"] == 0  # every row is checkpointed now


def test_a_prompt_with_no_history_is_estimated_from_characters(endpoint, capsys, tmp_path, monkeypatch):
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("budgets:\n  - {scope: workflow, name: returns_triage, usd: 5.00, window: day}\n"
                       "  - {scope: tag, name: \"team=growth\", usd: 0.5, window: month}\n")
    monkeypatch.setenv("AIWF_BUDGETS", str(budgets))
    drop_day(DAYS[0], 1)
    figures = estimate(capsys, "--partitions", DAYS[0], "--json")
    assert figures["rows"] == 35 and figures["cost_usd"] > 0 and figures["budget_left_usd"] == 5.0
    assert estimate(capsys, "--partitions", DAYS[0], "--tag", "team=growth", "--json")["budget_left_usd"] == 0.5
    assert main(["estimate", "--job", "returns_triage_job", "--partitions", DAYS[0]]) == 0
    out = capsys.readouterr().out
    assert "no history for return_triage@" in out and endpoint.counters()["requests"] == 0
