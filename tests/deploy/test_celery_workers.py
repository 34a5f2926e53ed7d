"""Two Celery workers started with `aiwf worker` share the steps of one run executed by dagster-celery."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import dagster as dg
import pytest
from celery import Celery

from pipelines.executor import celery_executor_config, run_executor

pytestmark = pytest.mark.integration


def _start_workers(names: list[str]) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-m", "pipelines.cli.worker", "--name", name, "--concurrency", "1",
                          "--loglevel", "WARNING"], start_new_session=True)
        for name in names
    ]


def _wait_until_ready(broker: str, nodes: list[str], workers: list[subprocess.Popen], timeout: float = 60) -> None:
    control = Celery(broker=broker)
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert all(w.poll() is None for w in workers), "a worker exited during start-up"
        replies = control.control.ping(destination=nodes, timeout=1.0) or []
        if {name for reply in replies for name in reply} >= set(nodes):
            return
        time.sleep(0.5)
    raise AssertionError(f"workers {nodes} did not answer a ping within {timeout}s")


def _stop(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGTERM)  # warm shutdown of the worker and its pool processes
    for w in workers:
        try:
            w.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, monkeypatch):
    """Each broker the deploy supports, on a queue of its own so no other worker takes these steps."""
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    monkeypatch.setenv("AIWF_CELERY_BROKER", url)
    monkeypatch.setenv("AIWF_CELERY_QUEUE", f"aiwf-test-{uuid.uuid4().hex[:8]}")
    return url


def test_two_workers_share_the_steps_of_one_run(deploy_instance, broker):
    names = [f"w1-{os.getpid()}", f"w2-{os.getpid()}"]
    workers = _start_workers(names)
    try:
        _wait_until_ready(broker, [f"{n}@{socket.gethostname()}" for n in names], workers)
        from deploy_jobs import fanout_job

        result = dg.execute_job(dg.reconstructable(fanout_job), instance=deploy_instance,
                                run_config={"execution": {"config": celery_executor_config()}})
        with result:
            assert result.success
            run_id, distinct_pids = result.run_id, result.output_for_node("fan_collect")
    finally:
        _stop(workers)

    engine = deploy_instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    hosts = {
        r.event_log_entry.dagster_event.engine_event_data.metadata["Celery worker"].value
        for r in engine if "Celery worker" in r.event_log_entry.dagster_event.engine_event_data.metadata
    }
    successes = deploy_instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS).records
    step_pids = {r.event_log_entry.dagster_event.pid for r in successes}
    assert hosts == {f"{n}@{socket.gethostname()}" for n in names}
    assert len(successes) == 8 and len(step_pids) >= 2 and distinct_pids >= 2
    assert os.getpid() not in step_pids  # no step ran in the orchestrating process


def test_run_executor_switches_to_celery_with_env_references(monkeypatch):
    monkeypatch.setenv("AIWF_EXECUTOR", "celery")
    monkeypatch.setenv("AIWF_CELERY_BROKER", "redis://:s3cret@127.0.0.1:6379/0")
    config = celery_executor_config()

    assert run_executor().name == "celery"
    assert config["broker"] == {"env": "AIWF_CELERY_BROKER"} and config["backend"] == {"env": "AIWF_CELERY_BROKER"}
    assert "s3cret" not in repr(config)  # the password is resolved at run time, never baked in
    monkeypatch.setenv("AIWF_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="AIWF_EXECUTOR must be multiprocess, celery or k8s"):
        run_executor()
    monkeypatch.setenv("AIWF_CELERY_BROKER", "http://nope")
    with pytest.raises(ValueError, match="redis:// or amqp://"):
        celery_executor_config()
