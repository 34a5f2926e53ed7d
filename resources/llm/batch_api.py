"""Provider Batch APIs through the official `openai` client: JSONL requests in, answers at half price within 24 h.

`BatchCalls` (mixed into LLMSession) builds each JSONL line from the same call as a synchronous request
(`_chat_call`: prompt params, PII redaction, strict structured output), uploads it with
`files.create(purpose="batch")`, submits it with `batches.create(endpoint="/v1/chat/completions",
completion_window="24h")`, reads `files.content` of the output and error files, and turns each answer into a
Completion priced at the batch rate (resources/llm/pricing.py). The same JSONL `custom_id` shape is served by
OpenAI, vLLM, Together, OpenRouter and aiwf's offline double (resources/offline/batch_routes.py).

`BatchBook` (table `llm_batches`) is what makes batches durable: an uploaded file is recorded before its batch
is created, the batch id as soon as it is, so a crashed or cancelled run re-attaches to its batches (a file
recorded without a batch id is looked up with `batches.list` by its input file) instead of submitting them
again. A batch's answers are billed once: its ledger rows (flag `batch`) and cache entries are written in the
same transaction that marks it billed, so re-reading its output after a crash never books a row twice. Each row
booked is then a model-call span and GenAI metrics (aiwf.batch) under the step that read the batch.
"""

import functools
import json
import time
from dataclasses import asdict, dataclass

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from resources import telemetry
from resources.llm import retry
from resources.llm.cache import PUT as CACHE_PUT
from resources.llm.cache import SCHEMA as CACHE_SCHEMA
from resources.llm.ledger import COLUMNS as LEDGER_COLUMNS
from resources.llm.ledger import SCHEMA as LEDGER_SCHEMA
from resources.llm.ledger import CallRecord
from resources.llm.openai_calls import OFFLINE_HEADER, Completion, chat_body, message, repair_messages
from resources.llm.pricing import cost_usd
from resources.safety.secrets import scrub
from resources.state.store import Store

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS llm_batches (
        input_file_id TEXT PRIMARY KEY, batch_id TEXT,
        asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, scope TEXT NOT NULL,
        requests TEXT NOT NULL, status TEXT NOT NULL,
        billed INTEGER NOT NULL DEFAULT 0, consumed INTEGER NOT NULL DEFAULT 0,
        run_id TEXT, created {float} NOT NULL, updated {float} NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS llm_batches_partition ON llm_batches (asset_key, partition_key, consumed)",
]
_INSERT_LEDGER = f"INSERT INTO llm_calls ({', '.join(LEDGER_COLUMNS)}) VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})"


@dataclass
class BatchRow:
    """One batch as recorded: its input file, the provider's batch id (None until created) and its requests."""

    input_file_id: str
    batch_id: str | None
    asset_key: str
    partition_key: str
    scope: str
    requests: dict  # custom_id -> input hash of the row it answers
    status: str  # uploaded | submitted | the provider's last status seen
    billed: bool
    consumed: bool
    run_id: str | None


class BatchBook:
    """The `llm_batches` table: which batches a partition has in flight, and how far each got."""

    def __init__(self, store: Store):
        self.store = store
        self.store.migrate("llm_batches", SCHEMA)
        self.store.migrate("llm_calls", LEDGER_SCHEMA)  # billing writes ledger and cache rows
        self.store.migrate("llm_cache", CACHE_SCHEMA)

    def uploaded(self, input_file_id: str, asset_key: str, partition_key: str, scope: str, requests: dict,
                 run_id: str | None) -> None:
        now = time.time()
        self.store.execute(
            "INSERT INTO llm_batches (input_file_id, asset_key, partition_key, scope, requests, status, run_id, "
            "created, updated) VALUES (?, ?, ?, ?, ?, 'uploaded', ?, ?, ?)",
            (input_file_id, asset_key, partition_key, scope, json.dumps(requests), run_id, now, now))

    def submitted(self, input_file_id: str, batch_id: str, status: str = "submitted") -> None:
        self.store.execute("UPDATE llm_batches SET batch_id = ?, status = ?, updated = ? WHERE input_file_id = ?",
                           (batch_id, status, time.time(), input_file_id))

    def note(self, input_file_id: str, status: str) -> None:
        self.store.execute("UPDATE llm_batches SET status = ?, updated = ? WHERE input_file_id = ?",
                           (status, time.time(), input_file_id))

    def consumed(self, input_file_id: str) -> None:
        """Every answer of the batch is checkpointed or handed on: it is done with."""
        self.store.execute("UPDATE llm_batches SET consumed = 1, updated = ? WHERE input_file_id = ?",
                           (time.time(), input_file_id))

    def open(self, asset_key: str, partition_key: str, scope: str | None = None) -> list[BatchRow]:
        """The partition's batches not yet consumed (of one request scope, when given), oldest first."""
        sql = "SELECT * FROM llm_batches WHERE asset_key = ? AND partition_key = ? AND consumed = 0"
        params = [asset_key, partition_key]
        if scope is not None:
            sql, params = sql + " AND scope = ?", params + [scope]
        return [_row(r) for r in self.store.query(sql + " ORDER BY created", params)]

    def waiting(self) -> list[BatchRow]:
        """Every batch not yet consumed, across assets and partitions (what the batch_jobs sensor watches)."""
        return [_row(r) for r in self.store.query("SELECT * FROM llm_batches WHERE consumed = 0 ORDER BY created")]

    def bill(self, input_file_id: str, records: list[CallRecord], cache_rows: list[tuple]) -> bool:
        """Book a batch's answers in the ledger and cache, once: False when it was billed before."""
        with self.store.transaction() as cur:
            cur.execute("UPDATE llm_batches SET billed = 1, updated = ? WHERE input_file_id = ? AND billed = 0",
                        (time.time(), input_file_id))
            if cur.rowcount != 1:
                return False
            if records:
                rows = []
                for rec in records:
                    row = asdict(rec)
                    row["cache_hit"], row["offline"], row["batch"] = int(rec.cache_hit), int(rec.offline), 1
                    rows.append([row[c] for c in LEDGER_COLUMNS])
                cur.executemany(_INSERT_LEDGER, rows)
            if cache_rows:
                cur.executemany(CACHE_PUT, cache_rows)
        return True


def _row(r: dict) -> BatchRow:
    return BatchRow(r["input_file_id"], r["batch_id"], r["asset_key"], r["partition_key"], r["scope"],
                    json.loads(r["requests"]), r["status"], bool(r["billed"]), bool(r["consumed"]), r["run_id"])


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
        return (record.request_hash, record.model, json.dumps({"text": text, "offline": record.offline}),
                record.tokens_in, record.tokens_out, record.cost_usd, time.time())

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


def is_terminal(status: str) -> bool:
    return status in TERMINAL


