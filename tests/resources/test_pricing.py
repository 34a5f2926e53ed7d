"""Prices for any model: the AIWF_PRICES file wins, the genai-prices catalogue next, otherwise unpriced (never $0)."""

import pytest

from resources.llm import prices_override
from resources.llm.pricing import (UNPRICED, Usage, UnpricedModelError, batch_discount, cost_usd, ledger_fields,
                                   price, price_source, require_price)

PRICES = """models:
  acme-llm-7b: {input_per_mtok: 0.50, cached_input_per_mtok: 0.05, output_per_mtok: 1.50, batch_discount: 0.5}
  gpt-4o-mini: {input_per_mtok: 9.0, output_per_mtok: 9.0}
  my-azure-gpt4o-deployment: {input_per_mtok: 2.5, output_per_mtok: 10.0, reasoning_per_mtok: 20.0}
"""
MTOK = 1_000_000


@pytest.fixture
def price_file(tmp_path, monkeypatch):
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    monkeypatch.setenv("AIWF_PRICES", str(path))
    return path


@pytest.fixture(autouse=True)
def no_price_file(monkeypatch):
    monkeypatch.delenv("AIWF_PRICES", raising=False)


def test_override_prices_each_token_type_and_names_the_file(price_file):
    usage = Usage(input=MTOK, cached_input=200_000, output=MTOK)
    got = price("acme-llm-7b", usage)
    assert got.usd == pytest.approx(0.8 * 0.50 + 0.2 * 0.05 + 1.50)
    assert got.source.startswith(f"aiwf-prices:{price_file.resolve()}@") and len(got.source.rsplit("@")[1]) == 8
    assert price("acme-llm-7b", usage, batch=True).usd == pytest.approx(got.usd * 0.5)
    assert batch_discount("acme-llm-7b") == 0.5
    # a provider prefix or a dated variant finds the same entry
    assert price("acme/acme-llm-7b-2025-01", usage).usd == got.usd


def test_override_wins_over_the_catalogue_and_reasoning_has_its_own_rate(price_file):
    assert price("gpt-4o-mini", Usage(input=MTOK)).usd == pytest.approx(9.0)
    deployment = price("my-azure-gpt4o-deployment", Usage(input=MTOK, output=MTOK, reasoning=400_000))
    assert deployment.usd == pytest.approx(2.5 + 0.6 * 10 + 0.4 * 20)
    assert batch_discount("my-azure-gpt4o-deployment") == 1.0  # none given: no discount assumed


def test_a_changed_file_is_read_again(price_file):
    assert price("acme-llm-7b", Usage(input=MTOK)).usd == pytest.approx(0.5)
    first = price_source("acme-llm-7b")
    price_file.write_text(PRICES.replace("input_per_mtok: 0.50", "input_per_mtok: 0.70") + "\n")
    assert price("acme-llm-7b", Usage(input=MTOK)).usd == pytest.approx(0.7)
    assert price_source("acme-llm-7b") != first


@pytest.mark.parametrize("model, provider", [
    ("claude-sonnet-4-5", "anthropic"), ("anthropic/claude-sonnet-4-5", "anthropic"),
    ("gemini-2.5-flash", "google"), ("mistral-small-latest", "mistral"), ("gpt-4o-mini-2024-07-18", "openai"),
    ("openai/gpt-4o", "openai"), ("azure/gpt-4o", "azure"), ("text-embedding-3-small", "openai"),
])
def test_catalogue_prices_other_providers(model, provider):
    got = price(model, Usage(input=MTOK, output=MTOK))
    assert got.usd and got.usd > 0
    assert got.source.startswith("genai-prices ") and f"({provider}/" in got.source


def test_catalogue_cached_tokens_cost_less_and_batch_is_the_models_own_rate():
    full = price("gpt-4o-mini", Usage(input=MTOK, output=MTOK)).usd
    cached = price("gpt-4o-mini", Usage(input=MTOK, cached_input=500_000, output=MTOK)).usd
    assert full == pytest.approx(0.15 + 0.60) and cached == pytest.approx(full - 0.5 * 0.15 / 2)
    assert batch_discount("gpt-4o-mini") == pytest.approx(0.5)
    assert price("gpt-4o-mini", Usage(input=MTOK, output=MTOK), batch=True).usd == pytest.approx(full / 2)


