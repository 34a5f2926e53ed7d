"""Two Celery workers started with `aiwf worker` share the steps of one run executed by dagster-celery."""

import os
import signal
import socket
import threading
import time
import uuid

import dagster as dg
import pytest

from pipelines.executor import celery_executor_config, run_executor

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, monkeypatch):
    """Each broker the deploy supports, on a queue of its own so no other worker takes these steps."""
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    monkeypatch.setenv("AIWF_CELERY_BROKER", url)
    monkeypatch.setenv("AIWF_CELERY_QUEUE", f"aiwf-test-{uuid.uuid4().hex[:8]}")
    return url


def test_two_workers_share_the_steps_of_one_run(deploy_instance, broker, celery_workers):
    names = [f"w1-{os.getpid()}", f"w2-{os.getpid()}"]
    celery_workers(names)
    from deploy_jobs import fanout_job

    result = dg.execute_job(dg.reconstructable(fanout_job), instance=deploy_instance,
                            run_config={"execution": {"config": celery_executor_config()}})
    with result:
        assert result.success
        run_id, distinct_pids = result.run_id, result.output_for_node("fan_collect")

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


def test_a_step_whose_worker_process_is_killed_is_redelivered_at_once(deploy_instance, broker, celery_workers,
                                                                     tmp_path):
    celery_workers([f"w3-{os.getpid()}"])
    from deploy_jobs import redelivery_job

    marker, outcome = tmp_path / "first-delivery", {}
    config = {"execution": {"config": celery_executor_config()},
              "ops": {"redelivered_step": {"config": {"marker": str(marker)}}}}

    def execute():
        with dg.execute_job(dg.reconstructable(redelivery_job), instance=deploy_instance, run_config=config) as r:
            outcome.update(success=r.success, pid=r.output_for_node("redelivered_step") if r.success else None)

    runner = threading.Thread(target=execute)
    runner.start()
    deadline = time.time() + 60
    while not (marker.exists() and marker.read_text()) and time.time() < deadline:
        time.sleep(0.2)
    first_pid = int(marker.read_text())
    os.kill(first_pid, signal.SIGKILL)  # the pool process dies mid-step, as in an OOM kill
    killed_at = time.time()
    runner.join(90)
    assert outcome.get("success") is True, "task_acks_late + task_reject_on_worker_lost requeue the step"
    assert outcome["pid"] != first_pid and time.time() - killed_at < 60


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
