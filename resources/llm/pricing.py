"""What a model call cost: `price(model, usage)` from the AIWF_PRICES file (resources/llm/prices_override.py),
else the `genai-prices` catalogue (resources/llm/prices_catalogue.py), else unpriced: `usd` None, never a silent 0.

Each `Priced` names the price it used (`aiwf-prices:/path@1a2b3c4d`, `genai-prices 0.2.5 (openai/gpt-4o-mini)`)
for the ledger. Cached input and reasoning tokens are priced at their own rates; a Batch API request at the
model's batch price (the catalogue's, or the override's `batch_discount`), not a blanket discount.
"""

from dataclasses import dataclass

from resources.llm import prices_catalogue, prices_override
from resources.llm.retry import BudgetExceeded

UNPRICED = "unpriced"


@dataclass(frozen=True)
class Usage:
    """One call's usage as the provider reported it. `input` includes `cached_input` and `output` includes
    `reasoning`, as OpenAI-style usage blocks count them; `provider_cost_usd` is the cost a gateway reported."""

    input: int = 0
    cached_input: int = 0
    output: int = 0
    reasoning: int = 0
    provider_cost_usd: float | None = None

    @classmethod
    def from_openai(cls, usage) -> "Usage":
        """Read an OpenAI-style `usage` block (dict or SDK object): prompt/completion tokens, their
        `prompt_tokens_details.cached_tokens` and `completion_tokens_details.reasoning_tokens`, and `cost`."""
        def get(obj, key):
            return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)

        if usage is None:
            return cls()
        cost = get(usage, "cost")
        return cls(input=int(get(usage, "prompt_tokens") or 0),
                   cached_input=int(get(get(usage, "prompt_tokens_details") or {}, "cached_tokens") or 0),
                   output=int(get(usage, "completion_tokens") or 0),
                   reasoning=int(get(get(usage, "completion_tokens_details") or {}, "reasoning_tokens") or 0),
                   provider_cost_usd=float(cost) if isinstance(cost, (int, float)) else None)


@dataclass(frozen=True)
class Priced:
    """A call's cost in USD (None: no price known for the model) and the price it came from."""

    usd: float | None
    source: str
    provider_usd: float | None = None

    @property
    def unpriced(self) -> bool:
        return self.usd is None


def _lookup(model: str, base_url: str | None):
    """The price entry for a model: the override file's, else the catalogue's, else None."""
    return prices_override.find(model) or prices_catalogue.find(model, base_url)


def price(model: str, usage: Usage, *, batch: bool = False, base_url: str | None = None) -> Priced:
    """What one call cost. `batch`: answered through a Batch API; `base_url`: the endpoint, which tells the
    catalogue the provider when the name alone does not (an Azure or Groq host)."""
    entry = _lookup(model, base_url)
    if entry is None:
        return Priced(None, UNPRICED, usage.provider_cost_usd)
    if isinstance(entry, prices_override.OverridePrice):
        usd = entry.cost(usage.input, usage.cached_input, usage.output, usage.reasoning, batch=batch)
    else:
        usd = prices_catalogue.cost(entry, usage.input, usage.cached_input, usage.output, usage.reasoning,
                                    batch=batch)
    return Priced(round(usd, 10), entry.source, usage.provider_cost_usd)


def price_source(model: str, base_url: str | None = None) -> str | None:
    """Where a model's price comes from, or None when it has none."""
    entry = _lookup(model, base_url)
    return entry.source if entry is not None else None


def batch_discount(model: str, base_url: str | None = None) -> float:
    """A Batch API request's cost relative to a plain one for this model (1.0 when unknown: no discount
    assumed, so estimates and budgets err high)."""
    entry = _lookup(model, base_url)
    if entry is None:
        return 1.0
    if isinstance(entry, prices_override.OverridePrice):
        return entry.batch_discount
    return prices_catalogue.batch_discount(entry)


def unpriced_message(model: str) -> str:
    """One line for a USD budget on a model with no price: which model, and how to price it."""
    return (f"model {model!r} has no price, so a USD budget cannot be enforced: add it to the YAML file named by "
            f"AIWF_PRICES (models: {{{model}: {{input_per_mtok: ..., output_per_mtok: ...}}}}) or drop the USD budget")


class UnpricedModelError(BudgetExceeded):
    """A USD budget was set on a step whose model has no price; raised before any request (a budget stop: it
    stops the step, it does not fail rows one by one)."""


def require_price(model: str, base_url: str | None = None) -> None:
    """Raise UnpricedModelError (one line naming the model and AIWF_PRICES) unless the model has a price."""
    if _lookup(model, base_url) is None:
        raise UnpricedModelError(unpriced_message(model))


def ledger_fields(model: str, usage: Usage, *, batch: bool = False, replayed: bool = False,
                  base_url: str | None = None) -> dict:
    """The usage and cost columns of a ledger row (resources/llm/ledger.py CallRecord) for one answered call.
    A replayed answer (a cassette) cost nobody anything: 0 and `replayed`; an unpriced one is flagged, with 0 in
    the cost column standing for unknown, so sums stay sums and reports count it apart."""
    priced = Priced(0.0, "replayed", usage.provider_cost_usd) if replayed else price(
        model, usage, batch=batch, base_url=base_url)
    return {"tokens_in": usage.input, "tokens_out": usage.output, "cached_tokens": usage.cached_input,
            "reasoning_tokens": usage.reasoning, "cost_usd": priced.usd or 0.0,
            "provider_cost_usd": None if replayed else usage.provider_cost_usd, "price_source": priced.source,
            "unpriced": priced.unpriced, "replayed": replayed}


def cost_usd(model: str, tokens_in: int, tokens_out: int, batch: bool = False) -> float:
    """Old callers' cost: 0.0 for an unpriced model. New code calls `price`, which says unpriced."""
    return price(model, Usage(input=tokens_in, output=tokens_out), batch=batch).usd or 0.0
