"""Prices from `genai-prices` (pydantic's catalogue, as pydantic-ai uses): its bundled data only, offline.

The package can refresh prices from GitHub in a background thread (`genai_prices.UpdatePrices`); aiwf never
starts it, and `_snapshot` reads the bundled data even when some other code in the process did, so a price
and the version it names always agree. The catalogue (~30k lines) is imported at the first lookup, not with
definitions, each (model, endpoint) lookup is cached, and so are a model's per-token rates (`cost`).
"""

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache, lru_cache

MTOK = 1_000_000


@dataclass(frozen=True)
class CatalogueEntry:
    """One catalogue model as found for a name: its provider, model and the data version it came from."""

    provider: str
    model: str
    version: str
    info: object = field(compare=False, repr=False)  # genai_prices.types.ModelInfo
    provider_info: object = field(compare=False, repr=False)  # genai_prices.types.Provider

    @property
    def source(self) -> str:
        return f"genai-prices {self.version} ({self.provider}/{self.model})"


@cache
def _snapshot():
    """The bundled snapshot and the package version: the data ships inside each release."""
    import genai_prices
    from genai_prices import data_snapshot

    return data_snapshot._bundled_snapshot(), genai_prices.__version__


def _providers(name: str, base_url: str | None) -> list[tuple[str, str | None, str | None]]:
    """(model_ref, provider_id, api_url) to try, most specific first: a provider prefix (`anthropic/claude-...`,
    `azure/gpt-4o`), the endpoint's host, the name alone, then OpenAI (whose API every endpoint here speaks)."""
    tries = []
    if "/" in name:
        prefix, rest = name.split("/", 1)
        tries.append((rest, prefix, None))
    if base_url and base_url.startswith("http"):
        tries.append((name, None, base_url))
    tries += [(name, None, None), (name, "openai", None)]
    return tries


@lru_cache(maxsize=512)
def find(model: str, base_url: str | None = None) -> CatalogueEntry | None:
    """The catalogue's entry for a model name (any case; dated variants match their base), or None."""
    snapshot, version = _snapshot()
    for ref, provider_id, api_url in _providers(model.lower(), base_url):
        try:
            provider, info = snapshot.find_provider_model(ref, None, provider_id, api_url)
        except LookupError:
            continue
        return CatalogueEntry(provider.id, info.id, version, info, provider)
    return None


def cost(entry: CatalogueEntry, input_tokens: int, cached_input: int, output_tokens: int, reasoning: int,
         *, batch: bool = False) -> float:
    """USD for one call's tokens at the entry's prices (the batch price where the catalogue lists one).

    Asking the catalogue costs ~0.1-0.6 ms a call, so each answer is priced from the model's per-token rates,
    which the catalogue itself gives once per minute and input-size tier (`_rates`)."""
    now = time.time()
    starts = _tier_starts(entry)
    rates = _rates(entry, batch, int(now // 60), sum(input_tokens > start for start in starts))
    if rates is None or cached_input > input_tokens or reasoning > output_tokens:
        return _catalogue_cost(entry, input_tokens, cached_input, output_tokens, reasoning, batch=batch,
                               when=datetime.fromtimestamp(now, timezone.utc))
    fixed, per_input, per_cached, per_output, per_reasoning = rates
    return fixed + ((input_tokens - cached_input) * per_input + cached_input * per_cached
                    + (output_tokens - reasoning) * per_output + reasoning * per_reasoning)


def _catalogue_cost(entry: CatalogueEntry, input_tokens: int, cached_input: int, output_tokens: int,
                    reasoning: int, *, batch: bool = False, when: datetime | None = None) -> float:
    """What genai-prices says the call cost at `when` (default now)."""
    from genai_prices import Usage

    usage = Usage(input_tokens=input_tokens, cache_read_tokens=cached_input or None, output_tokens=output_tokens,
                  output_reasoning_tokens=reasoning or None)
    context = {"processing": "batch"} if batch else None
    calc = entry.info.calc_price(usage, entry.provider_info, genai_request_timestamp=when, price_context=context)
    return float(calc.total_price)


@lru_cache(maxsize=2048)
def _rates(entry: CatalogueEntry, batch: bool, minute: int, tier: int) -> tuple[float, ...] | None:
    """(USD per call, then per uncached input, cached input, output and reasoning token) at the start of `minute`
    for calls whose input is in `tier` (past that many of the model's tier starts), or None where the catalogue
    cannot price the probes. Keyed by the minute: prices change by date and for some models by time of day."""
    starts = _tier_starts(entry)
    low = starts[tier - 1] + 1 if tier else 0  # genai-prices: a tier applies to input above its start
    high = starts[tier] if tier < len(starts) else low + MTOK
    when = datetime.fromtimestamp(minute * 60, timezone.utc)

    def usd(*tokens: int) -> float:
        return _catalogue_cost(entry, *tokens, batch=batch, when=when)

    try:
        at_low, at_high = usd(low, 0, 0, 0), usd(high, 0, 0, 0)
        per_input = (at_high - at_low) / (high - low)
        fixed = at_low - low * per_input
        return (fixed, per_input, (usd(high, high, 0, 0) - fixed) / high,
                (usd(low, 0, MTOK, 0) - at_low) / MTOK, (usd(low, 0, MTOK, MTOK) - at_low) / MTOK)
    except (ValueError, TypeError, ArithmeticError, LookupError):
        return None


@lru_cache(maxsize=512)
def _tier_starts(entry: CatalogueEntry) -> tuple[int, ...]:
    """Every input size at which one of the model's prices (by date, time of day or request) changes tier."""
    from genai_prices.types import ModelPrice, TieredPrices

    info = entry.info
    prices = [info.prices] if isinstance(info.prices, ModelPrice) else [c.prices for c in info.prices]
    prices += [variant.prices for variant in info.price_variants or ()]
    return tuple(sorted({tier.start for p in prices for value in vars(p).values()
                         if isinstance(value, TieredPrices) for tier in value.tiers}))


@lru_cache(maxsize=512)
def batch_discount(entry: CatalogueEntry) -> float:
    """What a Batch API request costs relative to a plain one: the catalogue's batch price over its standard
    price for a million tokens each way; 1.0 (no discount assumed) where it lists no batch price."""
    standard = cost(entry, MTOK, 0, MTOK, 0)
    return round(cost(entry, MTOK, 0, MTOK, 0, batch=True) / standard, 6) if standard else 1.0
