"""`aiwf report` on money: unpriced calls per model, cassette replays counted apart, the provider's cost beside ours."""

import time

from aiwf_state import local_store

from pipelines.cli.report import print_summary
from pipelines.reporting.report import build_report
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.llm.ledger import CallLedger, CallRecord, summarize


def _calls(ledger: CallLedger, now: float) -> None:
    row = dict(run_id="run-a", asset_key="drafts", latency_ms=10.0, ts=now, tokens_in=100, tokens_out=20)
    ledger.record(CallRecord("chat", "gpt-4o-mini", "h1", "ok", cost_usd=0.001, price_source="genai-prices x",
                             **row))
    ledger.record(CallRecord("chat", "gpt-4o-mini", "h2", "ok", cost_usd=0.0, replayed=True, **row))
    ledger.record(CallRecord("chat", "acme-llm-7b", "h3", "ok", unpriced=True, price_source="unpriced", **row))
    ledger.record(CallRecord("chat", "acme-llm-7b", "h4", "ok", unpriced=True, price_source="unpriced", **row))
    ledger.record(CallRecord("chat", "openrouter/mistral", "h5", "ok", cost_usd=0.004, provider_cost_usd=0.005,
                             cached_tokens=40, reasoning_tokens=5, **row))


def test_report_counts_unpriced_calls_replays_and_the_provider_difference(capsys):
    store, now = local_store(), time.time()
    ledger = CallLedger(store)
    _calls(ledger, now)
    report = build_report(store, [], WorkflowIndex(assets={"drafts": "content_ops"}), now - 60, now + 60)
    models, workflow = report["models"], report["workflows"]["content_ops"]
    assert models["acme-llm-7b"]["unpriced_calls"] == 2 and models["acme-llm-7b"]["calls"] == 2
    assert models["gpt-4o-mini"]["calls"] == 1 and models["gpt-4o-mini"]["replayed"] == 1
    assert models["gpt-4o-mini"]["provider_cost_usd"] is None
    mistral = models["openrouter/mistral"]
    assert (mistral["provider_cost_calls"], mistral["provider_cost_usd"], mistral["provider_cost_diff_usd"]) == (
        1, 0.005, 0.001)
    assert workflow["unpriced_calls"] == 2 and workflow["llm_calls"] == 4 and workflow["cost_usd"] == 0.005
    totals = summarize(ledger.rows())
    assert (totals["llm_calls"], totals["replayed"], totals["unpriced_calls"], totals["cost_usd"]) == (4, 1, 2, 0.005)
    row = next(r for r in ledger.rows() if r["request_hash"] == "h5")
    assert (row["cached_tokens"], row["reasoning_tokens"], row["provider_cost_usd"]) == (40, 5, 0.005)

    print_summary(report)
    out = capsys.readouterr().out
    assert "model acme-llm-7b: 2 calls, unknown (2 unpriced calls)," in out  # not $0
    assert "1 replayed from a cassette (not billed)" in out
    assert "provider says $0.0050 for 1 calls (+$0.0010 vs our price)" in out
    assert "unpriced: acme-llm-7b (2 calls)" in out and "AIWF_PRICES" in out
