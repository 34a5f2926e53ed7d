"""A run whose steps execute in Celery workers is one trace: the model-call spans a worker's pool process exports
join the run's trace under their step spans, and arrive when the step ends, not when the worker stops."""

import os
import time
import uuid

import dagster as dg
import pytest
from otlp_receiver import OTLPReceiver

from pipelines.executor import celery_executor_config, run_executor
from resources.telemetry import ids, provider
from resources.telemetry.runs import export_run

pytestmark = pytest.mark.integration


@pytest.fixture
def traced_env(deploy_env, redis_url, offline_server, monkeypatch):
    """AIWF_EXECUTOR=celery on the local Redis (a queue of this test's own), the offline model, and a receiver the
    workers export to. The batch processor's timer is set past the test: only a flush at step end delivers."""
    offline_server.configure(fail_400_on=None, fail_429_rate=0, fail_500_rate=0, latency_ms=0, reset_counters=True)
    for name, value in {"AIWF_EXECUTOR": "celery", "AIWF_CELERY_BROKER": redis_url,
                        "AIWF_CELERY_QUEUE": f"aiwf-trace-{uuid.uuid4().hex[:8]}", "OPENAI_BASE_URL": offline_server.url,
                        "OPENAI_API_KEY": "sk-test-celery-traces", "OTEL_SERVICE_NAME": "aiwf-worker",
                        "OTEL_BSP_SCHEDULE_DELAY": "600000", "OTEL_METRIC_EXPORT_INTERVAL": "600000"}.items():
        monkeypatch.setenv(name, value)
    with OTLPReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        yield receiver
        provider.shutdown()


def _wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "the workers' spans did not arrive"
        time.sleep(0.1)


def test_steps_run_in_a_celery_worker_join_the_run_trace(deploy_instance, traced_env, celery_workers, monkeypatch):
    receiver = traced_env
    celery_workers([f"tracer-{os.getpid()}"])
    assert run_executor().name == "celery"
    from deploy_jobs import TRACE_PROBE, traced_job

    result = dg.execute_job(dg.reconstructable(traced_job), instance=deploy_instance,
                            run_config={"execution": {"config": celery_executor_config()}})
    with result:
        assert result.success
        step_pids = result.output_for_node("traced_second")
    assert os.getpid() not in step_pids  # both steps ran in the worker's pool process, not here

    # Still running workers, a 10-minute batch timer: these came from the flush at each step's end.
    _wait_for(lambda: len([s for s in receiver.spans if s["name"].startswith("chat ")]) == 3)
    assert {r["service.name"] for r in receiver.resources} == {"aiwf-worker"} and len(receiver.spans) == 3

    monkeypatch.setenv("OTEL_SERVICE_NAME", "aiwf-run-traces")  # this process writes the run's root and step spans
    assert export_run(deploy_instance, result.run_id) == 3  # root + two steps
    provider.shutdown()

    trace = f"{ids.trace_id(result.run_id):032x}"
    assert {s["trace_id"] for s in receiver.spans} == {trace}  # one run, one trace, across processes
    by_id = {s["span_id"]: s for s in receiver.spans}
    (root,) = [s for s in receiver.spans if s["parent_span_id"] is None]
    assert root["name"] == "run traced_job" and root["attributes"]["dagster.run_id"] == result.run_id
    steps = {s["attributes"]["dagster.step_key"]: s for s in receiver.spans if s["name"].startswith("step ")}
    assert set(steps) == {"traced_first", "traced_second"}
    assert all(s["parent_span_id"] == root["span_id"] for s in steps.values())
    calls = [s for s in receiver.spans if s["name"].startswith("chat ")]
    for call in calls:  # the parent chain: model call -> its step -> the run's root
        step = by_id[call["parent_span_id"]]
        assert step["name"].startswith("step ") and by_id[step["parent_span_id"]] is root
        assert step["start_ns"] <= call["start_ns"] <= call["end_ns"] <= step["end_ns"]
        assert call["attributes"]["aiwf.prompt.name"] == TRACE_PROBE.name
    per_step = {}
    for call in calls:
        per_step.setdefault(by_id[call["parent_span_id"]]["attributes"]["dagster.step_key"], []).append(
            call["attributes"]["aiwf.cache_hit"])
    assert per_step == {"traced_first": [False, True], "traced_second": [False]}
