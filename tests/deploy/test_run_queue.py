"""Queued runs submitted through the QueuedRunCoordinator never exceed the run and per-provider limits.

Six runs are enough: four of one provider wait on its limit of 2 (two waves), and the first dequeue finds a
fourth run the provider limit allows but the run limit of 3 holds back."""

import time

import dagster as dg
import pytest
from conftest import write_instance_yaml

from sensors.dagster_internals import QueuedRunCoordinatorDaemon

pytestmark = pytest.mark.integration

MAX_RUNS, PER_PROVIDER = 3, 2
IN_PROGRESS = {dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED}


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant; an interval ending exactly when another starts does not overlap."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                   key=lambda e: (e[0], e[1]))
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


def test_queued_runs_respect_max_concurrent_runs_and_provider_limits(deploy_env, code_location, tmp_path):
    # The real path: QueuedRunCoordinator, the daemon's dequeue loop, the DefaultRunLauncher and a code server.
    write_instance_yaml(deploy_env, {
        "concurrency": {"runs": {"max_concurrent_runs": MAX_RUNS, "tag_concurrency_limits": [
            {"key": "aiwf/provider", "value": {"applyLimitPerUniqueValue": True}, "limit": PER_PROVIDER}]}},
    })
    providers = ["openai"] * 4 + ["anthropic"] * 2
    # Each run holds its slot until the test has seen every slot taken (at most 120 s), so whether the limit is
    # reached does not hang on how fast a loaded machine launches run workers; the runs after the release end at once.
    release = tmp_path / "release"
    config = {"ops": {"queued_work": {"config": {"seconds": 120.0, "release": str(release)}}}}
    instance = dg.DagsterInstance.from_config(str(deploy_env))
    with instance, code_location.workspace(instance, grpc=True) as ctx:
        runs = [code_location.create_run(instance, ctx, "queue_job", config, {"aiwf/provider": p})
                for p in providers]
        for run in runs:
            instance.submit_run(run.run_id, ctx.create_request_context())
        assert {instance.get_run_by_id(r.run_id).status for r in runs} == {dg.DagsterRunStatus.QUEUED}

        peak_seen, passes_at_limit, deadline = 0, 0, time.time() + 300  # a time-out, not a speed claim
        with QueuedRunCoordinatorDaemon(interval_seconds=0.2) as daemon:
            while time.time() < deadline:
                list(daemon.run_iteration(ctx))
                statuses = [instance.get_run_by_id(r.run_id).status for r in runs]
                in_progress = sum(s in IN_PROGRESS for s in statuses)
                peak_seen, passes_at_limit = max(peak_seen, in_progress), passes_at_limit + (in_progress == MAX_RUNS)
                if passes_at_limit == 10:  # ten dequeue passes with every run slot held launched no fourth run
                    release.touch()
                if all(s == dg.DagsterRunStatus.SUCCESS for s in statuses):
                    break
                time.sleep(0.2)
        assert [instance.get_run_by_id(r.run_id).status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * len(runs)
        stats = {r.run_id: instance.get_run_stats(r.run_id) for r in runs}
        spans = {r.run_id: (stats[r.run_id].launch_time, stats[r.run_id].end_time) for r in runs}

    assert peak_seen <= MAX_RUNS
    assert _max_overlap(list(spans.values())) == MAX_RUNS  # the limit is reached, never passed
    for provider in ("openai", "anthropic"):
        mine = [spans[r.run_id] for r, p in zip(runs, providers) if p == provider]
        assert _max_overlap(mine) <= PER_PROVIDER, provider
    assert _max_overlap([spans[r.run_id] for r, p in zip(runs, providers) if p == "openai"]) == PER_PROVIDER


def test_max_overlap_counts_touching_intervals_as_sequential():
    assert _max_overlap([(0, 1), (1, 2), (2, 3)]) == 1
    assert _max_overlap([(0, 2), (1, 3), (1.5, 4), (3.5, 5)]) == 3
