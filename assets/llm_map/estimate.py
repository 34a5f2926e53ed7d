"""What a batch asset's partition will cost, known before anything is sent: `aiwf estimate` and llm_map's check of
a partition against the budgets across runs (AIWF_BUDGETS) it falls under. No model is called.

Rows to do are the partition's valid rows less those checkpointed under the prompt in force; rows whose request
the cache already answers are counted apart (`rows_cached`, free). Tokens per request come from the ledger's
history of the prompt version in force: median and p90 of its answered calls on the asset's tier, as many per
request as it made (repairs), plus the escalation tier's calls in the proportion they were made; a version with no
history counts characters/4 of each rendered request and its output cap (the prompt is flagged in `no_history`).
Cost is at current prices, the model's batch price in batch mode; wall time is the history's median latency over
the asset's concurrency, or the rate limit where that is slower (batch mode: the provider's batch window is not
predicted). A step's `prepare` hook is run on the rows first (`prepared`) unless it looks things up through the
model session, a resource or the run; then what it adds counts as empty, and the figure is a lower bound.
"""

import math
import statistics
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from assets.llm_map.canary import effective_live
from assets.llm_map.input_cap import input_cap
from assets.llm_map.report import LLMMapSpec, RunReport, model_key
from assets.llm_map.rows import RowRequest, prepare_rows
from assets.llm_map.step import MapStep
from resources.llm.cache import ResponseCache
from resources.llm.ledger_reads import prompt_history
from resources.llm.pricing import Usage, price
from resources.llm.request import DEFAULT_OUTPUT_TOKENS, chat_request
from resources.llm.shared_budget import FORCE_TAG, run_tags
from resources.state.checkpoints import Checkpoints, Scope

NO_HISTORY_LATENCY_S = 2.0  # what a request is assumed to take when its prompt version has never answered


