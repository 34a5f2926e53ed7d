"""`llm_map(..., mode="batch")`: the rows not yet checkpointed go through the provider's Batch API at half price.

Rows become JSONL requests (`custom_id` = row key; the body the synchronous path would send), split into files
of at most `max_requests` requests and `max_bytes` bytes, uploaded and submitted through the LLM session
(`session.batches`, resources/llm/batch_api.py). Each file and batch id is recorded in the Store before anything waits, so a run
that crashed, was killed or failed re-attaches to the partition's batches and never submits a row twice.
Answers are validated like synchronous ones (structured output with one repair request, the `escalate_on`
validator with escalation to the strong tier, `reask_on` with a re-ask carrying the problems, all sent synchronously), checkpointed as they are read, and
billed once at the batch rate. Requests a batch failed or let expire are sent synchronously
(`failed="sync"`, the default) or quarantined (`failed="quarantine"`). Terminating the run cancels its batches.

Waiting: by default the step polls in-process for up to `max_wait_s` = 600 s (backoff from 2 s to 30 s, progress
lines every ~10 s). Ten minutes covers the batches that finish quickly (small ones, vLLM-style servers, the
offline double) without the latency of a sensor tick and a new run, while a batch that takes hours (OpenAI's
window is 24 h) does not hold a worker and a pool slot for that long: past `max_wait_s` the step ends with a
clear `dg.Failure` (no step retry) saying its batches are recorded, and `batch_jobs_sensor`
(sensors/batch_jobs.py) launches the partition again once they are all done; that run re-attaches, reads the
answers and materializes. A failure (not an empty success) keeps the partition honestly unmaterialized until
its data is there, and downstream assets do not run on a partial table. `max_wait_s=0` never waits.
"""

import json
import time
from dataclasses import dataclass
from typing import Callable

import dagster as dg

from assets.llm_map.engine import BatchEngine, run_async
from assets.llm_map.rows import RowRequest
from resources.llm.batch_book import BatchBook, BatchRow, is_terminal
from resources.llm.retry import LLMError

MODES = ("sync", "batch")
_sleep = time.sleep  # the step's pause between polls (where a run's termination lands)
FAILED = ("sync", "quarantine")


@dataclass(frozen=True)
class BatchSettings:
    """How batch mode splits, waits and handles failed requests (provider limits by default)."""

    max_requests: int = 50_000
    max_bytes: int = 100 * 1024 * 1024
    failed: str = "sync"  # failed or expired requests: "sync" (sent synchronously) | "quarantine"
    max_wait_s: float = 600.0
    poll_s: tuple[float, float] = (2.0, 30.0)  # first and longest pause between status checks

    def __post_init__(self):
        if self.failed not in FAILED:
            raise ValueError(f"batch failed={self.failed!r}: expected one of {FAILED}")
        if self.max_requests < 1 or self.max_bytes < 1024 or self.max_wait_s < 0:
            raise ValueError("batch settings: max_requests >= 1, max_bytes >= 1024 and max_wait_s >= 0")


class BatchesPending(dg.Failure):
    """The partition's batches are submitted and recorded but not done within max_wait_s."""


@dataclass
class BatchRun:
    """What one step's batch mode needs from the asset (built by the factory's seam)."""

    engine: BatchEngine  # the synchronous engine: its session, prompt, validator, budget and callbacks
    settings: BatchSettings
    report: object  # RunReport
    writer: object  # CheckpointWriter
    asset_key: str
    partition: str
    scope: str  # the checkpoint scope plus the tier's model: which answers a batch holds
    run_id: str
    tier: str
    escalate_to: str | None
    progress: object  # Progress
    line: Callable[[], str]


def run_in_batches(job: BatchRun, todo: list[RowRequest]) -> None:
    """Answer `todo` through batches (re-attaching to recorded ones), then the synchronous leftovers."""
    ai, book = job.engine.ai.batches, BatchBook(job.writer.store)
    by_key = {key: request for request in todo for key in request.keys}
    calls: dict = {}
    later: list[tuple[str, RowRequest]] = []  # (tier to send synchronously, request)
    attached = _attach(job, book)
    for row in [r for r in attached if r.status in ("cancelling", "cancelled")]:  # a terminated run's batches:
        batch = ai.status(row.batch_id)  # keep what they answered, submit the rest again
        if is_terminal(batch.status):
            _consume(job, book, row, batch, by_key, calls, later, resubmit_cancelled=True)
            attached.remove(row)
    todo = [r for r in todo if r.keys[0] not in job.report.results]
    covered = {id(by_key[c]) for row in attached for c, h in row.requests.items()
               if c in by_key and by_key[c].input_hash == h}
    fresh = [r for r in todo if id(r) not in covered]
    if attached:
        job.progress.phase(f"re-attaching to {len(attached)} recorded batch(es) covering {len(covered):,} requests")
    for row in attached:
        if row.batch_id is None:  # recorded its file, then died: was the batch created?
            found = ai.find(row.input_file_id)
            row.batch_id = found.id if found is not None else _submit(job, row.input_file_id)
            book.submitted(row.input_file_id, row.batch_id)
    fresh = _from_cache(job, fresh, calls)
    try:
        rows = attached + _submit_all(job, book, fresh, calls)
        _wait(job, book, rows, by_key, calls, later)
    finally:
        job.writer.flush()
    _send_later(job, later)


