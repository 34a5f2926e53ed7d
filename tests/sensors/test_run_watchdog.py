"""The run watchdog on a local (SQLite) instance: silence timeouts, their configuration, hung workers,
and process liveness. The crashed-worker path on Postgres is in tests/deploy/test_dead_run_recovery.py."""

import os
import subprocess
import sys
import time

import dagster as dg
import pytest

from sensors.run_watchdog import (
    _stop_hung_worker,
    run_timeout_s,
    run_watchdog_sensor,
    sweep_dead_runs,
    worker_pids_are_local,
)
from sensors.worker_liveness import process_alive


@dg.op
def noop() -> None:
    pass


@dg.job
def tiny_job():
    noop()


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def started_run(instance, tags=None) -> dg.DagsterRun:
    """A run as a worker leaves it after RUN_START: STARTED, with one event in its log."""
    run = instance.create_run_for_job(tiny_job, tags=tags or {})
    event = dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name)
    instance.report_dagster_event(event, run_id=run.run_id)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
    return run


def test_silent_runs_are_failed_and_active_ones_left_alone(instance, monkeypatch):
    monkeypatch.setenv("AIWF_RUN_TIMEOUT_S", "60")
    silent = started_run(instance)
    verdicts = sweep_dead_runs(instance, now=time.time() + 30)
    assert verdicts == []  # 30 s quiet is within the timeout

    verdicts = sweep_dead_runs(instance, now=time.time() + 61)

    assert [(v.run_id, v.cause, v.will_retry) for v in verdicts] == [(silent.run_id, "silent", False)]
    failed = instance.get_run_by_id(silent.run_id)
    assert failed.status == dg.DagsterRunStatus.FAILURE
    assert failed.tags["dagster/failure_reason"] == "UNEXPECTED_TERMINATION"
    assert sweep_dead_runs(instance, now=time.time() + 600) == []  # finished runs are never touched again


def test_default_timeout_is_five_minutes_and_a_tag_overrides_it(instance, monkeypatch):
    monkeypatch.delenv("AIWF_RUN_TIMEOUT_S", raising=False)
    default = started_run(instance)
    patient = started_run(instance, tags={"aiwf/run_timeout_s": "3600"})

    assert sweep_dead_runs(instance, now=time.time() + 290) == []
    ended = {v.run_id for v in sweep_dead_runs(instance, now=time.time() + 310)}

    assert ended == {default.run_id}
    assert instance.get_run_by_id(patient.run_id).status == dg.DagsterRunStatus.STARTED


def test_timeout_settings_reject_bad_values(monkeypatch):
    monkeypatch.setenv("AIWF_RUN_TIMEOUT_S", "five")
    with pytest.raises(ValueError, match="AIWF_RUN_TIMEOUT_S must be a number of seconds"):
        run_timeout_s()
    assert run_timeout_s({"aiwf/run_timeout_s": "12"}) == 12.0  # the tag wins over the environment
    with pytest.raises(ValueError, match="aiwf/run_timeout_s must be positive"):
        run_timeout_s({"aiwf/run_timeout_s": "0"})


def test_pid_checks_follow_the_launcher_unless_told(instance, monkeypatch):
    assert worker_pids_are_local(instance)  # DefaultRunLauncher: run workers are this host's processes
    monkeypatch.setenv("AIWF_WATCHDOG_PID_CHECK", "0")
    assert not worker_pids_are_local(instance)
    monkeypatch.setenv("AIWF_WATCHDOG_PID_CHECK", "maybe")
    with pytest.raises(ValueError, match="auto, 1 or 0"):
        worker_pids_are_local(instance)


def test_sensor_reports_each_sweep(instance, monkeypatch):
    monkeypatch.setenv("AIWF_RUN_TIMEOUT_S", "3600")
    started_run(instance)
    assert run_watchdog_sensor(dg.build_sensor_context(instance=instance)).skip_message == "no dead runs"
    monkeypatch.setenv("AIWF_RUN_TIMEOUT_S", "0.2")
    time.sleep(0.3)
    assert run_watchdog_sensor(dg.build_sensor_context(instance=instance)).skip_message == "1 dead run(s) failed"


def test_a_hung_worker_nobody_can_cancel_is_killed(instance):
    run = started_run(instance)  # no code server knows it: the launcher cannot terminate it
    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _stop_hung_worker(instance, run, hung.pid)
        assert hung.wait(timeout=10) == -9
    finally:
        hung.kill()


def test_process_liveness_sees_zombies_reaped_and_reused_pids():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert process_alive(child.pid, started_before=time.time())
    assert not process_alive(child.pid, started_before=time.time() - 3600)  # started after "the run": reused
    child.kill()
    deadline = time.time() + 10
    while process_alive(child.pid) and time.time() < deadline:  # a zombie until reaped
        time.sleep(0.05)
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)
    assert not process_alive(0) and process_alive(os.getpid())
