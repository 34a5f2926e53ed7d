"""A run whose worker is SIGKILLed while it holds a slot of the model pool does not keep it: once the run is
failed, Dagster's run monitoring (run_monitoring.free_slots_after_run_end_seconds, set in every shipped
dagster.yaml) frees the slot, and the run that was waiting for it finishes, no person involved."""

import os
import signal
import time

import dagster as dg
import pytest
import yaml
from conftest import REPO, write_instance_yaml
from test_dead_run_recovery import _run_worker, _started_steps, _state, _wait_for

from sensors.dagster_internals import MonitoringDaemon
from sensors.run_watchdog import sweep_dead_runs

pytestmark = pytest.mark.integration
POOL = "llm_provider"


def _claimed(instance) -> int:
    return instance.event_log_storage.get_concurrency_info(POOL).active_slot_count


def test_slots_of_a_killed_run_are_freed_and_the_waiting_run_finishes(deploy_env, code_location, tmp_path):
    shipped = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["run_monitoring"]
    assert shipped["free_slots_after_run_end_seconds"] > 0
    write_instance_yaml(deploy_env, {"run_monitoring": {**shipped, "free_slots_after_run_end_seconds": 1}})
    marker, done_marker = tmp_path / "first-holds-the-slot", tmp_path / "second-runs-at-once"
    done_marker.write_text("")

    with dg.DagsterInstance.from_config(str(deploy_env)) as instance, code_location.workspace(instance) as ctx:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        first = code_location.create_run(instance, ctx, "pooled_job",
                                         {"ops": {"pooled_call": {"config": {"marker": str(marker)}}}})
        second = code_location.create_run(instance, ctx, "pooled_job",
                                          {"ops": {"pooled_call": {"config": {"marker": str(done_marker)}}}})
        workers = [_run_worker(instance, first)]
        try:
            _wait_for(marker.exists, 60, "the first run to take the pool's only slot")
            workers.append(_run_worker(instance, second))
            _wait_for(lambda: instance.get_run_by_id(second.run_id).status == dg.DagsterRunStatus.STARTED, 60,
                      "the second run to start")
            time.sleep(2)
            assert _claimed(instance) == 1 and _started_steps(instance, second.run_id) == []  # it waits

            os.kill(workers[0].pid, signal.SIGKILL)
            _wait_for(lambda: _state(workers[0].pid) == "Z", 10, "the kernel to finish the kill")
            assert [v.run_id for v in sweep_dead_runs(instance)] == [first.run_id]
            assert instance.get_run_by_id(first.run_id).status == dg.DagsterRunStatus.FAILURE
            assert _claimed(instance) == 1  # failing the run does not free what its dead step held

            time.sleep(1.5)
            with MonitoringDaemon(interval_seconds=1) as daemon:  # the daemon's MONITORING loop, one pass
                list(daemon.run_iteration(ctx))
            freed_at = time.time()
            done = _wait_for(lambda: (r := instance.get_run_by_id(second.run_id)).is_finished and r, 60,
                             "the waiting run")
            healed_s = time.time() - freed_at
        finally:
            for w in workers:
                w.kill()
                w.wait()

        assert done.status == dg.DagsterRunStatus.SUCCESS and healed_s < 30
        assert _claimed(instance) == 0
