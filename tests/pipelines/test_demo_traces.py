"""`aiwf demo --json` exporting to a local OTLP/HTTP receiver: one trace per run, every model call (cache hits
included) a GenAI span under its step and run spans, check and connector spans, and the GenAI metrics."""

import collections
import json

import pytest
from otlp_receiver import OTLPReceiver

from pipelines import cli
from resources.telemetry import ids, provider

GENAI = ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
         "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "aiwf.cost_usd", "aiwf.cache_hit", "aiwf.attempt")


def test_the_demo_is_one_trace_per_run_with_a_span_per_model_call(capsys, monkeypatch):
    with OTLPReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        code = cli.main(["demo", "--json"])
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        provider.shutdown()  # the last spans and the final cumulative metrics
    assert code == 0
    spans = receiver.spans
    by_id = {(s["trace_id"], s["span_id"]): s for s in spans}
    traces = {f"{ids.trace_id(r):032x}": r for r in summary["run_ids"]}
    assert {s["trace_id"] for s in spans} == set(traces)  # one trace per run, nothing outside them
    roots = [s for s in spans if s["parent_span_id"] is None]
    assert sorted(r["trace_id"] for r in roots) == sorted(traces)  # exactly one root span each
    for root in roots:
        assert root["attributes"]["dagster.run_id"] == traces[root["trace_id"]]
        assert root["attributes"]["dagster.job"].endswith("_job") and root["attributes"]["dagster.partition"]

    calls = [s for s in spans if s["name"].split(" ")[0] in ("chat", "embeddings")]
    answered = [c for c in calls if c["status"] != 2]
    assert len(answered) == summary["llm_calls"] + summary["cache_hits"] > 0
    assert len(calls) - len(answered) == summary["llm_retries"]
    assert sum(c["attributes"]["aiwf.cache_hit"] for c in calls) == summary["cache_hits"] > 0
    for call in calls:
        assert all(k in call["attributes"] for k in GENAI), call
        attrs = call["attributes"]
        assert call["name"] == f"{attrs['gen_ai.operation.name']} {attrs['gen_ai.request.model']}"
        step = by_id[(call["trace_id"], call["parent_span_id"])]
        assert step["name"] == f"step {step['attributes']['dagster.step_key']}"
        assert step["attributes"]["dagster.asset_key"]
        assert by_id[(step["trace_id"], step["parent_span_id"])]["parent_span_id"] is None  # step → run root
    assert sum(c["attributes"]["aiwf.cost_usd"] for c in answered) == pytest.approx(summary["cost_usd"], abs=1e-6)

    checks = [s for s in spans if s["name"].startswith("check ")]
    assert len(checks) == summary["asset_checks_passed"] + summary["asset_checks_failed"]
    assert all({"aiwf.check.passed", "aiwf.check.severity"} <= set(c["attributes"]) for c in checks)
    connector = [s for s in spans if "aiwf.connector" in s["attributes"]]
    actions = collections.Counter(s["attributes"]["aiwf.action.outcome"] for s in connector)
    assert actions["sent"] >= summary["side_effects"]["sent"] > 0
    assert all(s["attributes"]["aiwf.action.idempotency_key"].startswith("aiwf-") for s in connector)

    last = {m["name"]: m for m in receiver.metrics}  # cumulative: the last export holds the totals
    tokens = last["gen_ai.client.token.usage"]["points"]
    assert sum(p["sum"] for p in tokens) == summary["tokens"]
    assert {p["attributes"]["gen_ai.token.type"] for p in tokens} == {"input", "output"}
    assert sum(p["count"] for p in last["gen_ai.client.operation.duration"]["points"]) == summary["llm_calls"]
    assert sum(p["sum"] for p in last["aiwf.llm.cost"]["points"]) == pytest.approx(summary["cost_usd"], abs=1e-6)
    print(f"\nDEMO TRACES: runs={len(traces)} traces={len({s['trace_id'] for s in spans})} spans={len(spans)} "
          f"model_calls={len(calls)} (llm_calls={summary['llm_calls']} cache_hits={summary['cache_hits']} "
          f"retries={summary['llm_retries']}) steps={sum(s['name'].startswith('step ') for s in spans)} "
          f"checks={len(checks)} connector_actions={dict(actions)}")
