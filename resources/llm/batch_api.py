"""Provider Batch APIs through the official `openai` client: JSONL requests in, answers at the batch price within 24 h.

`BatchClient` (an LLM session's `batches`) builds each JSONL line from the same ChatRequest as a synchronous call
(prompt in force, PII redaction, strict structured output), uploads it with `files.create(purpose="batch")`,
submits it with `batches.create(endpoint="/v1/chat/completions", completion_window="24h")`, reads `files.content`
of the output and error files, and turns each answer into an Answer priced at the batch rate. The same JSONL
`custom_id` shape is served by OpenAI, vLLM, Together, OpenRouter and aiwf's offline double
(resources/offline/batch_routes.py). A batch reserves its estimated cost in the session's one Budget before it is
submitted (resources/llm/budget.py); each answer is spent as its batch is billed.

`BatchBook` (resources/llm/batch_book.py, table `llm_batches`) is what makes batches durable: an uploaded file
is recorded before its batch is created, the batch id as soon as it is, so a crashed or cancelled run
re-attaches to its batches (a file recorded without a batch id is looked up with `batches.list` by its input
file) instead of submitting them again. A batch's answers are billed once: its ledger rows (flag `batch`) and
cache entries are written in the same transaction that marks it billed, so re-reading its output after a crash
never books a row twice. Each row booked is then a model-call span and GenAI metrics (aiwf.batch) under the step
that read the batch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from resources.llm import retry
from resources.llm.answer import Answer, price_of
from resources.llm.cache import put_params
from resources.llm.instrumented import wants_response
from resources.llm.ledger import CallRecord
from resources.llm.openai_calls import OFFLINE_HEADER, chat_body, message
from resources.llm.pricing import Usage
from resources.llm.request import ChatRequest
from resources.safety.secrets import scrub

if TYPE_CHECKING:  # imported where a batch is sent: a session that sends none never loads the client
    import openai
    from openai.types.chat import ChatCompletion

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"


@dataclass
class BatchResult:
    """One request's outcome in a finished batch: the chat completion body, or why there is none."""

    custom_id: str
    body: dict | None
    error_class: str | None = None  # batch_failed | batch_expired | batch_cancelled | the HTTP error's class
    reason: str = ""


