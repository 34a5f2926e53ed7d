"""What a model call returns: the answer, its usage and cost, and the prompt version that gave it.

Kept apart from the client so that naming it costs no `openai` import. Callers read which prompt version
answered from the answer (`answer.prompt_ref`), never by asking the session afterwards.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pricing (and its catalogue) loads with the first call, not with definitions
    from resources.llm.pricing import Usage

OFFLINE_HEADER = "x-aiwf-offline"


def price_of(model: str, usage: "Usage", batch: bool = False) -> float:
    """What `usage` of `model` costs: every ledger row, answer and budget estimate is priced here (one place)."""
    from resources.llm.pricing import price

    return price(model, usage, batch=batch).usd or 0.0  # unpriced: 0 here, flagged in the ledger (ledger_fields)


@dataclass
class Answer:
    """One answer: text, the validated pydantic object for structured calls, what it cost and which prompt gave it.

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
    prompt: Any = field(default=None, repr=False, compare=False)  # the Prompt (version) that answered
    usage: "Usage | None" = field(default=None, repr=False, compare=False)
    replayed: bool = False  # served from a replay cassette: nobody paid, and the response cache never keeps it

    @property
    def prompt_ref(self) -> str | None:
        return self.prompt.ref if self.prompt is not None else None

    @property
    def prompt_version(self) -> str | None:
        return self.prompt.version if self.prompt is not None else None


Completion = Answer  # the name every caller knows


def as_cached(answer: Answer) -> Answer:
    """A waiter on an identical in-flight request got the answer without paying for it."""
    return dataclasses.replace(answer, cached=True, tokens_in=0, tokens_out=0, cost_usd=0.0)
