"""llm_map: resume without paying twice, quarantine and re-drive, budgets, escalation, limiter, dedup, bad rows."""

import asyncio
from typing import Literal

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from pydantic import BaseModel

from assets.llm_map import llm_map
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.llm.rate_limit import RateLimiter
from resources.state.checkpoints import Checkpoints
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine

PROMPT = Prompt("label", "1", system="Label the message; it is data.", template="Label the message.\n---\n{text}")


class Label(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    confidence: float


def configured(offline_llm, **changes):
    """The test resource with changes (Dagster rebuilds resources from their config, so no model_copy)."""
    from resources.llm import LLMResource

    fields = ("base_url", "api_key", "backoff_base_s", "backoff_max_s")
    return LLMResource(**{f: getattr(offline_llm, f) for f in fields}, **changes)


def frame(n: int, text=lambda i: f"message {i} is positive") -> pd.DataFrame:
    return pd.DataFrame({"id": [f"m{i}" for i in range(n)], "text": [text(i) for i in range(n)]})


def build(rows: pd.DataFrame, **kwargs) -> list:
    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        return rows

    options = {"concurrency": 4, "max_failure_rate": 0.5, **kwargs}
    return [messages, llm_map("labels", source=messages, prompt=PROMPT, response_model=Label, key_column="id",
                              text_columns=["text"], **options)]


def run(assets, llm, config: dict | None = None, io_manager=None):
    run_config = {"ops": {"labels": {"config": config}}} if config else None
    return dg.materialize(assets, resources={"llm": llm, "io_manager": io_manager or ParquetIOManager()},
                          raise_on_error=False, run_config=run_config)


def table() -> pd.DataFrame:
    return pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("labels"), None))


def answered(server) -> int:
    return server.counters()["answered"]["chat.completions"]


def labels_meta(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("labels")[0].metadata.items()}


def failure_text(result) -> str:
    return "\n".join(e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure)


def test_resume_after_crash_pays_no_call_twice(offline_server, offline_llm, monkeypatch):
    from resources.llm import LLMSession

    llm = configured(offline_llm, use_cache=False)  # checkpoints alone must carry the resume
    real, answers = LLMSession.acomplete, []

    async def dies_after_tenth_answer(self, *args, **kwargs):
        result = await real(self, *args, **kwargs)
        answers.append(result)
        if len(answers) == 10:
            raise RuntimeError("process died right after the answer arrived")
        return result

    offline_server.configure(reset_counters=True)
    with monkeypatch.context() as patch:
        patch.setattr(LLMSession, "acomplete", dies_after_tenth_answer)
        assert not run(build(frame(30), concurrency=1), llm).success
    kept = Checkpoints(local_store()).count("labels")
    assert kept == 9 and answered(offline_server) == 10  # the tenth was paid, then the process "died"

    offline_server.configure(reset_counters=True)
    result = run(build(frame(30), concurrency=1), llm)
    assert result.success
    meta = labels_meta(result)
    assert answered(offline_server) == 30 - kept
    assert meta["rows_from_checkpoint"] == kept and meta["rows_ok"] == 30
    assert len(table()) == 30


def test_failed_rows_are_quarantined_then_redriven(offline_server, offline_llm):
    rows = frame(12, lambda i: f"message {i} {'POISON' if i in (3, 7) else 'fine'} positive")
    offline_server.configure(fail_400_on="POISON", reset_counters=True)
    result = run(build(rows), offline_llm)
    assert result.success
    meta = labels_meta(result)
    assert (meta["rows_ok"], meta["rows_quarantined_model"]) == (10, 2)
    held = {r["row_key"]: r for r in Quarantine(local_store()).rows("labels")}
    assert set(held) == {"m3", "m7"}
    assert held["m3"]["error_class"] == "context_too_long" and held["m3"]["attempts"] == 1
    assert "rejected the request" in held["m3"]["reason"]

    offline_server.configure(fail_400_on=None, reset_counters=True)
    redrive = run(build(rows), offline_llm, {"tier": "strong"})  # a re-drive may ask the strong model
    assert redrive.success and answered(offline_server) == 2  # only the quarantined rows went out
    assert Quarantine(local_store()).rows("labels") == [] and len(Quarantine(local_store()).rows("labels", status="resolved")) == 2
    models = table().set_index("id")["llm_model"]
    assert models["m3"] == models["m7"] == "gpt-4o" and models["m0"] == "gpt-4o-mini"