def _attach(job: BatchRun, book: BatchBook) -> list[BatchRow]:
    """The partition's recorded batches of this scope. Those of another prompt version or checkpoint models (their
    answers could not be used) are cancelled if still running and set aside; those of the same prompt sent to
    another tier's model (a run-config override) are left for a run of that tier."""
    attached, mine = [], json.loads(job.scope)
    for row in book.open(job.asset_key, job.partition):
        theirs = json.loads(row.scope)
        if theirs == mine:
            attached.append(row)
            continue
        if theirs[:-2] == mine[:-2]:  # the same checkpoint scope (batch_scope appends model and schema)
            continue
        if row.batch_id and not is_terminal(row.status):
            try:
                job.engine.ai.batches.cancel(row.batch_id)
            except LLMError as err:
                job.progress.phase(f"could not cancel outdated batch {row.batch_id}: {err}")
        book.consumed(row.input_file_id)
        job.progress.phase(f"set aside batch {row.batch_id or row.input_file_id}: it was submitted for another "
                           "prompt version or model")
    return attached


def _call(job: BatchRun, request: RowRequest, calls: dict) -> dict:
    key = request.keys[0]
    if key not in calls:
        engine = job.engine
        prompt = getattr(request, "prompt", None) or engine.prompt  # a canary row asks its candidate prompt
        calls[key] = engine.ai.batches.request(prompt, request.variables, tier=job.tier,
                                               response_model=engine.response_model)
    return calls[key]


def _from_cache(job: BatchRun, requests: list[RowRequest], calls: dict) -> list[RowRequest]:
    """Answers already in the response cache are used (and verified) without submitting them."""
    if not job.engine.ai.resource.use_cache:
        return requests
    left = []
    for request in requests:
        hit = job.engine.ai.batches.cached(_call(job, request, calls))
        if hit is None:
            left.append(request)
        elif _verify(job, request, hit) is None:
            job.engine.succeed(request, hit, job.tier, False)
        else:
            left.append(request)
    return left


def _chunks(job: BatchRun, requests: list[RowRequest], calls: dict):
    """(JSONL bytes, {custom_id: input hash}, requests) per input file, within the provider's limits."""
    lines, ids, members, size = [], {}, [], 0
    for request in requests:
        line = job.engine.ai.batches.line(_call(job, request, calls), request.keys[0])
        if lines and (len(lines) >= job.settings.max_requests or size + len(line) > job.settings.max_bytes):
            yield b"".join(lines), ids, members
            lines, ids, members, size = [], {}, [], 0
        lines.append(line)
        ids[request.keys[0]] = request.input_hash
        members.append(request)
        size += len(line)
    if lines:
        yield b"".join(lines), ids, members


def _submit_all(job: BatchRun, book: BatchBook, requests: list[RowRequest], calls: dict) -> list[BatchRow]:
    """Upload and submit every chunk, recording the file before creating its batch and the batch id right after."""
    rows, held = [], []
    try:
        for chunk in enumerate(_chunks(job, requests, calls), start=1):
            rows.append(_submit_chunk(job, book, *chunk, calls, held))
    finally:
        for reserved in held:  # what is submitted is spent when its answers are billed
            job.engine.ai.batches.release(reserved)
    return rows


def _submit_chunk(job: BatchRun, book: BatchBook, n: int, chunk: tuple, calls: dict, held: list) -> BatchRow:
    data, ids, members = chunk
    held.append(job.engine.ai.batches.reserve([_call(job, r, calls) for r in members],  # the one budget gate
                                              f"a batch of {len(members):,} requests was not submitted"))
    file_id = job.engine.ai.batches.upload(data, f"{job.asset_key.replace('/', '_')}-{job.partition or 'all'}"
                                               f"-{n}.jsonl")
    book.uploaded(file_id, job.asset_key, job.partition, job.scope, ids, job.run_id)
    batch_id = _submit(job, file_id)
    book.submitted(file_id, batch_id)
    job.progress.phase(f"submitted batch {batch_id} ({len(ids):,} requests, {len(data) / 1e6:.1f} MB)")
    return BatchRow(file_id, batch_id, job.asset_key, job.partition, job.scope, ids, "submitted", False, False,
                    job.run_id)


