"""Provider Batch APIs through the official `openai` client: JSONL requests in, answers at half price within 24 h.

`BatchCalls` (mixed into LLMSession) builds each JSONL line from the same call as a synchronous request
(`_chat_call`: prompt params, PII redaction, strict structured output), uploads it with
`files.create(purpose="batch")`, submits it with `batches.create(endpoint="/v1/chat/completions",
completion_window="24h")`, reads `files.content` of the output and error files, and turns each answer into a
Completion priced at the batch rate (resources/llm/pricing.py). The same JSONL `custom_id` shape is served by
OpenAI, vLLM, Together, OpenRouter and aiwf's offline double (resources/offline/batch_routes.py).

`BatchBook` (resources/llm/batch_book.py, table `llm_batches`) is what makes batches durable: an uploaded file
is recorded before its batch is created, the batch id as soon as it is, so a crashed or cancelled run
re-attaches to its batches (a file recorded without a batch id is looked up with `batches.list` by its input
file) instead of submitting them again. A batch's answers are billed once: its ledger rows (flag `batch`) and
cache entries are written in the same transaction that marks it billed, so re-reading its output after a crash
never books a row twice. Each row booked is then a model-call span and GenAI metrics (aiwf.batch) under the step
that read the batch.
"""

import functools
import json
from dataclasses import dataclass

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from resources import telemetry
from resources.llm import retry
from resources.llm.cache import put_params
from resources.llm.ledger import CallRecord
from resources.llm.openai_calls import OFFLINE_HEADER, Completion, chat_body, message, repair_messages
from resources.llm.pricing import cost_usd
from resources.safety.secrets import scrub

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
        try:
            return method(self, *args, **kwargs)
        except openai.APIError as exc:
            said = scrub(message(exc), [self.resource.api_key])
            raise retry.LLMUnavailable(f"Batch API call {method.__name__} failed: {said}",
                                       error_class=retry.error_class(exc)) from None

    return wrapper


class BatchCalls:
    """Batch API calls of LLMSession (uses its resource, client, cache, ledger and stats)."""

    def _admin(self) -> openai.OpenAI:
        """The client for files/batches calls: openai's own retries with backoff (these calls are free)."""
        return self._client().with_options(max_retries=max(2, self.resource.max_attempts))

    def batch_call(self, prompt, variables: dict, *, tier: str, response_model=None) -> dict:
        """The call a row makes, exactly as the synchronous path builds it (body, redaction, hash)."""
        return self._chat_call(prompt, variables, tier, None, response_model, {})

    def batch_line(self, call: dict, custom_id: str) -> bytes:
        """One JSONL request of a batch input file."""
        line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": chat_body(call)}
        return (json.dumps(line, separators=(",", ":")) + "\n").encode()

    def cached(self, call: dict) -> Completion | None:
        return self._from_cache(call)

    @_provider_errors
    def upload_batch(self, data: bytes, name: str) -> str:
        """Upload a JSONL input file; its file id."""
        return self._admin().files.create(file=(name, data, "application/jsonl"), purpose="batch").id

    @_provider_errors
    def submit_batch(self, input_file_id: str, metadata: dict | None = None):
        return self._admin().batches.create(input_file_id=input_file_id, endpoint=ENDPOINT,
                                            completion_window=WINDOW, metadata=metadata)

    @_provider_errors
    def find_batch(self, input_file_id: str, scan: int = 1000):
        """The batch created from an input file (a run died between creating it and recording its id), or None."""
        for seen, batch in enumerate(self._admin().batches.list(limit=100)):
            if batch.input_file_id == input_file_id:
                return batch
            if seen >= scan:
                return None
        return None

    @_provider_errors
    def batch_status(self, batch_id: str):
        return self._admin().batches.retrieve(batch_id)

    @_provider_errors
    def cancel_batch(self, batch_id: str):
        return self._admin().batches.cancel(batch_id)

    @_provider_errors
    def batch_results(self, batch, custom_ids) -> tuple[dict[str, BatchResult], bool]:
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

    def batch_record(self, call: dict, body: dict, offline: bool) -> CallRecord:
        """The ledger row of a batch answer: priced at the batch rate and flagged `batch`."""
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        prompt = call["prompt"]
        return CallRecord(kind="chat", model=call["model"], request_hash=call["hash"], status="ok",
                          prompt_name=prompt.name, prompt_version=prompt.version, prompt_hash=prompt.hash,
                          tokens_in=tokens_in, tokens_out=tokens_out,
                          cost_usd=cost_usd(call["model"], tokens_in, tokens_out, batch=True), offline=offline,
                          tier=call["tier"], batch=True, **self.ids)

    def cache_row(self, record: CallRecord, body: dict) -> tuple | None:
        if not self.resource.use_cache:
            return None
        text = (body.get("choices") or [{}])[0].get("message", {}).get("content") or ""
        return put_params(record.request_hash, record.model, {"text": text, "offline": record.offline},
                          record.tokens_in, record.tokens_out, record.cost_usd)

    def counted(self, record: CallRecord, call: dict | None = None, body: dict | None = None,
                batch_id: str | None = None) -> None:
        """This session paid for a batch answer: it shows in the run's spend metadata and, with telemetry on, is a
        model-call span (aiwf.batch) under the step reading the batch, with the GenAI token and cost metrics."""
        self.stats.add(status="ok", cache_hit=False, latency_ms=0.0, tokens_in=record.tokens_in,
                       tokens_out=record.tokens_out, cost=record.cost_usd, model=record.model, offline=record.offline)
        if call is not None and telemetry.enabled():  # off, opentelemetry is never imported
            from resources.telemetry.genai import record_call

            record_call(self, call, status="ok", cache_hit=False, attempt=1, latency_ms=0.0,
                        tokens_in=record.tokens_in, tokens_out=record.tokens_out, cost=record.cost_usd,
                        error_class=None, response=_completion(body), batch=True, batch_id=batch_id)

    def batch_answer(self, call: dict, body: dict, offline: bool) -> Completion:
        """A batch answer as a Completion at the batch price; an invalid structured answer gets the one repair
        request of the synchronous path (sent synchronously), then is a clear `invalid_output` error."""
        completion = ChatCompletion.model_construct(**body)
        text = completion.choices[0].message.content or "" if completion.choices else ""
        usage = body.get("usage") or {}
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        cost = cost_usd(call["model"], tokens_in, tokens_out, batch=True)
        self.stats.used(call["hash"], cost, tokens_in + tokens_out)
        try:
            parsed = call["response_model"].model_validate_json(text) if call["response_model"] else None
        except ValidationError as err:
            msgs = repair_messages(call, text, err)
            return self._repaired_answer(call, self._with_retries(call, lambda: self._send_chat(call, msgs)))
        return Completion(text, parsed, call["model"], False, offline, tokens_in, tokens_out, cost, call["hash"],
                          cost, tokens_in + tokens_out)


def _completion(body: dict | None) -> ChatCompletion | None:
    """A batch answer's body as the client's ChatCompletion (response id, model, finish reasons), if it is one."""
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
