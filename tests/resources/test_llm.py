"""The LLM resource against the offline server over real HTTP: ledger, cache, retries, errors, budgets."""

import asyncio
import time

import pytest
from aiwf_state import local_store
from pydantic import BaseModel, field_validator

from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.llm.retry import BudgetExceeded, LLMError, LLMRequestRejected, LLMUnavailable

PROMPT = Prompt("summary", "2", "Summarise for {who}.\n---\n{text}", system="Be brief.")
TEXT = "The pilot cut returns handling time by 31 percent. Staff liked the new labels. Costs stayed flat."


class Triage(BaseModel):
    route: str
    confidence: float


def answered(server) -> int:
    return server.counters()["answered_total"]


def test_call_lands_in_ledger_with_exact_fields(offline_llm, offline_server):
    ai = offline_llm.session()
    result = ai.complete(PROMPT, {"who": "managers", "text": TEXT})
    assert result.text and not result.cached and result.offline
    rows = CallLedger(local_store()).rows()
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["model"], row["status"], row["cache_hit"], row["attempt"]) == (
        "chat", "gpt-4o-mini", "ok", 0, 1)
    assert (row["prompt_name"], row["prompt_version"], row["prompt_hash"]) == ("summary", "2", PROMPT.hash)
    assert row["tokens_in"] == result.tokens_in > 0 and row["tokens_out"] == result.tokens_out > 0
    expected_cost = (result.tokens_in * 0.15 + result.tokens_out * 0.60) / 1e6
    assert row["cost_usd"] == pytest.approx(expected_cost)
    assert row["latency_ms"] > 0 and row["offline"] == 1 and row["tier"] == "cheap"
    assert answered(offline_server) == 1


def test_repeated_call_is_served_from_cache_without_a_request(offline_llm, offline_server):
    first = offline_llm.session().complete(PROMPT, {"who": "managers", "text": TEXT})
    second = offline_llm.session().complete(PROMPT, {"who": "managers", "text": TEXT})
    assert second.cached and second.text == first.text and second.cost_usd == 0
    assert answered(offline_server) == 1
    hit = CallLedger(local_store()).rows()[-1]
    assert hit["cache_hit"] == 1 and hit["cost_usd"] == 0 and hit["request_hash"] == first.request_hash


def test_new_prompt_version_misses_the_cache(offline_llm, offline_server):
    offline_llm.session().complete(PROMPT, {"who": "a", "text": TEXT})
    bumped = Prompt(PROMPT.name, "3", PROMPT.template, PROMPT.system)
    assert not offline_llm.session().complete(bumped, {"who": "a", "text": TEXT}).cached
    assert answered(offline_server) == 2


def test_429_and_500_are_retried_and_every_attempt_is_recorded(offline_llm, offline_server):
    offline_server.configure(fail_429_rate=0.3, fail_500_rate=0.2, seed=7)
    ai = offline_llm.session()
    for i in range(12):
        ai.complete(PROMPT, {"who": f"team {i}", "text": TEXT})
    rows = CallLedger(local_store()).rows()
    errors = [r for r in rows if r["status"] == "error"]
    counters = offline_server.counters()
    assert len([r for r in rows if r["status"] == "ok"]) == 12 == counters["answered_total"]
    assert {r["error_class"] for r in errors} <= {"rate_limit", "server_error"}
    assert len(errors) == counters["status_429"] + counters["status_500"] > 0
    assert ai.metadata()["llm_retries"] == len(errors)


def test_retry_after_is_honoured_then_gives_up(offline_llm, offline_server):
    from resources.llm import LLMResource

    offline_server.configure(fail_429_rate=1.0, retry_after_s=0.4, reset_counters=True)
    llm = LLMResource(base_url=offline_server.url, api_key="k", max_attempts=2, backoff_base_s=0.01)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="gpt-4o-mini.*summary@2.*2 attempts"):
        llm.session().complete(PROMPT, {"who": "x", "text": TEXT})
    assert time.monotonic() - started >= 0.4
    assert offline_server.counters()["status_429"] == 2


def test_non_retryable_error_fails_at_once_naming_model_and_prompt(offline_llm, offline_server):
    offline_server.configure(fail_400_on="TOO-LONG")
    with pytest.raises(LLMRequestRejected, match=r"'gpt-4o-mini', prompt summary@2 rejected"):
        offline_llm.session().complete(PROMPT, {"who": "x", "text": "TOO-LONG " + TEXT})
    assert offline_server.counters()["status_400"] == 1
    assert CallLedger(local_store()).rows()[0]["error_class"] == "context_too_long"


def test_structured_output_is_validated(offline_llm):
    result = offline_llm.session().complete(PROMPT, {"who": "x", "text": TEXT}, response_model=Triage)
    assert isinstance(result.parsed, Triage)


