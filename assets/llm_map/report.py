"""Bookkeeping of one batch-asset run: which rows resumed, were answered, deduplicated or quarantined, and why."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import dagster as dg
import pandas as pd
from pydantic import BaseModel

from assets.llm_map.rows import BadRow, RowRequest
from assets.llm_map.step import StepHooks
from resources.llm.prompts import Prompt
from resources.state.quarantine import Quarantine

TRANSIENT = {"rate_limit", "server_error", "timeout", "connection"}
META_COLUMNS = ["llm_model", "llm_tier", "llm_escalated", "llm_offline", "prompt_version"]


@dataclass
class LLMMapSpec:
    """Everything `llm_map` was configured with."""

    name: str
    prompt: Prompt
    key_column: str
    response_model: type[BaseModel] | None
    text_columns: Sequence[str] | None
    variables: Callable[[dict], dict] | None
    row_model: type[BaseModel] | None
    keep_columns: tuple
    tier: str
    escalate_to: str | None
    escalate_on: Callable | None
    concurrency: int
    workflow: str
    max_failure_rate: float
    budget_usd: float | None
    budget_tokens: int | None
    workflow_budget_usd: float | None
    workflow_budget_tokens: int | None
    max_input_tokens: int
    mode: str = "sync"  # "batch": the provider's Batch API (assets/llm_map/batch_mode.py)
    batch: Any = None  # BatchSettings for batch mode (None: the provider's limits, 600 s in-process wait)
    prompt_file: Any = None  # PromptFile when built from one: live version and canary read from the Store
    canary: Any = None  # CanaryMargins of the canary check (assets/llm_map/canary_check.py)
    hooks: StepHooks = field(default_factory=StepHooks)  # a workflow step's inputs, resources and hooks
    reask_on: Callable | None = None  # row, answer -> problems: asked again with them (assets/llm_map/engine.py)
    max_reasks: int = 1
    downgrade: bool = True  # at 90% of a budget across runs (AIWF_BUDGETS), strong-tier rows are asked on cheap

    @property
    def output_columns(self) -> list[str]:
        fields = list(self.response_model.model_fields) if self.response_model else ["text"]
        return [self.key_column, *self.keep_columns, *fields, *META_COLUMNS,
                *(["llm_reasks"] if self.reask_on else [])]


def model_key(spec: LLMMapSpec, llm, tier: str) -> str:
    """The models a row's answer depends on: the tier's model, and the escalation model when there is one."""
    escalate = spec.escalate_to if spec.escalate_on and spec.escalate_to != tier else None
    return llm.model_for(tier) + (f">{llm.model_for(escalate)}" if escalate else "")


class RunReport:
    """Results by row key, quarantined rows by class, and the counts that go into materialization metadata."""

    def __init__(self, spec: LLMMapSpec, asset_key: str, partition: str, run_id: str,
                 quarantine: Quarantine | None):
        """`quarantine` None: nothing is written (a dry run: assets/llm_map/dry_run.py)."""
        self.spec, self.asset_key, self.partition, self.run_id = spec, asset_key, partition, run_id
        self.quarantine = quarantine
        self.results: dict[str, dict] = {}
        self.bad: list[BadRow] = []
        self.failed: dict[str, str] = {}  # row key -> error class
        self.reasons: dict[str, str] = {}  # row key -> why it failed (bad input or the model)
        self.versions: dict[str, str] = {}  # row key -> prompt version answering it (canary runs)
        self.failures: dict[str, dict] = {}  # row key -> {row, error_class, reason, attempts} of this run's failures
        self.asked: set[str] = set()  # row keys whose request reached the provider in this run (not the cache)
        self.rows_in = self.resumed = self.sent = self.deduplicated = 0

    def _put(self, row_key: str, row: dict, error_class: str, reason: str, attempts: int = 1) -> None:
        self.reasons[row_key] = f"{error_class}: {reason}"
        if self.quarantine is None:
            return
        self.quarantine.put(workflow=self.spec.workflow, asset_key=self.asset_key, partition_key=self.partition,
                            row_key=row_key, payload=row, error_class=error_class, reason=reason,
                            attempts=attempts, run_id=self.run_id)

    def quarantine_bad(self, bad: list[BadRow], tick: Callable[[int], None] | None = None) -> None:
        """Quarantine every bad input row; `tick(rows written)` every 500 rows, for progress lines."""
        self.bad = bad
        for i, row in enumerate(bad):
            if tick is not None and i % 500 == 0:
                tick(i)
            self._put(row.row_key, row.row, row.error_class, row.reason)

    def resume(self, good: list[tuple[str, RowRequest]], done: dict[str, dict]) -> list[RowRequest]:
        """Rows already checkpointed (same input) are results; the rest become requests, identical ones merged."""
        self.rows_in = len(good) + len(self.bad)
        todo: dict[str, RowRequest] = {}
        for key, request in good:
            hit = done.get(key)
            if hit is not None and hit["input_hash"] == request.input_hash:
                self.results[key] = hit
                self.resumed += 1
            elif request.input_hash in todo:
                todo[request.input_hash].keys.append(key)
                todo[request.input_hash].rows.append(request.row)
                self.deduplicated += 1
            else:
                todo[request.input_hash] = request
        self.sent = len(todo)
        return list(todo.values())

    def succeed(self, writer, request: RowRequest, result, tier: str, escalated: bool) -> None:
        """Checkpoint the answer for every row that asked it: its cost (what the answer cost when paid for, also
        when it came from the cache) and this run's spend are booked once, on the first row."""
        output = result.parsed.model_dump(mode="json") if self.spec.response_model else {"text": result.text}
        if self.spec.reask_on is not None:  # kept with the answer: a resumed row still says it was re-asked
            output["llm_reasks"] = request.reasks
        if request.sent:
            self.asked.update(request.keys)
        for i, key in enumerate(request.keys):
            cost, tokens = (result.answer_cost_usd, result.answer_tokens) if i == 0 else (0.0, 0)
            spent = (result.cost_usd, result.tokens_in + result.tokens_out) if i == 0 else (0.0, 0)
            if writer is not None:
                writer.add(key, request.input_hash, output, result.model, tier, escalated, cost, tokens,
                           offline=result.offline, spent=spent)
            self.results[key] = {"output": output, "answered_by": result.model, "tier": tier, "escalated": escalated,
                                 "cost_usd": cost, "tokens": tokens, "offline": result.offline}

    def fail(self, request: RowRequest, error_class: str, reason: str, attempts: int) -> None:
        if request.sent:
            self.asked.update(request.keys)
        for key, row in zip(request.keys, request.rows):
            self.failures[key] = {"row": row, "error_class": error_class, "reason": reason, "attempts": attempts}
            self.failed[key] = error_class
            self._put(key, row, error_class, reason, attempts)

    def quarantined(self) -> dict[str, dict]:
        """Every row this run quarantined (bad input, then the model's failures): row key -> row, class, reason."""
        bad = {b.row_key: {"row": b.row, "error_class": b.error_class, "reason": b.reason, "attempts": 0}
               for b in self.bad}
        return {**bad, **self.failures}

    def quarantine_unsent(self, todo: list[RowRequest], error_class: str, reason: str) -> int:
        """Quarantine every row of `todo` that got neither an answer nor a failure (a budget stopped the batch
        before sending it); how many rows."""
        unsent = [r for r in todo if not any(k in self.results or k in self.failed for k in r.keys)]
        for request in unsent:
            self.fail(request, error_class, reason, 0)
        return sum(len(r.keys) for r in unsent)

    def failure_rate(self) -> float:
        return (len(self.bad) + len(self.failed)) / self.rows_in if self.rows_in else 0.0

    def done(self) -> int:
        """Rows finished so far: answered (this run or from checkpoints), failed, or bad input."""
        return len(self.results) + len(self.failed) + len(self.bad)

    def data_cost(self) -> tuple[float, int, bool]:
        """What the partition's current answers cost when paid for (USD, tokens), and whether any is offline."""
        hits = self.results.values()
        return (round(sum(float(h.get("cost_usd") or 0) for h in hits), 6),
                sum(int(h.get("tokens") or 0) for h in hits), any(bool(h.get("offline")) for h in hits))

    def metadata(self, writer, engine, model_key: str) -> dict:
        classes = Counter([b.error_class for b in self.bad] + list(self.failed.values()))
        data_usd, data_tokens, offline = self.data_cost()
        return {
            "rows_in": self.rows_in, "rows_ok": len(self.results), "rows_from_checkpoint": self.resumed,
            "requests_planned": self.sent, "rows_deduplicated": self.deduplicated,
            "rows_escalated": engine.escalated, "rows_quarantined_input": len(self.bad),
            "rows_quarantined_model": len(self.failed), "failure_rate": round(self.failure_rate(), 4),
            "max_failure_rate": self.spec.max_failure_rate, "checkpoints_written": writer.written,
            "quarantine_by_class": dg.MetadataValue.json(dict(classes)), "prompt": self.spec.prompt.ref,
            "model": model_key, "data_cost_usd": data_usd, "data_tokens": data_tokens,
            "rows_offline": sum(1 for h in self.results.values() if h.get("offline")), "offline": offline,
        }

    def check_failure_rate(self, metadata: dict) -> None:
        """Fail the asset when too many rows failed; Dagster may retry it only if the failures were transient."""
        rate = self.failure_rate()
        if rate <= self.spec.max_failure_rate:
            return
        transient = any(c in TRANSIENT for c in self.failed.values())
        raise dg.Failure(
            f"{self.spec.name}: {len(self.bad) + len(self.failed)} of {self.rows_in} rows failed ({rate:.1%}), over "
            f"max_failure_rate {self.spec.max_failure_rate:.1%}; they are quarantined with reasons "
            f"(`aiwf quarantine list --asset {self.asset_key}`); answered rows are checkpointed",
            metadata=metadata, allow_retries=transient)

    def resolve_redriven(self) -> None:
        """Quarantined rows of this partition that now have an answer are marked resolved."""
        for row in self.quarantine.rows(self.asset_key):
            if row["partition_key"] == self.partition and row["row_key"] in self.results:
                self.quarantine.resolve(self.asset_key, self.partition, row["row_key"])

    def frame(self, good: list[tuple[str, RowRequest]]) -> pd.DataFrame:
        """The answered rows in upstream order: key, kept columns, answer fields, model and tier."""
        records = []
        for key, request in good:
            hit = self.results.get(key)
            if hit is None:
                continue
            kept = {c: request.row.get(c) for c in self.spec.keep_columns}
            records.append({self.spec.key_column: key, **kept, **hit["output"], "llm_model": hit["answered_by"],
                            "llm_tier": hit["tier"], "llm_escalated": bool(hit["escalated"]),
                            "llm_offline": bool(hit.get("offline")),
                            "prompt_version": self.versions.get(key, self.spec.prompt.version)})
        return pd.DataFrame(records, columns=self.spec.output_columns)