def _submit(job: BatchRun, file_id: str) -> str:
    meta = {"aiwf_asset": job.asset_key[:512], "aiwf_partition": job.partition[:512], "aiwf_run": job.run_id}
    return job.engine.ai.batches.submit(file_id, meta).id


def _wait(job: BatchRun, book: BatchBook, rows: list[BatchRow], by_key: dict, calls: dict, later: list) -> None:
    """Poll until every batch is done, reading each as it finishes; cancel them if the run is terminated."""
    ai, started = job.engine.ai.batches, time.monotonic()
    pending, pause = {row.batch_id: row for row in rows}, job.settings.poll_s[0]
    statuses: dict[str, str] = {}
    try:
        while pending:
            for batch_id, row in list(pending.items()):
                batch = ai.status(batch_id)
                if batch.status != statuses.get(batch_id):
                    statuses[batch_id] = batch.status
                    book.note(row.input_file_id, batch.status)
                if is_terminal(batch.status):
                    _consume(job, book, row, batch, by_key, calls, later)
                    del pending[batch_id]
            if not pending:
                break
            waited = time.monotonic() - started
            job.progress.every(lambda: f"{len(pending)} of {len(rows)} batch(es) running "
                                       f"({_counts(statuses)}); {job.line()}")
            if waited >= job.settings.max_wait_s:
                raise _pending(job, pending, waited)
            _sleep(min(pause, max(0.05, job.settings.max_wait_s - waited)))
            pause = min(pause * 1.5, job.settings.poll_s[1])
    except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt):
        _cancel(job, book, pending)
        raise


