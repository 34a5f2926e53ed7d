"""What a model call returns, kept apart from the client so that naming it costs no `openai` import."""

from dataclasses import dataclass
from typing import Any

OFFLINE_HEADER = "x-aiwf-offline"


@dataclass
class Completion:
    """One answer: text, the validated pydantic object for structured calls, and what it cost.

    `cost_usd` and the token counts are what this call spent (zero when the answer was cached or shared);
    `answer_cost_usd` and `answer_tokens` are what the answer cost when it was paid for, cached or not.
    """

    text: str
    parsed: Any
    model: str
    cached: bool
    offline: bool
    tokens_in: int
    tokens_out: int
    cost_usd: float
    request_hash: str
    answer_cost_usd: float = 0.0
    answer_tokens: int = 0