def test_the_endpoint_names_the_provider():
    groq = price("llama-3.3-70b-versatile", Usage(input=MTOK), base_url="https://api.groq.com/openai/v1")
    assert "(groq/" in groq.source and groq.usd == pytest.approx(0.59)


def test_unknown_model_is_unpriced_not_free():
    got = price("acme-llm-7b", Usage(input=1000, output=1000, provider_cost_usd=0.002))
    assert got.usd is None and got.unpriced and got.source == UNPRICED and got.provider_usd == 0.002
    assert price_source("acme-llm-7b") is None and batch_discount("acme-llm-7b") == 1.0
    assert cost_usd("acme-llm-7b", 1000, 1000) == 0.0  # the old interface, for callers not yet moved
    with pytest.raises(UnpricedModelError, match="'acme-llm-7b'.*AIWF_PRICES"):
        require_price("acme-llm-7b")


def test_old_cost_usd_matches_the_catalogue():
    assert cost_usd("gpt-4o", 1000, 500) == pytest.approx((1000 * 2.5 + 500 * 10) / MTOK)
    assert cost_usd("gpt-4o", 1000, 500, batch=True) == pytest.approx((1000 * 2.5 + 500 * 10) / MTOK / 2)


def test_usage_is_read_in_full_from_an_openai_usage_block():
    block = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200, "cost": 0.0042,
             "prompt_tokens_details": {"cached_tokens": 64}, "completion_tokens_details": {"reasoning_tokens": 30}}
    assert Usage.from_openai(block) == Usage(input=120, cached_input=64, output=80, reasoning=30,
                                             provider_cost_usd=0.0042)
    assert Usage.from_openai({"prompt_tokens": 7, "total_tokens": 7}) == Usage(input=7)  # an embeddings block
    assert Usage.from_openai(None) == Usage()


@pytest.mark.parametrize("text, problem", [
    ("acme: {input_per_mtok: 1}", "models:"),
    ("models:\n  x: {input_per_mtok: 1}", "output_per_mtok"),
    ("models:\n  x: {input_per_mtok: 1, output_per_mtok: 2, output_mtok: 3}", "unknown field"),
    ("models:\n  x: {input_per_mtok: -1, output_per_mtok: 2}", "negative"),
])
def test_a_bad_price_file_says_what_is_wrong(tmp_path, monkeypatch, text, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    monkeypatch.setenv("AIWF_PRICES", str(path))
    with pytest.raises(prices_override.PriceFileError, match=problem):
        price("x", Usage(input=1))


def test_importing_pricing_does_not_load_the_catalogue():
    import subprocess
    import sys

    code = "import sys, resources.llm.pricing; print('genai_prices' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ledger_fields_fill_a_call_record(price_file):
    from resources.llm.ledger import CallRecord

    usage = Usage(input=1000, cached_input=400, output=300, reasoning=100, provider_cost_usd=0.01)
    fields = ledger_fields("acme-llm-7b", usage)
    record = CallRecord("chat", "acme-llm-7b", "h", "ok", **fields)
    assert (record.tokens_in, record.cached_tokens, record.tokens_out, record.reasoning_tokens) == (1000, 400, 300, 100)
    assert record.cost_usd == pytest.approx((600 * 0.5 + 400 * 0.05 + 300 * 1.5) / MTOK)
    assert record.price_source.startswith("aiwf-prices:") and not record.unpriced and record.provider_cost_usd == 0.01
    unknown = ledger_fields("nobody-prices-this", usage)
    assert unknown["unpriced"] and unknown["cost_usd"] == 0.0 and unknown["price_source"] == UNPRICED
    replay = ledger_fields("acme-llm-7b", usage, replayed=True)
    assert replay["replayed"] and replay["cost_usd"] == 0.0 and not replay["unpriced"]
