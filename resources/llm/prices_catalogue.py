"""Prices from `genai-prices` (pydantic's catalogue, as pydantic-ai uses): its bundled data only, offline.

The package can refresh prices from GitHub in a background thread (`genai_prices.UpdatePrices`); aiwf never
starts it, and `_snapshot` reads the bundled data even when some other code in the process did, so a price
and the version it names always agree. The catalogue (~30k lines) is imported at the first lookup, not with
definitions, and each (model, endpoint) lookup is cached.
"""

from dataclasses import dataclass, field
from functools import cache, lru_cache


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
    """USD for one call's tokens at the entry's prices (the batch price where the catalogue lists one)."""
    from genai_prices import Usage

    usage = Usage(input_tokens=input_tokens, cache_read_tokens=cached_input or None, output_tokens=output_tokens,
                  output_reasoning_tokens=reasoning or None)
    context = {"processing": "batch"} if batch else None
    calc = entry.info.calc_price(usage, entry.provider_info, price_context=context)
    return float(calc.total_price)


@lru_cache(maxsize=512)
def batch_discount(entry: CatalogueEntry) -> float:
    """What a Batch API request costs relative to a plain one: the catalogue's batch price over its standard
    price for a million tokens each way; 1.0 (no discount assumed) where it lists no batch price."""
    standard = cost(entry, 1_000_000, 0, 1_000_000, 0)
    return round(cost(entry, 1_000_000, 0, 1_000_000, 0, batch=True) / standard, 6) if standard else 1.0
