"""Models' context windows from the genai-prices catalogue (resources/llm/prices_catalogue.py), offline."""

from functools import lru_cache

from resources.llm import prices_catalogue


@lru_cache(maxsize=512)
def context_window(model: str, base_url: str | None = None) -> tuple[int, str] | None:
    """(tokens, where the figure comes from) of a model's context window as the catalogue lists it; None where
    it lists none (an unknown model, or one without the figure)."""
    entry = prices_catalogue.find(model, base_url)
    window = getattr(entry.info, "context_window", None) if entry is not None else None
    return (int(window), entry.source) if window else None