def test_invalid_structured_answer_gets_one_repair_then_a_clear_error(offline_llm, offline_server):
    class Strict(BaseModel):
        route: str

        @field_validator("route")
        @classmethod
        def never(cls, value):
            raise ValueError("route is never acceptable")

    with pytest.raises(LLMError, match="not valid Strict after one repair"):
        offline_llm.session().complete(PROMPT, {"who": "x", "text": TEXT}, response_model=Strict)
    assert answered(offline_server) == 2


def test_budget_stops_before_sending(offline_llm, offline_server):
    """The one gate: a request whose estimate would pass the budget is refused before it is sent."""
    with pytest.raises(BudgetExceeded, match="run budget of 1e-09 USD would be passed.*summary@2 was not sent"):
        offline_llm.session(budget_usd=1e-9).complete(PROMPT, {"who": "first", "text": TEXT})
    assert answered(offline_server) == 0
    ai, sent = offline_llm.session(budget_usd=0.0005), 0
    with pytest.raises(BudgetExceeded, match="run budget of 0.0005 USD would be passed"):
        for i in range(100):
            ai.complete(PROMPT, {"who": f"team {i}", "text": TEXT})
            sent += 1
    assert 1 <= sent < 100 and answered(offline_server) == sent and ai.stats.cost_usd <= 0.0005
    assert ai.complete(PROMPT, {"who": "team 0", "text": TEXT}).cached  # a cached answer is free: never refused


def test_identical_async_requests_in_flight_are_sent_once(offline_llm, offline_server):
    offline_server.configure(latency_ms=100)
    ai = offline_llm.session()

    async def burst():
        return await asyncio.gather(*[ai.acomplete(PROMPT, {"who": "x", "text": TEXT}) for _ in range(5)])

    results = asyncio.run(burst())
    assert len({r.text for r in results}) == 1 and sum(not r.cached for r in results) == 1
    assert answered(offline_server) == 1
    assert sum(r["cache_hit"] for r in CallLedger(local_store()).rows()) == 4


def test_embeddings_are_batched_and_cached(offline_llm, offline_server):
    ai = offline_llm.session()
    vectors = ai.embed(["cold brew ratio", "burr grinder care"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert ai.embed(["cold brew ratio", "burr grinder care"]) == vectors
    assert offline_server.counters()["answered"]["embeddings"] == 1
    with pytest.raises(ValueError, match="non-empty strings"):
        ai.embed(["ok", "  "])


def test_api_key_is_never_stored(offline_llm, aiwf_home):
    offline_llm.session().complete(PROMPT, {"who": "x", "text": TEXT})
    for path in aiwf_home.rglob("*"):
        if path.is_file():
            assert b"sk-test-secret-key" not in path.read_bytes(), path
    assert "sk-test-secret-key" not in repr(CallLedger(local_store()).rows())


def test_missing_endpoint_gives_a_clear_error():
    from resources.llm import LLMResource

    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        LLMResource().session().complete(PROMPT, {"who": "x", "text": TEXT})


def test_session_metadata_reports_figures_for_the_ui(offline_llm):
    ai = offline_llm.session()
    ai.complete(PROMPT, {"who": "x", "text": TEXT})
    ai.complete(PROMPT, {"who": "x", "text": TEXT})
    meta = ai.metadata()
    assert (meta["llm_calls"], meta["llm_cache_hits"], meta["offline"]) == (1, 1, True)
    assert meta["llm_cost_usd"] > 0 and meta["llm_latency_p95_ms"] >= meta["llm_latency_p50_ms"] > 0


def test_cached_rerun_spends_nothing_but_keeps_the_data_cost(offline_llm):
    first = offline_llm.session()
    first.complete(PROMPT, {"who": "x", "text": TEXT})
    paid = first.metadata()
    assert paid["run_cost_usd"] == paid["llm_cost_usd"] == paid["data_cost_usd"] > 0
    assert paid["run_tokens"] == paid["data_tokens"] > 0

    rerun = offline_llm.session()
    answer = rerun.complete(PROMPT, {"who": "x", "text": TEXT})
    rerun.complete(PROMPT, {"who": "x", "text": TEXT})  # the same answer used twice counts once
    meta = rerun.metadata()
    assert answer.cached and answer.cost_usd == 0 and answer.answer_cost_usd == pytest.approx(first.stats.cost_usd)
    assert (meta["run_cost_usd"], meta["llm_cost_usd"], meta["run_llm_calls"], meta["run_cache_hits"]) == (0, 0, 0, 2)
    assert meta["data_cost_usd"] == paid["data_cost_usd"] and meta["data_tokens"] == paid["data_tokens"]
    assert meta["offline"] is True  # the cached answer still says the test double gave it
