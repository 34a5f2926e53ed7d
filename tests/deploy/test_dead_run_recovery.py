"""A run whose worker process is SIGKILLed mid-step is failed by the watchdog within one sweep and
retried once from failure through the queue: it never stays STARTED, and finished steps are not redone."""

import logging
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from sensors.dagster_internals import (
    AUTO_RETRY_RUN_ID_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
    ExecuteRunArgs,
    QueuedRunCoordinatorDaemon,
    consume_new_runs_for_automatic_reexecution,
)
from sensors.run_watchdog import DEFAULT_TIMEOUT_S, run_watchdog_sensor, sweep_dead_runs

pytestmark = pytest.mark.integration


def _run_worker(instance, run) -> subprocess.Popen:
    """A run worker as launchers start one (`dagster api execute_run`), with no code server watching it,
    as after the code server that spawned it died too."""
    args = ExecuteRunArgs(job_origin=run.job_code_origin, run_id=run.run_id, instance_ref=instance.get_ref())
    return subprocess.Popen([sys.executable, "-m", "dagster", "api", "execute_run", dg.serialize_value(args)],
                            stdout=subprocess.DEVNULL)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while not (value := predicate()):
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return value


def _state(pid: int) -> str:
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]


def _started_steps(instance, run_id: str) -> list[str]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    return [r.event_log_entry.step_key for r in records]


def test_killed_run_worker_is_failed_by_the_watchdog_and_retried_from_failure(
    deploy_instance, code_location, tmp_path
):
    instance, marker = deploy_instance, tmp_path / "slow-step-started"
    config = {"ops": {"crash_slow": {"config": {"marker": str(marker)}}}}
    with code_location.workspace(instance, grpc=True) as ctx:
        run = code_location.create_run(instance, ctx, "crash_job", config, {"aiwf/provider": "openai"})
        worker = _run_worker(instance, run)
        try:
            _wait_for(marker.exists, 60, "the slow step to start")
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
            assert sweep_dead_runs(instance) == []  # a live worker is left alone

            os.kill(worker.pid, signal.SIGKILL)  # not reaped: the zombie must count as dead
            killed_at = time.time()
            _wait_for(lambda: _state(worker.pid) == "Z", 10, "the kernel to finish the kill")
            tick = run_watchdog_sensor(dg.build_sensor_context(instance=instance))
            detected_s = time.time() - killed_at
        finally:
            worker.kill()
            worker.wait()

        failed = instance.get_run_by_id(run.run_id)
        assert "1 dead run" in tick.skip_message
        # the first tick after the kill fails it: no waiting out the silence timeout (a ratio, not seconds, so a
        # loaded machine's slow tick does not fail the test)
        assert failed.status == dg.DagsterRunStatus.FAILURE and detected_s < DEFAULT_TIMEOUT_S / 10
        assert failed.tags[RUN_FAILURE_REASON_TAG] == "UNEXPECTED_TERMINATION"
        assert failed.tags[WILL_RETRY_TAG] == "true"  # deploy/dagster.yaml: run_retries, max_retries 1
        assert _started_steps(instance, run.run_id) == ["crash_first", "crash_slow"]

        # Dagster's own retry (the daemon's event-log consumer): a FROM_FAILURE re-execution, queued.
        records = instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id]))
        list(consume_new_runs_for_automatic_reexecution(ctx, records, logging.getLogger("test")))
        retry = instance.get_run_by_id(instance.get_run_by_id(run.run_id).tags[AUTO_RETRY_RUN_ID_TAG])
        assert retry.status == dg.DagsterRunStatus.QUEUED and retry.parent_run_id == run.run_id

        with QueuedRunCoordinatorDaemon(interval_seconds=0.2) as daemon:  # dequeued, DefaultRunLauncher
            list(daemon.run_iteration(ctx))
        done = _wait_for(lambda: (r := instance.get_run_by_id(retry.run_id)).is_finished and r, 90, "the retry")

    assert done.status == dg.DagsterRunStatus.SUCCESS
    assert _started_steps(instance, retry.run_id) == ["crash_slow"]  # crash_first's output was reused
    assert sweep_dead_runs(instance) == []
    # One retry only: were the retry to die as well, no third run would be made.
    assert done.tags["dagster/retry_number"] == "1"
