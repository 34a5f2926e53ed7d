"""A catalogue price is worked out once per model, minute and input-size tier, then each answer is priced from its
per-token rates: the same figure genai-prices gives (tiers, batch prices and time-of-day prices included), many
times faster, and the AIWF_PRICES file still wins."""

import time
import types
from datetime import datetime, timezone

import pytest

from resources.llm import prices_catalogue
from resources.llm.pricing import UNPRICED, Usage, price

USAGES = [(1234, 200, 567, 89), (0, 0, 10, 0), (5000, 0, 0, 0), (300_000, 1000, 2000, 0),
          (200_000, 0, 10, 0), (200_001, 5, 10, 3), (272_000, 0, 1, 0), (272_001, 0, 1, 0)]  # tier edges
PEAK, OFF_PEAK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc), datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_price_file(monkeypatch):
    monkeypatch.delenv("AIWF_PRICES", raising=False)


def entries(every: int) -> list:
    snapshot, version = prices_catalogue._snapshot()
    models = [(p, m) for p in snapshot.providers for m in p.models]
    named = {("anthropic", "claude-sonnet-4-5"), ("deepseek", "deepseek-chat")}  # tiered; by time of day
    picked = models[::every] + [(p, m) for p, m in models if (p.id, m.id) in named]
    return [prices_catalogue.CatalogueEntry(p.id, m.id, version, m, p) for p, m in picked]


def at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(prices_catalogue, "time", types.SimpleNamespace(time=lambda: when.timestamp()))


@pytest.mark.parametrize("when", [PEAK, OFF_PEAK])
def test_the_memoized_price_is_the_catalogues_own(monkeypatch, when):
    at(monkeypatch, when)
    checked = 0
    for entry in entries(every=9):
        for usage in USAGES:
            for batch in (False, True):
                try:
                    exact = prices_catalogue._catalogue_cost(entry, *usage, batch=batch, when=when)
                except (ValueError, TypeError, ArithmeticError, LookupError):
                    continue  # a price genai-prices cannot compute for these tokens (e.g. audio-only models)
                assert prices_catalogue.cost(entry, *usage, batch=batch) == pytest.approx(exact, rel=1e-9, abs=1e-12), (
                    entry.source, usage, batch)
                checked += 1
    assert checked > 1000


def test_a_time_of_day_price_follows_the_minute(monkeypatch):
    deepseek = next(e for e in entries(every=10**6) if e.model == "deepseek-chat")
    usage = USAGES[0]
    at(monkeypatch, PEAK)
    peak = prices_catalogue.cost(deepseek, *usage)
    at(monkeypatch, OFF_PEAK)
    assert prices_catalogue.cost(deepseek, *usage) < peak  # DeepSeek's off-peak discount, from the next minute on


def test_the_price_file_still_wins_over_a_memoized_price_and_unknown_models_stay_unpriced(tmp_path, monkeypatch):
    usage = Usage(input=1_000_000, output=1_000_000)
    catalogue = price("gpt-4o-mini", usage)
    assert catalogue.source.startswith("genai-prices") and catalogue.usd > 0
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  gpt-4o-mini: {input_per_mtok: 9.0, output_per_mtok: 9.0}\n")
    monkeypatch.setenv("AIWF_PRICES", str(path))
    assert price("gpt-4o-mini", usage).usd == pytest.approx(18.0)
    monkeypatch.delenv("AIWF_PRICES")
    assert price("gpt-4o-mini", usage) == catalogue
    unknown = price("acme-unlisted-9b", usage)
    assert unknown.usd is None and unknown.source == UNPRICED


def test_pricing_an_answer_is_several_times_faster_than_asking_the_catalogue():
    entry, usage, n = prices_catalogue.find("gpt-4o-mini"), (1234, 200, 567, 89), 300
    prices_catalogue.cost(entry, *usage)
    started = time.perf_counter()
    for _ in range(n):
        prices_catalogue.cost(entry, *usage)
    memoized = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(n):
        prices_catalogue._catalogue_cost(entry, *usage)
    exact = time.perf_counter() - started
    assert exact / memoized > 3, (exact, memoized)