def _provider_errors(method):
    """A Batch API call the provider refused is a clear LLMError, its text scrubbed of the key, not chained."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        import openai

        try:
            return method(self, *args, **kwargs)
        except openai.APIError as exc:
            said = scrub(message(exc), [self.resource.api_key])
            raise retry.LLMUnavailable(f"Batch API call {method.__name__} failed: {said}",
                                       error_class=retry.error_class(exc)) from None

    return wrapper


class BatchClient:
    """The Batch API calls of one LLM session, through its client, cache, recorder, validation and budget."""

    def __init__(self, session):
        self.session, self.resource = session, session.resource

    def _admin(self) -> openai.OpenAI:
        """The client for files/batches calls: openai's own retries with backoff (these calls are free)."""
        return self.session.transport.client().with_options(max_retries=max(2, self.resource.max_attempts))

    def request(self, prompt, variables: dict, *, tier: str, response_model=None) -> ChatRequest:
        """The request a row makes, exactly as the synchronous path builds it (body, redaction, hash)."""
        return self.session.request_for(prompt, variables, tier=tier, response_model=response_model)

    @staticmethod
    def line(request: ChatRequest, custom_id: str) -> bytes:
        """One JSONL request of a batch input file."""
        line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": chat_body(request)}
        return (json.dumps(line, separators=(",", ":")) + "\n").encode()

    def cached(self, request: ChatRequest) -> Answer | None:
        return self.session.caching.cached(request)

    def reserve(self, requests: list[ChatRequest], what: str):
        """The budget gate for a batch: its estimated cost at the batch rate (its maximum on the budgets across
        runs), held until `release`."""
        budget, usd, tokens = self.session.budget, 0.0, 0
        for request in requests:
            one_usd, one_tokens = budget.estimate(request, batch=True)
            usd, tokens = usd + one_usd, tokens + one_tokens
        most = sum(budget.maximum(r, batch=True) for r in requests) if budget.shared is not None else None
        return budget.reserve(usd, tokens, what, most)

    def release(self, held) -> None:
        self.session.budget.release(held)

    @_provider_errors
    def upload(self, data: bytes, name: str) -> str:
        """Upload a JSONL input file; its file id."""
        return self._admin().files.create(file=(name, data, "application/jsonl"), purpose="batch").id

    @_provider_errors
    def submit(self, input_file_id: str, metadata: dict | None = None):
        return self._admin().batches.create(input_file_id=input_file_id, endpoint=ENDPOINT,
                                            completion_window=WINDOW, metadata=metadata)

    @_provider_errors
    def find(self, input_file_id: str, scan: int = 1000):
        """The batch created from an input file (a run died between creating it and recording its id), or None."""
        for seen, batch in enumerate(self._admin().batches.list(limit=100)):
            if batch.input_file_id == input_file_id:
                return batch
            if seen >= scan:
                return None
        return None

    @_provider_errors
    def status(self, batch_id: str):
        return self._admin().batches.retrieve(batch_id)

    @_provider_errors
    def cancel(self, batch_id: str):
        return self._admin().batches.cancel(batch_id)

    @_provider_errors
    def results(self, batch, custom_ids) -> tuple[dict[str, BatchResult], bool]:
        """Each request's outcome (a request in neither file failed with the batch), and whether the answers came
        from aiwf's offline test double."""
        results, offline = {}, False
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = self._admin().files.content(file_id)
            offline = offline or content.response.headers.get(OFFLINE_HEADER) == "1"
            for raw in content.content.splitlines():
                if raw.strip():
                    result = _result(json.loads(raw))
                    results[result.custom_id] = result
        kind = {"expired": "batch_expired", "cancelled": "batch_cancelled"}.get(batch.status, "batch_failed")
        errors = "; ".join(e.message or "" for e in (batch.errors.data or [])) if batch.errors else ""
        reason = f"batch {batch.id} ended {batch.status} without answering it" + (f": {errors}" if errors else "")
        for custom_id in custom_ids:
            results.setdefault(custom_id, BatchResult(custom_id, None, kind, reason))
        return results, offline

    def record(self, request: ChatRequest, body: dict, offline: bool) -> CallRecord:
        """The ledger row of a batch answer: priced at the batch rate and flagged `batch`."""
        return self.session.recorder.record_of(request, status="ok", usage=Usage.from_openai(body.get("usage")),
                                               offline=offline, batch=True)

    def cache_row(self, record: CallRecord, body: dict) -> tuple | None:
        if not self.resource.use_cache:
            return None
        text = self.session.validating.scrub(_text(body))
        return put_params(record.request_hash, record.model, {"text": text, "offline": record.offline},
                          record.tokens_in, record.tokens_out, record.cost_usd)

    def counted(self, record: CallRecord, request: ChatRequest, body: dict | None = None,
                batch_id: str | None = None) -> None:
        """This session paid for a batch answer: it shows in the run's spend and, with telemetry on, is a
        model-call span (aiwf.batch) under the step reading the batch, with the GenAI token and cost metrics."""
        self.session.recorder.count(request, record, _completion(body) if wants_response() else None, batch_id)

    def answer(self, request: ChatRequest, body: dict, offline: bool) -> Answer:
        """A batch answer at the batch price; an invalid structured answer gets the one repair request of the
        synchronous path (sent synchronously), then is a clear `invalid_output` error."""
        usage = Usage.from_openai(body.get("usage"))
        cost = price_of(request.model, usage, batch=True)
        self.session.stats.used(request.hash, cost, usage.input + usage.output)
        validating, text = self.session.validating, self.session.validating.scrub(_text(body))
        try:
            parsed = request.response_model.model_validate_json(text) if request.response_model else None
        except ValidationError as err:
            reply = self.session.drive(validating.repair(request, text, err))
            self.session.recorder.ledger.record_many(reply.rows)
            return reply.answer
        return Answer(text, parsed, request.model, False, offline, usage.input, usage.output, cost, request.hash,
                      cost, usage.input + usage.output, request.prompt, usage)


def _text(body: dict) -> str:
    """The first choice's message content of a chat completion body ("" when absent)."""
    choices = body.get("choices") or [{}]
    return ((choices[0] or {}).get("message") or {}).get("content") or ""


def _completion(body: dict | None) -> ChatCompletion | None:
    """A batch answer's body as the client's ChatCompletion (response id, model, finish reasons), if it is one."""
    from openai.types.chat import ChatCompletion

    try:
        return ChatCompletion.model_validate(body) if body else None
    except ValidationError:
        return None


def _result(line: dict) -> BatchResult:
    """A line of an output or error file."""
    custom_id, response, error = line.get("custom_id"), line.get("response"), line.get("error")
    if response and response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        return BatchResult(custom_id, response["body"])
    if error:
        code = error.get("code") or "batch_failed"
        return BatchResult(custom_id, None, code if code == "batch_expired" else "batch_failed",
                           f"{code}: {error.get('message') or ''}")
    status = (response or {}).get("status_code") or 0
    body = (response or {}).get("body") or {}
    said = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
    code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    kind = "context_too_long" if code == "context_length_exceeded" else (
        "batch_failed" if status >= 500 or status in (408, 429) else f"http_{status}")
    return BatchResult(custom_id, None, kind, f"the batch answered HTTP {status}: {said or 'no message'}")
