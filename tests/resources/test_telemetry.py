"""OpenTelemetry export (resources/telemetry/): off and never imported without an endpoint; with one, a model
call made in a forked step process joins its run's trace under its step span, with the GenAI attributes."""

import multiprocessing.forkserver
import os
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest
from otlp_receiver import OTLPReceiver

from resources.approvals.store import ApprovalStore
from resources.llm.retry import LLMRequestRejected
from resources.state.resource import StateResource
from resources.telemetry import ids, provider
from resources.telemetry.runs import EXPORTED_TAG, export_run
from sensors.run_traces import run_traces_sensor

sys.path.insert(0, str(Path(__file__).parent))
from telemetry_jobs import ASK, model_call_job  # noqa: E402

GENAI = ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
         "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "aiwf.cost_usd", "aiwf.cache_hit", "aiwf.attempt")


@pytest.fixture
def receiver(monkeypatch):
    """A local OTLP/HTTP receiver the standard variable points at; providers flushed and dropped after the test."""
    with OTLPReceiver() as r:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "aiwf-test")
        yield r
        provider.shutdown()


@pytest.fixture
def instance(tmp_path, monkeypatch, offline_server):
    """A stored instance whose runs' steps fork from the server, a model served by the offline double."""
    offline_server.configure(fail_400_on=None, fail_429_rate=0, fail_500_rate=0, latency_ms=0)
    monkeypatch.setenv("OPENAI_BASE_URL", offline_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-telemetry")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        yield instance
    multiprocessing.forkserver._forkserver._stop()


def test_ids_come_from_the_run_id():
    run_id = str(uuid.uuid4())
    assert ids.trace_id(run_id) == uuid.UUID(run_id).int
    assert ids.step_span_id(run_id, "a") == ids.step_span_id(run_id, "a") != ids.step_span_id(run_id, "b")
    assert ids.run_span_id(run_id) != ids.run_span_id(str(uuid.uuid4()))
    assert 0 < ids.trace_id("not-a-uuid") < 2 ** 128 and 0 < ids.run_span_id("x") < 2 ** 64


def test_off_without_an_endpoint_the_step_process_imports_no_opentelemetry(instance):
    with dg.execute_job(dg.reconstructable(model_call_job), instance=instance) as result:
        assert result.success
        seen = result.output_for_node("ask_model")
    assert seen["pid"] != os.getpid() and seen["otel_modules"] == []
    assert export_run(instance, result.run_id) == 0
    assert EXPORTED_TAG not in instance.get_run_by_id(result.run_id).tags


def test_a_forked_step_process_joins_its_run_trace(instance, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    with dg.execute_job(dg.reconstructable(model_call_job), instance=instance) as result:
        assert result.success
        step_pid = result.output_for_node("ask_model")["pid"]
    assert step_pid != os.getpid()
    context = dg.build_sensor_context(instance=instance)
    assert "1 finished runs looked at, 2 spans" in run_traces_sensor(context).skip_message  # root + its one step
    assert export_run(instance, result.run_id) == 0  # once per run
    provider.shutdown()
    trace = f"{ids.trace_id(result.run_id):032x}"
    spans = {s["name"]: s for s in receiver.spans if s["trace_id"] == trace and not s["name"].startswith("chat")}
    calls = [s for s in receiver.spans if s["name"].startswith("chat")]
    assert {s["trace_id"] for s in receiver.spans} == {trace}  # one run, one trace, across processes
    root, step = spans["run model_call_job"], spans["step ask_model"]
    assert root["parent_span_id"] is None and root["attributes"]["dagster.run_id"] == result.run_id
    assert root["attributes"]["dagster.job"] == "model_call_job"
    assert step["parent_span_id"] == root["span_id"] and step["attributes"]["dagster.step_key"] == "ask_model"
    assert [c["attributes"]["aiwf.cache_hit"] for c in calls] == [False, True]
    for call in calls:  # exported by the step process, at its exit, under the step span written here
        assert call["parent_span_id"] == step["span_id"] and call["name"] == "chat gpt-4o-mini"
        assert all(k in call["attributes"] for k in GENAI)
        assert call["attributes"]["aiwf.prompt.name"] == ASK.name and call["attributes"]["aiwf.prompt.version"] == "3"
        assert "gen_ai.input.messages" not in call["attributes"]  # no text unless opted in
    assert calls[0]["attributes"]["gen_ai.usage.output_tokens"] > 0
    assert calls[0]["attributes"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert step["start_ns"] <= calls[0]["start_ns"] <= calls[1]["end_ns"] <= step["end_ns"]
    assert receiver.resources[0]["service.name"] == "aiwf-test"


def test_a_failed_call_is_an_error_span_and_text_is_exported_redacted_only_when_opted_in(offline_llm, offline_server,
                                                                                          receiver, monkeypatch):
    monkeypatch.setenv("AIWF_OTEL_CAPTURE_CONTENT", "1")
    offline_server.configure(fail_400_on="REFUSE")
    session = offline_llm.session()
    session.complete(ASK, {"topic": "mail ana.lopez@example.com"})
    with pytest.raises(LLMRequestRejected):
        session.complete(ASK, {"topic": "REFUSE"})
    provider.shutdown()
    ok, failed = receiver.spans
    assert ok["status"] == 0 and "error.type" not in ok["attributes"]
    assert "ana.lopez@example.com" not in str(ok["attributes"])
    assert "[EMAIL]" in ok["attributes"]["gen_ai.input.messages"]
    assert "gen_ai.output.messages" in ok["attributes"]
    assert failed["status"] == 2 and failed["attributes"]["error.type"] == "context_too_long"
    assert failed["parent_span_id"] is None  # outside a run: a trace of its own
    durations = [m for m in receiver.metrics if m["name"] == "gen_ai.client.operation.duration"][-1]["points"]
    assert {p["attributes"].get("error.type") for p in durations} == {None, "context_too_long"}


def test_batch_api_answers_are_model_call_spans_under_the_step_that_reads_them(offline_llm, offline_server, receiver):
    """Batch mode books its ledger rows itself: each is a span (aiwf.batch, batch-rate cost) and metrics too, under
    the step of the run that reads the batch, here a later run than the one that submitted it."""
    import time

    import pandas as pd

    from assets.llm_map import llm_map
    from assets.llm_map.batch_mode import BatchSettings
    from resources.llm.ledger import CallLedger
    from resources.state.parquet_io_manager import ParquetIOManager

    offline_server.configure(batch_delay_s=1.0, batch_fail_rate=0, batch_expire_share=0, reset_counters=True)

    @dg.asset(name="notes")
    def notes() -> pd.DataFrame:
        return pd.DataFrame({"id": ["n1", "n2", "n3"], "text": ["one is fine", "two is good", "three is bad"]})

    labels = llm_map("labels", source=notes, prompt=ASK, key_column="id", variables=lambda row: {"topic": row["text"]},
                     mode="batch",
                     batch=BatchSettings(poll_s=(0.05, 0.2)))
    resources = {"llm": offline_llm, "io_manager": ParquetIOManager()}
    first = dg.materialize([notes, labels], resources=resources, raise_on_error=False,
                           run_config={"ops": {"labels": {"config": {"batch_max_wait_s": 0}}}})
    assert not first.success  # submitted and recorded; nothing read yet, so nothing billed or exported
    time.sleep(1.1)
    second = dg.materialize([notes, labels], resources=resources)
    provider.shutdown()
    booked = [r for r in CallLedger(StateResource().store()).rows() if r["batch"]]
    assert len(booked) == 3 and {r["run_id"] for r in booked} == {second.run_id}
    spans = [s for s in receiver.spans if s["name"].startswith("chat ")]
    assert len(spans) == len(booked) and all(s["attributes"]["aiwf.batch"] is True for s in spans)
    assert {s["trace_id"] for s in spans} == {f"{ids.trace_id(second.run_id):032x}"}
    assert {s["parent_span_id"] for s in spans} == {f"{ids.step_span_id(second.run_id, 'labels'):016x}"}
    for span in spans:
        attrs = span["attributes"]
        assert all(k in attrs for k in GENAI) and attrs["aiwf.batch.id"].startswith("batch")
        assert attrs["aiwf.prompt.name"] == ASK.name and attrs["gen_ai.response.finish_reasons"] == ["stop"]
    by_hash = {r["request_hash"]: r for r in booked}
    for span in spans:  # the ledger's row: tokens and the batch-rate cost
        row = by_hash[span["attributes"]["aiwf.request_hash"]]
        assert span["attributes"]["gen_ai.usage.output_tokens"] == row["tokens_out"] > 0
        assert span["attributes"]["aiwf.cost_usd"] == pytest.approx(row["cost_usd"]) and row["cost_usd"] > 0
    metrics = {m["name"]: m for m in receiver.metrics}
    cost_points = [p for p in metrics["aiwf.llm.cost"]["points"] if p["attributes"].get("aiwf.batch")]
    assert sum(p["sum"] for p in cost_points) == pytest.approx(sum(r["cost_usd"] for r in booked))
    tokens = [p for p in metrics["gen_ai.client.token.usage"]["points"] if p["attributes"].get("aiwf.batch")]
    assert sum(p["count"] for p in tokens) == 2 * len(booked)  # input and output per answer
    durations = metrics.get("gen_ai.client.operation.duration", {"points": []})["points"]
    assert not any(p["attributes"].get("aiwf.batch") for p in durations)  # no request of its own was timed


def test_an_approval_is_a_span_of_the_time_it_waited_in_the_proposing_run(receiver):
    run_id = str(uuid.uuid4())
    store = ApprovalStore(StateResource().store())
    approval = store.propose("returns", "R-1", {"refund_eur": 120}, risk="high", run_id=run_id)
    decided = store.approve(approval.id, by="ana")
    provider.shutdown()
    (span,) = receiver.spans
    assert span["trace_id"] == f"{ids.trace_id(run_id):032x}"
    assert span["parent_span_id"] == f"{ids.run_span_id(run_id):016x}"
    attrs = span["attributes"]
    assert attrs["aiwf.approval.decision"] == "approved" and attrs["aiwf.approval.risk"] == "high"
    assert attrs["aiwf.approval.wait_s"] == pytest.approx(decided.decided_at - decided.created_at, abs=1e-3)


def test_the_protocol_variable_picks_the_exporter(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert type(provider._exporter("TRACES")).__module__.startswith("opentelemetry.exporter.otlp.proto.grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
    assert type(provider._exporter("METRICS")).__module__.startswith("opentelemetry.exporter.otlp.proto.http")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(ValueError, match="http/protobuf or grpc"):
        provider._exporter("TRACES")


def test_flush_started_exports_what_this_process_recorded_and_builds_nothing_else(receiver, monkeypatch):
    """What a Celery pool process calls at each task's end (resources/telemetry/celery_hooks.py)."""
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # the batch timer alone would hold the span
    provider.flush_started()
    assert "telemetry" not in provider._current  # nothing recorded here yet: no providers started
    provider.current().emit("probe", start_ns=1, end_ns=2, attributes={})
    provider.flush_started()
    assert [s["name"] for s in receiver.spans] == ["probe"]
