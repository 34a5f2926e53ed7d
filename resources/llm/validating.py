"""Turns a provider's reply into an Answer: secrets scrubbed from its text, a structured answer validated, and
one repair request when it is not valid (a second invalid answer is a clear `invalid_output` error).

Scrubbing happens here, before the answer reaches the cache, the ledger, logs or tables: a model that repeats
the API key (or anything shaped like a secret) never gets it stored.
"""

from pydantic import ValidationError

from resources.llm import retry
from resources.llm.answer import Answer
from resources.llm.request import ChatRequest, invalid_json, repair
from resources.safety.secrets import configured_secrets, scrub


class Validating:
    """Between the cache and the budget: the cache keeps only valid answers; the repair passes the budget too."""

    def __init__(self, inner, ledger, api_keys: list):
        self.inner, self.ledger = inner, ledger
        self.secrets = configured_secrets(api_keys)  # every provider's key, read once per session

    def request(self, request: ChatRequest):
        reply = yield from self.inner.request(request)
        text = self.text(reply)
        try:
            reply.answer = self.answer(request, reply, text)
            return reply
        except ValidationError as err:
            self.ledger.record_many(reply.rows)  # the invalid answer was paid for; the repair asks again
            return (yield from self.repair(request, text, err))

    def repair(self, request: ChatRequest, text: str, err: ValidationError):
        """The one repair request; still invalid is a clear error (its rows written: no cache entry takes them)."""
        reply = yield from self.inner.request(repair(request, text, err))
        try:
            reply.answer = self.answer(request, reply, self.text(reply))
            return reply
        except ValidationError as again:
            self.ledger.record_many(reply.rows)
            raise retry.LLMError(self.scrub(invalid_json(request, again)), error_class="invalid_output") from None

    def text(self, reply) -> str:
        return self.scrub(reply.raw.text())

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets) if text else text

    def answer(self, request: ChatRequest, reply, text: str) -> Answer:
        """The Answer to `request` (raises ValidationError for an invalid structured answer)."""
        parsed = request.response_model.model_validate_json(text) if request.response_model else None
        usage = reply.usage
        return Answer(text, parsed, request.model, False, reply.offline, usage.input, usage.output, reply.cost,
                      request.hash, reply.cost, usage.input + usage.output, request.prompt, usage,
                      replayed=reply.replayed)
