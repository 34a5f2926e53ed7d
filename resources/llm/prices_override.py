"""Local prices for private or self-hosted models: a YAML file named by AIWF_PRICES, which wins over the catalogue.

    models:
      acme-llm-7b: {input_per_mtok: 0.50, cached_input_per_mtok: 0.05, output_per_mtok: 1.50, batch_discount: 0.5}

USD per million tokens. `cached_input_per_mtok` defaults to the input price, `reasoning_per_mtok` (optional) to
the output price, `batch_discount` (what a Batch API request costs relative to a plain one) to 1.0. The file is
read at the first lookup and again whenever it changes; each price names the file and its content hash.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

ENV = "AIWF_PRICES"
FIELDS = ("input_per_mtok", "cached_input_per_mtok", "output_per_mtok", "reasoning_per_mtok", "batch_discount")


class PriceFileError(ValueError):
    """The AIWF_PRICES file cannot be read as the shape above; the message names the file and the entry."""


@dataclass(frozen=True)
class OverridePrice:
    """One model's prices from the file, with the file it came from (`aiwf-prices:<path>@<sha256[:8]>`)."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float
    reasoning_per_mtok: float
    batch_discount: float
    source: str

    def cost(self, input_tokens: int, cached_input: int, output_tokens: int, reasoning: int, *,
             batch: bool = False) -> float:
        """USD for one call; cached input and reasoning are parts of input and output, priced at their own rate."""
        cached, reasoning = min(cached_input, input_tokens), min(reasoning, output_tokens)
        usd = ((input_tokens - cached) * self.input_per_mtok + cached * self.cached_input_per_mtok
               + (output_tokens - reasoning) * self.output_per_mtok + reasoning * self.reasoning_per_mtok) / 1e6
        return usd * (self.batch_discount if batch else 1.0)


_loaded: dict[str, tuple[tuple[int, int], dict[str, OverridePrice]]] = {}


def _parse(path: Path, text: bytes) -> dict[str, OverridePrice]:
    import yaml

    source = f"aiwf-prices:{path}@{hashlib.sha256(text).hexdigest()[:8]}"
    doc = yaml.safe_load(text) or {}
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, dict):
        raise PriceFileError(f"{path}: expected a top-level `models:` mapping of model name to prices")
    prices = {}
    for name, entry in models.items():
        if not isinstance(entry, dict) or not {"input_per_mtok", "output_per_mtok"} <= entry.keys():
            raise PriceFileError(f"{path}: {name}: needs at least input_per_mtok and output_per_mtok")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise PriceFileError(f"{path}: {name}: unknown field(s) {sorted(unknown)}; expected {list(FIELDS)}")
        try:
            values = {k: float(v) for k, v in entry.items()}
        except (TypeError, ValueError) as exc:
            raise PriceFileError(f"{path}: {name}: prices must be numbers ({exc})") from None
        if any(v < 0 for v in values.values()):
            raise PriceFileError(f"{path}: {name}: prices must not be negative")
        prices[str(name).lower()] = OverridePrice(
            input_per_mtok=values["input_per_mtok"], output_per_mtok=values["output_per_mtok"],
            cached_input_per_mtok=values.get("cached_input_per_mtok", values["input_per_mtok"]),
            reasoning_per_mtok=values.get("reasoning_per_mtok", values["output_per_mtok"]),
            batch_discount=values.get("batch_discount", 1.0), source=source)
    return prices


def prices(path: str | None = None) -> dict[str, OverridePrice]:
    """The file's prices by lower-cased model name; {} without AIWF_PRICES. Re-read when the file changes."""
    path = path if path is not None else os.environ.get(ENV)
    if not path:
        return {}
    file = Path(path).expanduser().resolve()
    try:
        st = file.stat()
    except FileNotFoundError:
        raise PriceFileError(f"{ENV}={path}: no such file") from None
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _loaded.get(str(file))
    if cached is None or cached[0] != stamp:
        _loaded[str(file)] = cached = (stamp, _parse(file, file.read_bytes()))
    return cached[1]


def find(model: str) -> OverridePrice | None:
    """The file's price for a model: its exact name, or without a provider prefix (`acme/acme-llm-7b`), or a
    dated or suffixed variant of a listed name (`acme-llm-7b-2025-01`), the longest listed name first."""
    table = prices()
    if not table:
        return None
    name = model.lower()
    for candidate in (name, name.split("/", 1)[-1]):
        if candidate in table:
            return table[candidate]
    base = name.split("/", 1)[-1]
    for known in sorted(table, key=len, reverse=True):
        if base.startswith(known + "-"):
            return table[known]
    return None
