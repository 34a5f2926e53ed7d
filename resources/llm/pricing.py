"""USD prices per million tokens (input, output) by model name; the ledger's cost column comes from here.

Requests answered through a provider's Batch API (resources/llm/batch_api.py) cost `BATCH_DISCOUNT` of that:
OpenAI bills batch input and output at 50%, and vLLM/Together/OpenRouter-style batch endpoints follow it.
"""

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "text-embedding-3-small": (0.02, 0.0),
    "text-embedding-3-large": (0.13, 0.0),
}


def price_of(model: str) -> tuple[float, float]:
    """Price for a model; a dated or provider-prefixed variant (openai/gpt-4o-2024-08-06) matches its base name.

    Unknown models (local servers) cost nothing, which the ledger records honestly as 0.
    """
    name = model.split("/")[-1]
    for known in sorted(PRICES_PER_MTOK, key=len, reverse=True):
        if name == known or name.startswith(known + "-"):
            return PRICES_PER_MTOK[known]
    return (0.0, 0.0)


BATCH_DISCOUNT = 0.5


def cost_usd(model: str, tokens_in: int, tokens_out: int, batch: bool = False) -> float:
    """What a request cost; `batch`: answered through a Batch API, at the batch rate."""
    price_in, price_out = price_of(model)
    return (tokens_in * price_in + tokens_out * price_out) / 1_000_000 * (BATCH_DISCOUNT if batch else 1.0)
