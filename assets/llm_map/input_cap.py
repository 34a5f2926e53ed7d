"""The most tokens one row's request may carry, and where that figure comes from.

The smallest of: the step's `max_input_tokens`, AIWF_MAX_INPUT_TOKENS (an operator's ceiling for every step), and
the context window of each model that may answer the row (the tier's, an escalation's, each fallback's, from the
genai-prices catalogue) less the room kept for the answer. A model the catalogue does not know adds no limit, so
the configured figures stand. A row over the cap is quarantined as `oversized_input` before any request, and its
reason names the cap and its source (assets/llm_map/rows.py).
"""

from dataclasses import dataclass

from resources.env_numbers import env_number
from resources.llm.context_windows import context_window
from resources.llm.providers import providers_of

MAX_INPUT_ENV = "AIWF_MAX_INPUT_TOKENS"
ANSWER_ROOM = 4096  # tokens kept free for the answer when the prompt does not cap it (max_tokens)


@dataclass(frozen=True)
class InputCap:
    """A per-row token cap and what set it (named in every oversized row's reason)."""

    tokens: int
    source: str


def input_cap(spec, llm, tiers) -> InputCap:
    """The cap for `spec`'s rows answered on `tiers` (the run's tier, and the escalation tier if any)."""
    caps = [InputCap(spec.max_input_tokens, f"max_input_tokens of {spec.name}")]
    if env := env_number(MAX_INPUT_ENV, 0, "tokens", allow_zero=True):
        caps.append(InputCap(int(env), MAX_INPUT_ENV))
    answer = _answer_room(spec.prompt.params)
    for model, base_url in _models(llm, [t for t in tiers if t]):
        found = context_window(model, base_url)
        if found is not None:
            window, where = found
            caps.append(InputCap(max(window - answer, 1), f"{model}'s context window of {window:,} tokens less "
                                                          f"{answer:,} for the answer, from {where}"))
    return min(caps, key=lambda cap: cap.tokens)


def _answer_room(params: dict) -> int:
    cap = params.get("max_completion_tokens") or params.get("max_tokens")
    return int(cap) if cap else ANSWER_ROOM


def _models(llm, tiers: list[str]) -> set[tuple[str, str | None]]:
    """(model, endpoint) pairs that may answer a row on `tiers`: the primary's, then each fallback's."""
    providers = providers_of(llm)
    pairs = {(llm.model_for(tier), providers[0].base_url) for tier in tiers}
    pairs |= {(p.models[tier], p.base_url) for p in providers[1:] for tier in tiers}
    return pairs
