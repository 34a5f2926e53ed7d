"""A 30-day backfill of returns triage (its feed, the batch asset `return_classifications`, routing and review
queue, with their checks) is one run, not thirty (the chain's multi-run BackfillPolicy), with every day's table,
checkpoints, quarantine and ledger rows kept apart.

As in test_backfill_policy.py, the backfill is launched through the webserver's GraphQL schema
(`launchPartitionBackfill` on an asset selection) and carried out by a real `dagster-daemon run`; the model is
the offline test double over HTTP. `test_single_partition_runs_for_comparison` runs the backfill of two of
those days one partition per run and prints its wall time per day (no timed assertion)."""

import os
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from backfill_daemon import launch_backfill, start_daemon, stop_daemon

HERE = Path(__file__).resolve().parent
DEFS = HERE / "returns_backfill_defs.py"
LOCATION = "returns_backfill"
DAYS = [f"2026-03-{d:02d}" for d in range(1, 31)]
COMPARISON_DAYS = DAYS[:2]  # two days are enough to tell one run per day from one run for all (~9 s per run)
ROWS_PER_DAY = 4  # per-day tables, checkpoints and ledger rows; 120 model rows in the 30-day run
CHAIN = ["return_requests", "return_classifications", "return_routing", "return_review_queue"]
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
def write_feed(folder: Path, salt: str) -> None:
    """One returns file per day of March (notes salted per test: no answer comes from another test's cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    for day in DAYS:
        rows = [{"return_id": f"R-{day}-{i}", "order_id": f"O-{day}-{i}", "sku": f"SKU-{i}", "product": "Kettle",
                 "category": "kitchen", "price_eur": str(20 + i), "days_since_delivery": str(i + 1),
                 "customer_returns_90d": "0",
                 "customer_note": f"Kettle {i} is defective with functional damage, delivered {day}; please refund "
                                  f"({salt})."}  # names its classes: the offline double answers consistently
                for i in range(ROWS_PER_DAY)]
        pd.DataFrame(rows).to_csv(folder / f"returns_{day}.csv", index=False)


@pytest.fixture
def returns_env(deploy_env, offline_server, tmp_path, monkeypatch):
    """AIWF_HOME, the returns inbox with a file per day, and the offline model for the run workers."""
    from resources.offline.keys import OFFLINE_KEY

    offline_server.configure(latency_ms=0, fail_429_rate=0, fail_500_rate=0, timeout_rate=0, fail_400_on=None,
                             reset_counters=True)
    monkeypatch.setenv("AIWF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIWF_RETURNS_DIR", str(tmp_path / "returns"))
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", OFFLINE_KEY)
    write_feed(tmp_path / "returns", tmp_path.name)
    sys.path.insert(0, str(HERE))
    return deploy_env


def run_backfill(env: Path, tmp_path: Path, days: list[str] = DAYS, timeout: float = 900) -> tuple[list, float]:
    """Launch the backfill of `days` (30 by default), run the daemon until its runs have ended and either the chain is
    materialized for every day or the backfill is no longer REQUESTED; its runs and wall seconds (from the launch to the
    last run's end)."""
    with dg.DagsterInstance.from_config(str(env)) as instance:
        daemon = start_daemon(tmp_path, DEFS, LOCATION)
        try:
            started = time.time()
            backfill_id = launch_backfill(instance, DEFS, LOCATION, CHAIN, days)
            deadline = started + timeout
            while time.time() < deadline:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-2000:]
                backfill = instance.get_backfill(backfill_id)
                runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
                if runs and all(r.status in DONE for r in runs) and (
                        backfill.status.value != "REQUESTED" or chain_done(instance, days)):
                    ended = max(instance.get_run_record_by_id(r.run_id).end_time for r in runs)
                    return runs, ended - started
                time.sleep(0.5)
        finally:
            stop_daemon(daemon)
    raise AssertionError(f"backfill did not finish in {timeout}s: {(tmp_path / 'daemon.log').read_text()[-3000:]}")


def chain_done(instance, days: list[str]) -> bool:
    """Every asset of the chain materialized for every day: the backfill has nothing left to request, so its runs are
    all there without waiting up to 30 s for the backfill daemon's next pass to mark it complete."""
    return all(set(days) <= instance.get_materialized_partitions(dg.AssetKey(name)) for name in CHAIN)


def failures(env: Path, runs) -> str:
    """What went wrong in the runs that failed, from their event logs."""
    with dg.DagsterInstance.from_config(str(env)) as instance:
        return "\n".join(e.dagster_event.event_specific_data.error.to_string() if e.dagster_event.is_step_failure
                         else e.message for r in runs if r.status != dg.DagsterRunStatus.SUCCESS
                         for e in instance.all_logs(r.run_id) if e.is_dagster_event and (
                             e.dagster_event.is_step_failure or e.dagster_event.is_run_failure))[-4000:]


def check_every_day(env: Path, runs, offline_server, days: list[str] = DAYS) -> None:
    from resources.llm.ledger import CallLedger
    from resources.state.checkpoints import Checkpoints
    from resources.state.parquet_io_manager import ParquetIOManager
    from resources.state.quarantine import Quarantine
    from resources.state.resource import StateResource

    assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}, failures(env, runs)
    store = StateResource(home=os.environ["AIWF_HOME"], pg_url=os.environ["AIWF_PG_URL"]).store()
    checkpoints, ledger = Checkpoints(store), CallLedger(store)
    held = {(r["partition_key"], r["row_key"]): r["reason"] for r in Quarantine(store).rows("return_classifications")}
    for day in days:  # each day's rows are in its own table or quarantined under it, with its own checkpoints
        table = pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("return_classifications"), day))
        quarantined = {key for (partition, key) in held if partition == day}
        assert sorted(set(table["return_id"]) | quarantined) == sorted(f"R-{day}-{i}" for i in range(ROWS_PER_DAY))
        assert checkpoints.count("return_classifications", day) == len(table)
        assert any(ledger.run_cost(r.run_id, day)[1] > 0 for r in runs)  # metered under its own day
    assert len(held) <= 0.2 * len(days) * ROWS_PER_DAY, held  # the asset's max_failure_rate
    for day in days:  # the rest of the chain, per day too
        for name in ("return_requests", "return_routing", "return_review_queue"):
            assert ParquetIOManager().path_for(dg.AssetKey(name), day).exists(), (name, day)


@pytest.mark.integration
def test_a_30_day_backfill_of_returns_triage_runs_as_one_run(returns_env, offline_server, tmp_path):
    runs, wall_s = run_backfill(returns_env, tmp_path)
    print(f"\n30-day backfill of returns triage (4 assets): {len(runs)} run(s), {wall_s:.1f} s")
    assert len(runs) <= 2
    assert {r.job_name for r in runs} == {"__ASSET_JOB"}
    check_every_day(returns_env, runs, offline_server)


@pytest.mark.integration
def test_single_partition_runs_for_comparison(returns_env, offline_server, tmp_path, monkeypatch):
    from returns_backfill_defs import RUN_SIZE_ENV

    monkeypatch.setenv(RUN_SIZE_ENV, "1")  # the code server and run workers build the asset with 1 per run
    runs, wall_s = run_backfill(returns_env, tmp_path, COMPARISON_DAYS)
    print(f"\n{len(COMPARISON_DAYS)}-day backfill of returns triage, one partition per run: {len(runs)} runs, "
          f"{wall_s:.1f} s ({wall_s / len(runs):.1f} s per day)")
    assert len(runs) == len(COMPARISON_DAYS)
    check_every_day(returns_env, runs, offline_server, COMPARISON_DAYS)