@dataclass
class Estimate:
    """Rows to send and what they will cost; `add` sums partitions and assets."""

    rows: int = 0
    rows_cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cost_usd_p90: float = 0.0
    wall_s: float = 0.0
    unpriced_models: set = field(default_factory=set)
    no_history: set = field(default_factory=set)  # prompt refs estimated at characters/4
    lower_bound: set = field(default_factory=set)  # "step [partition]" whose prepare hook could not run here

    def add(self, other: "Estimate") -> None:
        for name in ("rows", "rows_cached", "tokens_in", "tokens_out", "cost_usd", "cost_usd_p90", "wall_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unpriced_models |= other.unpriced_models
        self.no_history |= other.no_history
        self.lower_bound |= other.lower_bound

    def figures(self, budget_left_usd: float | None) -> dict:
        """The `aiwf estimate --json` line, exactly these keys."""
        return {"rows": self.rows, "rows_cached": self.rows_cached, "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out, "cost_usd": round(self.cost_usd, 6),
                "cost_usd_p90": round(self.cost_usd_p90, 6), "wall_s": round(self.wall_s, 1),
                "unpriced_models": sorted(self.unpriced_models),
                "budget_left_usd": None if budget_left_usd is None else round(budget_left_usd, 6),
                "lower_bound": sorted(self.lower_bound)}


class LookupNeeded(RuntimeError):
    """A `prepare` hook reached for the model session, a resource or the run: an estimate does neither."""


class _Refused:
    """Stands in for what a hook must not use in an estimate (the session, resources, the run's context): any
    attribute raises LookupNeeded, and the use is noted even where the hook catches it."""

    def __init__(self, what: str, used: list):
        self._what, self._used = what, used

    def __getattr__(self, name: str):
        self._used.append(f"{self._what}.{name}")
        raise LookupNeeded(f"{self._what}.{name}")


def prepared(spec: LLMMapSpec, frame: pd.DataFrame, partition: str, inputs: dict[str, pd.DataFrame]
             ) -> tuple[pd.DataFrame, str | None]:
    """The rows a step's `prepare` hook gives for `frame` (its other upstream tables in `inputs`), run as the asset
    runs it but with no model session, resources or run: (rows, None). A hook that looks something up through
    them cannot run here: (frame as read, what it used), and the step's estimate is a lower bound."""
    if spec.hooks.prepare is None:
        return frame, None
    used: list[str] = []
    step = MapStep(context=_Refused("context", used), session=_Refused("session", used),
                   resources=_Refused("resources", used), partition=partition, inputs=inputs, shadow=True)
    try:
        rows = spec.hooks.prepare(frame.copy(), step)
    except LookupNeeded:
        pass
    return (frame, f"its prepare hook uses {used[0]}") if used else (rows, None)


class _Blank(dict):
    """A row whose missing columns read as empty: what a hook that was not run would have added."""

    def __missing__(self, key):
        return ""


def rows_to_do(spec: LLMMapSpec, llm, store, asset_key: str, frame: pd.DataFrame, partition: str,
               lenient: bool = False) -> tuple[LLMMapSpec, list[RowRequest]]:
    """The spec with its prompt in force, and the requests its valid rows need beyond the checkpointed ones.
    `lenient`: `frame` lacks what the step's `prepare` hook adds; those columns count as (nearly) empty."""
    spec, variables = effective_live(spec, store), spec.variables
    if lenient:
        frame = frame.assign(**{c: "-" for c in spec.text_columns or [] if c not in frame.columns},
                             **{c: None for c in spec.keep_columns if c not in frame.columns})
        variables = (lambda row: spec.variables(_Blank(row))) if spec.variables else None
    cap = input_cap(spec, llm, (spec.tier, spec.escalate_to if spec.escalate_on else None))  # as the run's
    good, bad = prepare_rows(frame, key_column=spec.key_column, prompt=spec.prompt, text_columns=spec.text_columns,
                             variables=variables, row_model=spec.row_model,
                             max_input_tokens=cap, keep_columns=spec.keep_columns)
    report = RunReport(spec, asset_key, partition, "", quarantine=None)
    report.bad = bad
    scope = Scope(asset_key, partition, spec.prompt.version, spec.prompt.hash, model_key(spec, llm, spec.tier))
    return spec, report.resume(good, Checkpoints(store).load(scope))


def estimate(spec: LLMMapSpec, llm, store, todo: list[RowRequest], *, mode: str | None = None,
             tier: str | None = None, concurrency: int | None = None) -> Estimate:
    """What sending `todo` will cost (see the module doc); `spec` carries the prompt in force."""
    tier, batch = tier or spec.tier, (mode or spec.mode) == "batch"
    requests = [(r, chat_request(llm, r.prompt or spec.prompt, r.variables, tier=tier, model=None,
                                 response_model=spec.response_model, params={})) for r in todo]
    cached = ResponseCache(store).known([c.hash for _, c in requests])
    send = [(r, c) for r, c in requests if c.hash not in cached]
    out = Estimate(rows=sum(len(r.keys) for r, _ in send), rows_cached=sum(len(r.keys) for r, c in requests
                                                                           if c.hash in cached))
    if not send:
        return out
    history = prompt_history(store, spec.prompt.name, spec.prompt.version)
    escalate = spec.escalate_to if spec.escalate_on and spec.escalate_to != tier else None
    base = [h for h in history if h["tier"] == tier]
    asked = len({h["request_hash"] for h in base}) or 1  # requests answered: a repair is a second call of one
    calls = [(llm.model_for(tier), len(base) / asked, base)]
    if escalate and base:
        stronger = [h for h in history if h["tier"] == escalate]
        calls.append((llm.model_for(escalate), len(stronger) / asked, stronger))
    if not base:
        out.no_history.add(spec.prompt.ref)
        cap = [c.max_tokens_out or DEFAULT_OUTPUT_TOKENS for _, c in send]
        past = [{"tokens_in": c.est_tokens_in, "tokens_out": o, "latency_ms": NO_HISTORY_LATENCY_S * 1000}
                for (_, c), o in zip(send, cap)]
        calls = [(llm.model_for(tier), 1.0, past)]
    n, latency, requests_made = len(send), 0.0, 0.0
    for model, share, past in calls:
        if not past or share <= 0:
            continue
        made = n * share
        (mid_in, p90_in), (mid_out, p90_out) = _spread(past, "tokens_in"), _spread(past, "tokens_out")
        mid, high = (price(model, Usage(input=round(i), output=round(o)), batch=batch)
                     for i, o in ((mid_in, mid_out), (p90_in, p90_out)))
        if mid.unpriced:
            out.unpriced_models.add(model)
        out.tokens_in += round(made * mid_in)
        out.tokens_out += round(made * mid_out)
        out.cost_usd += made * (mid.usd or 0.0)
        out.cost_usd_p90 += made * (high.usd or 0.0)
        latency += made * statistics.median(float(h["latency_ms"] or 0) for h in past) / 1000
        requests_made += made
    out.wall_s = _wall(llm, calls[0][0], latency, requests_made, out.tokens_in + out.tokens_out,
                       concurrency or spec.concurrency)
    return out


def _spread(past: list[dict], column: str) -> tuple[float, float]:
    """Median and p90 (nearest rank) of a history column."""
    values = sorted(float(h[column] or 0) for h in past)
    return statistics.median(values), values[max(0, math.ceil(0.9 * len(values)) - 1)]


def _wall(llm, model: str, latency_s: float, requests: float, tokens: int, concurrency: int) -> float:
    """Seconds to send it all: the latencies over the concurrency, or the rate limits where slower."""
    rpm = llm.model_requests_per_minute.get(model) or llm.requests_per_minute
    tpm = llm.model_tokens_per_minute.get(model) or llm.tokens_per_minute
    return max(latency_s / max(1, concurrency), requests / rpm * 60 if rpm else 0.0, tokens / tpm * 60 if tpm else 0.0)


def check_budget_left(spec: LLMMapSpec, context, llm, store, todo: list[RowRequest], budget, *, mode: str,
                      tier: str, concurrency: int, what: str) -> None:
    """Fail before any request when the partition's estimate exceeds what its budgets across runs have left,
    unless the run is tagged aiwf/force=true. Costs one estimate per partition, and only under AIWF_BUDGETS."""
    if budget.shared is None or not todo or run_tags(context).get(FORCE_TAG) == "true":
        return
    guess = estimate(spec, llm, store, todo, mode=mode, tier=tier, concurrency=concurrency)
    left = budget.shared.left()
    if guess.cost_usd > left:
        lines = ", ".join(line.describe() for line in budget.shared.lines)
        raise dg.Failure(
            f"{what}: estimated ${guess.cost_usd:.4f} (p90 ${guess.cost_usd_p90:.4f}) for {guess.rows} rows, "
            f"{guess.tokens_in + guess.tokens_out} tokens, but its budgets ({lines}) have ${left:.4f} left; nothing "
            f"was sent. Raise the budget in AIWF_BUDGETS, wait for the window to reset, or tag the run "
            f"{FORCE_TAG}=true to start anyway", metadata=guess.figures(left), allow_retries=False)