def test_asset_fails_above_max_failure_rate_and_keeps_answers(offline_server, offline_llm):
    rows = frame(10, lambda i: f"message {i} {'POISON' if i < 4 else 'fine'}")
    offline_server.configure(fail_400_on="POISON")
    result = run(build(rows, max_failure_rate=0.2), offline_llm)
    assert not result.success
    assert "4 of 10 rows failed (40.0%), over max_failure_rate 20.0%" in failure_text(result)
    assert Checkpoints(local_store()).count("labels") == 6 and len(Quarantine(local_store()).rows("labels")) == 4


def test_budget_stops_cleanly_and_the_rerun_resumes(offline_server, offline_llm):
    llm = configured(offline_llm, use_cache=False)
    offline_server.configure(reset_counters=True)
    result = run(build(frame(20), concurrency=1, budget_tokens=300), llm)
    assert not result.success
    assert "run budget of 300 tokens would be passed" in failure_text(result)
    sent = answered(offline_server)
    assert 1 <= sent < 20 and Checkpoints(local_store()).count("labels") == sent
    spent = sum(r["tokens_in"] + r["tokens_out"] for r in CallLedger(local_store()).rows())
    assert spent <= 300

    offline_server.configure(reset_counters=True)
    assert run(build(frame(20), concurrency=1, budget_tokens=300), llm, {"budget_tokens": 100_000}).success
    assert answered(offline_server) == 20 - sent


def test_workflow_budget_counts_every_run_of_the_day(offline_llm):
    assert run(build(frame(5), group_name="support", workflow_budget_tokens=10_000), offline_llm).success
    spent_usd, spent_tokens = Checkpoints(local_store()).workflow_spent("support")
    assert spent_tokens == sum(r["tokens_in"] + r["tokens_out"] for r in CallLedger(local_store()).rows()) and spent_usd > 0
    result = run(build(frame(10), group_name="support", workflow_budget_tokens=spent_tokens + 5), offline_llm)
    assert not result.success and "workflow (today) budget" in failure_text(result)
    assert Checkpoints(local_store()).count("labels") == 5  # nothing new was sent


def test_rejected_cheap_answers_escalate_to_the_strong_tier(offline_server, offline_llm):
    asked = set()

    def reject_first_answer(row, answer):
        first = row["id"] not in asked
        asked.add(row["id"])
        return "needs a second opinion" if first else None

    result = run(build(frame(6), escalate_on=reject_first_answer), offline_llm)
    assert result.success and labels_meta(result)["rows_escalated"] == 6
    labels = table()
    assert set(labels["llm_tier"]) == {"strong"} and labels["llm_escalated"].all()
    assert {r["model"] for r in CallLedger(local_store()).rows()} == {"gpt-4o-mini", "gpt-4o"}


def test_answers_failing_both_tiers_are_quarantined(offline_llm):
    result = run(build(frame(5), escalate_on=lambda row, answer: "never good enough"), offline_llm,
                 {"tier": "cheap"})
    assert not result.success  # 5 of 5 failed
    held = Quarantine(local_store()).rows("labels")
    assert len(held) == 5 and {r["error_class"] for r in held} == {"verification_failed"}
    assert held[0]["attempts"] == 2 and "tiers tried: cheap, strong" in held[0]["reason"]


def test_identical_requests_in_a_batch_are_sent_once(offline_server, offline_llm):
    offline_server.configure(reset_counters=True)
    result = run(build(frame(12, lambda i: f"same text {i % 3}")), offline_llm)
    meta = labels_meta(result)
    assert answered(offline_server) == 3 and meta["rows_deduplicated"] == 9 and meta["rows_ok"] == 12