def _counts(statuses: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def _pending(job: BatchRun, pending: dict, waited: float) -> BatchesPending:
    ids = sorted(pending)
    return BatchesPending(
        f"{job.asset_key}{' [' + job.partition + ']' if job.partition else ''}: {len(ids)} batch(es) still running "
        f"after {waited:.0f}s (max_wait_s {job.settings.max_wait_s:g}); they are recorded, nothing is lost or "
        "resubmitted: batch_jobs_sensor launches this partition again when they are done (or rerun it later); "
        f"answers read so far are checkpointed. Batches: {', '.join(ids)}",
        metadata={"batch_ids": dg.MetadataValue.json(ids), "batches_pending": len(ids)}, allow_retries=False)


def _cancel(job: BatchRun, book: BatchBook, pending: dict) -> None:
    """The run is being terminated: cancel what it was waiting for, so nothing is billed for a dropped run."""
    for batch_id, row in pending.items():
        try:
            job.engine.ai.batches.cancel(batch_id)
            book.note(row.input_file_id, "cancelling")
        except LLMError as err:  # the run ends anyway; say which batch may still run
            job.progress.phase(f"could not cancel batch {batch_id}: {err}")
    if pending:
        job.progress.phase(f"run terminated: cancelled {len(pending)} batch(es): {', '.join(sorted(pending))}")


def _consume(job: BatchRun, book: BatchBook, row: BatchRow, batch, by_key: dict, calls: dict, later: list,
             resubmit_cancelled: bool = False) -> None:
    """Bill a finished batch once, then checkpoint its valid answers and hand on the rest."""
    ai = job.engine.ai.batches
    results, offline = ai.results(batch, row.requests)
    wanted = {c: by_key[c] for c, h in row.requests.items()
              if c in by_key and by_key[c].input_hash == h and c not in job.report.results}
    records, cache_rows, answers = [], [], {}
    for custom_id, result in results.items():
        if result.body is None or custom_id not in row.requests:
            continue
        request = wanted.get(custom_id)
        call = _call(job, request, calls) if request is not None else None
        if call is None:  # answered for a row that changed or was checkpointed since: billed, not used
            continue
        record = ai.record(call, result.body, offline)
        records.append(record)
        cache_rows.append(ai.cache_row(record, result.body))
        answers[custom_id] = (record, result.body, call)
    if book.bill(row.input_file_id, records, [c for c in cache_rows if c is not None]):
        for record, body, call in answers.values():  # one per ledger row: spend, and a span under this step
            ai.counted(record, call, body, batch.id)
            job.engine.budget.spend(record.cost_usd, record.tokens_in + record.tokens_out)
    for custom_id, request in wanted.items():
        result = results.get(custom_id)
        if custom_id in answers:
            _accept(job, request, calls, answers[custom_id][1], offline, later)
        elif resubmit_cancelled and result.error_class == "batch_cancelled":
            continue  # never answered: submitted again in a new batch
        elif job.settings.failed == "sync" and result.error_class in ("batch_failed", "batch_expired",
                                                                       "batch_cancelled"):
            later.append((job.tier, request))
        else:
            job.engine.fail(request, result.error_class, f"{result.reason} (batch {batch.id})", 1)
    job.writer.flush()
    book.consumed(row.input_file_id)
    job.progress.phase(f"batch {batch.id} {batch.status}: {len(answers):,} answers read; {job.line()}")


def _accept(job: BatchRun, request: RowRequest, calls: dict, body: dict, offline: bool, later: list) -> None:
    """Validate one batch answer as the synchronous path does: repair, then verify, escalating when rejected."""
    engine, request.sent = job.engine, request.sent + 1  # the provider answered it in a batch
    try:
        result = engine.ai.batches.answer(_call(job, request, calls), body, offline)
    except LLMError as err:
        if err.error_class == "invalid_output" and job.escalate_to:
            later.append((job.escalate_to, request))
        else:
            engine.fail(request, err.error_class, str(err), err.attempts + 1)
        return
    problem = _verify(job, request, result)
    refused = engine.refusal(request, result) if problem is None else None
    if refused is not None:
        engine.spend(result.cost_usd, result.tokens_in + result.tokens_out)  # paid for, not kept
        if refused.startswith("reask_on raised"):
            engine.fail(request, "validator_error", f"{refused} (batch answer, tier {job.tier})", 1)
        elif engine.reask(request, refused):
            later.append((job.tier, request))  # asked again synchronously, the problems in `feedback`
        else:
            engine.fail(request, "invalid_after_reask", f"{refused} (batch answer, tier {job.tier})", 1)
        return
    if problem is None:
        engine.succeed(request, result, job.tier, False)
    elif job.escalate_to and not problem.startswith("validator raised"):
        engine.spend(result.cost_usd, result.tokens_in + result.tokens_out)  # paid for, not kept
        later.append((job.escalate_to, request))
    else:
        engine.spend(result.cost_usd, result.tokens_in + result.tokens_out)
        engine.fail(request, "validator_error" if problem.startswith("validator raised") else "verification_failed",
                    f"{problem} (batch answer, tier {job.tier})", 1)


def _verify(job: BatchRun, request: RowRequest, result) -> str | None:
    problem = job.engine.verify(request, result)
    return None if problem is None else str(problem)  # "validator raised ...": escalating cannot help


def _send_later(job: BatchRun, later: list[tuple[str, RowRequest]]) -> None:
    """Failed or expired requests (with failed="sync") and escalations, through the synchronous engine."""
    base = job.engine
    for tier in dict.fromkeys(t for t, _ in later):
        requests = [r for t, r in later if t == tier]
        escalating = tier != job.tier
        why = "escalated after the batch answer was rejected" if escalating else "not answered by their batch"
        job.progress.phase(f"sending {len(requests):,} request(s) synchronously on the {tier} tier ({why})")

        def escalated(request, result, answered_tier, _escalated):
            base.escalated += 1
            base.succeed(request, result, answered_tier, True)

        succeed = escalated if escalating else base.succeed
        engine = BatchEngine(base.ai, prompt=base.prompt, response_model=base.response_model, tier=tier,
                             escalate_to=None if escalating else job.escalate_to, validator=base.validator,
                             concurrency=base.concurrency, budget=base.budget, succeed=succeed, fail=base.fail,
                             spend=base.spend, reask_on=base.reask_on, max_reasks=base.max_reasks)
        run_async(engine.run(requests))
        base.escalated += engine.escalated


def batch_scope(checkpoint_scope_key: tuple, model: str, response_model) -> str:
    """Which answers a batch holds: the checkpoint scope, the model the requests went to and the output schema."""
    return json.dumps([*checkpoint_scope_key, model, getattr(response_model, "__name__", None)])


def settings_for(spec, config) -> BatchSettings:
    """The asset's batch settings with this run's overrides (run config `batch_failed`, `batch_max_wait_s`)."""
    base = spec.batch or BatchSettings()
    changes = {k: v for k, v in (("failed", config.batch_failed), ("max_wait_s", config.batch_max_wait_s))
               if v is not None}
    return BatchSettings(**{**base.__dict__, **changes}) if changes else base


def answer_batch_mode(spec, config, engine: BatchEngine, report, writer, scope, run_id: str, tier: str,
                      escalate_to: str | None, progress, line: Callable[[], str], todo: list[RowRequest]) -> None:
    """The factory's seam: the partition's `todo` rows through the Batch API (see module doc)."""
    model = engine.ai.resource.model_for(tier)
    job = BatchRun(engine, settings_for(spec, config), report, writer, scope.asset_key, scope.partition_key,
                   batch_scope(scope.key(), model, spec.response_model), run_id, tier, escalate_to, progress, line)
    try:
        run_in_batches(job, todo)
    finally:
        run_async(engine.ai.aclose())
