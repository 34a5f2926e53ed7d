"""A session's ledger is priced from the AIWF_PRICES file and the server's own token counts, cached tokens included;
an unpriced model under a USD budget is refused before any request."""

import pytest

from resources.llm.pricing import UnpricedModelError
from resources.llm.prompts import Prompt
from resources.offline import llm_server

PROMPT = Prompt("pricing", "1", "Summarise in two sentences: {text}")


@pytest.fixture
def cached_half(offline_llm, monkeypatch):
    """The offline server reports half of each prompt as read from its prompt cache; returns its token counts."""
    seen = {"prompt": 0, "cached": 0, "completion": 0, "requests": 0}
    answer = llm_server.answer_chat

    def with_cache(body, sentences=5):
        message, finish, usage = answer(body, sentences)
        cached = usage["prompt_tokens"] // 2
        for key, n in (("prompt", usage["prompt_tokens"]), ("cached", cached),
                       ("completion", usage["completion_tokens"]), ("requests", 1)):
            seen[key] += n
        return message, finish, {**usage, "prompt_tokens_details": {"cached_tokens": cached}, "cost": 0.5}

    monkeypatch.setattr(llm_server, "answer_chat", with_cache)
    return seen


def test_the_ledger_equals_the_price_file_times_the_servers_tokens(offline_llm, cached_half, tmp_path, monkeypatch):
    prices = tmp_path / "prices.yaml"
    prices.write_text("models:\n  acme-llm-7b: {input_per_mtok: 0.50, cached_input_per_mtok: 0.05, "
                      "output_per_mtok: 1.50}\n")
    monkeypatch.setenv("AIWF_PRICES", str(prices))
    ai = offline_llm.model_copy(update={"cheap_model": "acme-llm-7b", "use_cache": False}).session()
    for i in range(5):
        ai.complete(PROMPT, {"text": f"parcel {i} arrived damaged " * (1 + i)}, tier="cheap")
    rows = [r for r in ai.ledger.rows() if r["status"] == "ok"]
    seen = cached_half
    expected = ((seen["prompt"] - seen["cached"]) * 0.50 + seen["cached"] * 0.05 + seen["completion"] * 1.50) / 1e6
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(expected, rel=1e-6)
    assert sum(r["cached_tokens"] for r in rows) == seen["cached"] > 0
    assert {r["price_source"].split("@")[0] for r in rows} == {f"aiwf-prices:{prices.resolve()}"}
    assert all(r["provider_cost_usd"] == 0.5 and not r["unpriced"] for r in rows)


def test_an_unpriced_model_under_a_usd_budget_sends_nothing(offline_llm, cached_half, monkeypatch):
    monkeypatch.delenv("AIWF_PRICES", raising=False)
    llm = offline_llm.model_copy(update={"cheap_model": "nobody-prices-this-7b", "run_budget_usd": 1.0})
    with pytest.raises(UnpricedModelError, match="'nobody-prices-this-7b'.*AIWF_PRICES"):
        llm.session().complete(PROMPT, {"text": "x"}, tier="cheap")
    assert cached_half["requests"] == 0


def test_an_unpriced_model_without_a_budget_is_answered_and_flagged(offline_llm, cached_half, monkeypatch):
    monkeypatch.delenv("AIWF_PRICES", raising=False)
    ai = offline_llm.model_copy(update={"cheap_model": "nobody-prices-this-7b", "use_cache": False}).session()
    ai.complete(PROMPT, {"text": "x"}, tier="cheap")
    row = next(r for r in ai.ledger.rows() if r["status"] == "ok")
    assert row["unpriced"] == 1 and row["price_source"] == "unpriced" and row["cost_usd"] == 0