def test_concurrent_identical_acomplete_calls_share_one_request(offline_server, offline_llm):
    llm = configured(offline_llm, use_cache=False)
    offline_server.configure(latency_ms=50, reset_counters=True)

    async def both():
        ai = llm.session()
        answers = await asyncio.gather(*(ai.acomplete(PROMPT, {"text": "hello"}, response_model=Label)
                                         for _ in range(5)))
        await ai.aclose()
        return answers

    answers = asyncio.run(both())
    assert answered(offline_server) == 1 and sum(not a.cached for a in answers) == 1
    assert len({a.text for a in answers}) == 1


def test_bad_rows_are_quarantined_with_a_reason_never_dropped(offline_llm):
    rows = pd.DataFrame({"id": ["a", None, "c", "a", "e", "f", "g"],
                         "text": ["fine one", "no key", "x" * 9000, "duplicate", None, ["a", "list"], "fine two"]})
    result = run(build(rows, max_input_tokens=1000, max_failure_rate=0.8), offline_llm,
                 io_manager=dg.InMemoryIOManager())
    assert result.success
    reasons = {r["row_key"]: (r["error_class"], r["reason"]) for r in Quarantine(local_store()).rows("labels")}
    assert reasons["#1"] == ("missing_key", "row 1 has no 'id'")
    assert reasons["c"][0] == "oversized_input" and "1000-token limit" in reasons["c"][1]
    assert reasons["a#3"][0] == "duplicate_key"
    assert reasons["e"] == ("invalid_row", "column 'text' is empty")
    assert reasons["f"] == ("invalid_row", "column 'text' must be text, got list")
    meta = labels_meta(result)
    assert meta["rows_ok"] + meta["rows_quarantined_input"] == meta["rows_in"] == 7


def test_a_changed_row_is_answered_again(offline_server, offline_llm):
    assert run(build(frame(4)), offline_llm).success
    offline_server.configure(reset_counters=True)
    changed = frame(4)
    changed.loc[2, "text"] = "message 2 is now negative"
    result = run(build(changed), offline_llm)
    assert answered(offline_server) == 1 and labels_meta(result)["rows_from_checkpoint"] == 3


def _at_most_per_window(sends: list[float], limit: float) -> bool:
    return all(len([t for t in sends if start <= t < start + 1.0]) <= limit for start in sends)


def test_limiter_never_exceeds_its_rates():
    requests = RateLimiter(requests_per_minute=600)  # 10 req/s, bursts of one second's worth
    sends = [requests.reserve() for _ in range(30)]
    assert sends[9] == pytest.approx(0, abs=0.01) and sends[10] == pytest.approx(0.1, abs=0.01)
    assert sends[-1] == pytest.approx(2.0, abs=0.02) and _at_most_per_window(sends, 10 + 10 * 1.0)
    tokens = RateLimiter(requests_per_minute=600, tokens_per_minute=6000)  # 100 tok/s: 20-token requests bind
    sends = [tokens.reserve(tokens=20) for _ in range(30)]
    assert sends[4] == pytest.approx(0, abs=0.01) and sends[-1] == pytest.approx(5.0, abs=0.05)
    assert _at_most_per_window(sends, 5 + 5 * 1.0)
    tokens.settle(estimated=20, actual=120)  # the answer was bigger than estimated: later requests wait longer
    assert tokens.reserve(tokens=20) == pytest.approx(6.2, abs=0.05)
    big = RateLimiter(tokens_per_minute=600)  # a request larger than the burst still goes, once refilled
    assert big.reserve(30) == pytest.approx(0, abs=0.01) and big.reserve(30) == pytest.approx(3.0, abs=0.05)


def test_resource_limit_slows_a_batch(offline_llm):
    # 10/s with a burst of 10, and every row asks at once (concurrency = rows): 20 rows must wait for the limiter
    # however slow the machine answers (with fewer slots than rows, slow answers alone could pace the rest)
    llm = configured(offline_llm, requests_per_minute=600)
    result = run(build(frame(30), concurrency=30), llm)
    assert result.success and labels_meta(result)["limiter_wait_s"] >= 0.4
