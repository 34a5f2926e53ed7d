"""A backfill launched on an asset selection gets the same step policy as the named jobs: the provider limit
(the llm_provider pool of deploy/dagster.yaml) and the step retry policy, both from pipelines.policy.

The backfill is launched through Dagster's GraphQL API (`launchPartitionBackfill`, the webserver's schema run
in-process on a workspace) and carried out by a real `dagster-daemon run`: its backfill daemon submits the
runs, its run queue launches them from a code server, and each run worker claims pool slots and retries."""

import json
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
from backfill_daemon import launch_backfill, start_daemon, stop_daemon
from backfill_defs import STEP_LOG_ENV, StubModel, model_answers, queue_held_a_run

from assets.pools import LLM_POOL
from pipelines.policy import STEP_RETRY, apply_step_policy

HERE = Path(__file__).resolve().parent
LOCATION = "backfill_policy"
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
PROVIDER_LIMIT = 2  # deploy/dagster.yaml: concurrency.pools.default_limit, the llm_provider pool's limit
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
DEFS = HERE / "backfill_defs.py"


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant (one ending as another starts does not overlap)."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


def _backfill_runs(instance, backfill_id: str, daemon: subprocess.Popen, log: Path, timeout: float = 120):
    """The backfill's runs once all of them have finished."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert daemon.poll() is None, f"dagster-daemon exited: {log.read_text()[-2000:]}"
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        if len(runs) == len(DAYS) and all(r.status in DONE for r in runs):
            return runs
        time.sleep(0.5)
    raise AssertionError(f"backfill {backfill_id} did not finish in {timeout}s: {log.read_text()[-2000:]}")


def test_the_policy_is_on_the_asset_itself_not_only_on_the_named_jobs():
    """The test asset declares neither; pipelines.policy adds both, and keeps a step's own choices."""
    assert (model_answers.op.retry_policy, model_answers.op.pool) == (None, None)
    [with_policy] = apply_step_policy([model_answers])
    assert (with_policy.op.retry_policy, with_policy.op.pool) == (STEP_RETRY, LLM_POOL)
    assert with_policy.keys == model_answers.keys and with_policy.partitions_def == model_answers.partitions_def

    own = dg.RetryPolicy(max_retries=5)

    @dg.asset(retry_policy=own, pool="other_provider")
    def own_policy(llm: StubModel) -> None: ...

    @dg.asset
    def no_model() -> None: ...

    [kept, plain] = apply_step_policy([own_policy, no_model])
    assert (kept.op.retry_policy, kept.op.pool) == (own, "other_provider")
    assert (plain.op.retry_policy, plain.op.pool) == (STEP_RETRY, None)


def test_every_step_of_the_real_definitions_carries_the_policy_in_any_run():
    """__ASSET_JOB (backfills, ad-hoc selections) and its subsets, not just the named jobs."""
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    asset_job = repo.get_implicit_global_asset_job_def()
    nodes = list(asset_job.all_node_defs)
    assert nodes and all(node.retry_policy == STEP_RETRY for node in nodes)
    assert {node.name for node in nodes if node.pool == LLM_POOL} == {
        node.name for node in nodes if "llm" in node.required_resource_keys}
    for job_name in ("content_ops_job", "catalog_job", "returns_triage_job"):
        assert repo.get_job(job_name).op_retry_policy == STEP_RETRY, job_name  # the named jobs agree


@pytest.mark.integration
def test_a_three_day_backfill_keeps_the_provider_limit_and_retries_each_step(deploy_env, tmp_path, monkeypatch):
    steps = tmp_path / "steps"
    steps.mkdir()
    monkeypatch.setenv(STEP_LOG_ENV, str(steps))  # inherited by the daemon, its code server and run workers
    instance = dg.DagsterInstance.from_config(str(deploy_env))
    with instance:
        backfill_id = launch_backfill(instance, DEFS, LOCATION, ["model_answers"], DAYS)
        daemon = start_daemon(tmp_path, DEFS, LOCATION)
        try:
            runs = _backfill_runs(instance, backfill_id, daemon, tmp_path / "daemon.log")
        finally:
            stop_daemon(daemon)
        assert sorted(r.tags["dagster/partition"] for r in runs) == DAYS
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert {r.job_name for r in runs} == {"__ASSET_JOB"}
        assert not any("aiwf/provider" in r.tags for r in runs)  # no run tag helped: the pool did it
        for run in runs:  # each day's step failed once and was retried by STEP_RETRY
            retries = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
            assert len(retries.records) == 1, run.tags["dagster/partition"]
        blocked = [r.run_id for r in runs for e in instance.all_logs(r.run_id)
                   if f"blocked by limit for pool {LLM_POOL}" in (e.user_message or "")]
        # a step waited in its run for the pool, or (the pool's limit already known to the database) the run
        # queue held a run back for it: either way the provider limit, not a run tag, did it
        assert blocked or queue_held_a_run(tmp_path / "daemon.log"), "nothing ever waited for the provider pool"

    attempts = [json.loads(p.read_text()) for p in steps.glob("*.json")]
    assert sorted((a["partition"], a["retry"]) for a in attempts) == [(d, r) for d in DAYS for r in (0, 1)]
    spans = [(a["start"], a["end"]) for a in attempts]
    assert _max_overlap(spans) == PROVIDER_LIMIT  # three runs wanted it at once; two model calls at most


def test_max_overlap_counts_touching_intervals_as_sequential():
    assert _max_overlap([(0, 1), (1, 2), (2, 3)]) == 1
    assert _max_overlap([(0, 2), (1, 3), (1.5, 4), (3.5, 5)]) == 3
