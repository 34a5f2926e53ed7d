"""The report: per workflow and per model, cost, latency, quality and overrides over a time window.

Figures come from where they are recorded: the call ledger (call_figures.py), aiwf's approvals, quarantine and
action ledger (state_figures.py) and the Dagster instance's runs and events (runs.py). `build_report` only
combines them; `aiwf report` prints it, the `workflow_health` asset plots a day of it.
"""

import datetime as dt
import re
import time

import numpy as np

from pipelines.reporting import state_figures
from pipelines.reporting.call_figures import CallGroup, call_groups, nearest_rank
from pipelines.reporting.runs import RunFacts
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.state.store import Store

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """'7d', '24h', '90m', '2w' before now, or an ISO date/time (UTC unless it says otherwise) -> epoch seconds."""
    now = time.time() if now is None else now
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if found:
        return now - float(found.group(1)) * _UNITS[found.group(2)]
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: use a duration like 7d, 24h, 90m or an ISO date like 2026-03-01")
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _latencies(groups: list[CallGroup]) -> np.ndarray:
    arrays = [a for g in groups for a in g.latencies]
    return np.concatenate(arrays) if arrays else np.empty(0)


def _provider_figures(groups: list[CallGroup]) -> dict:
    """What providers that report a cost said, beside our price for the same calls (None: none reported one)."""
    said = sum(g.provider_calls for g in groups)
    theirs, ours = sum(g.provider_cost_usd for g in groups), sum(g.provider_ours_usd for g in groups)
    return {"provider_cost_calls": said, "provider_cost_usd": round(theirs, 6) if said else None,
            "provider_cost_diff_usd": round(theirs - ours, 6) if said else None}


def _call_figures(groups: list[CallGroup]) -> dict:
    calls, retries = sum(g.calls for g in groups), sum(g.retries for g in groups)
    hits, cost = sum(g.cache_hits for g in groups), sum(g.cost_usd for g in groups)
    return {"cost_usd": round(float(cost), 6), "tokens": sum(g.tokens for g in groups), "llm_calls": calls,
            "llm_retries": retries, "cache_hits": hits, "cache_hit_rate": ratio(hits, hits + calls),
            "retry_rate": ratio(retries, calls + retries), "latency_ms": nearest_rank(_latencies(groups)),
            "unpriced_calls": sum(g.unpriced_calls for g in groups), "replayed": sum(g.replayed for g in groups),
            "possibly_paid": sum(g.possibly_paid for g in groups),
            **_provider_figures(groups)}


def _run_figures(runs: list[RunFacts], cost: float) -> dict:
    succeeded = [r for r in runs if r.succeeded]
    finished = sum(1 for r in runs if r.finished)
    partitions = {r.partition for r in succeeded if r.partition}
    durations: dict[str, list[float]] = {}
    for run in runs:
        for step, seconds in run.steps.items():
            durations.setdefault(step, []).append(seconds)
    return {
        "runs": len(runs), "runs_succeeded": len(succeeded), "runs_finished": finished,
        "success_rate": ratio(len(succeeded), finished), "completed_partitions": len(partitions),
        "cost_per_successful_run_usd": ratio(cost, len(succeeded), 6),
        "cost_per_partition_usd": ratio(cost, len(partitions), 6),
        "step_seconds": {step: nearest_rank(np.array(v), digits=3) for step, v in sorted(durations.items())},
        "checks": {"passed": sum(r.checks_passed for r in runs), "failed": sum(r.checks_failed for r in runs)},
    }


def _approval_figures(requested: int, decided: dict[str, int]) -> dict:
    approved, edited, rejected = (decided.get(s, 0) for s in state_figures.DECISIONS)
    return {"total": requested, "approved": approved, "edited": edited, "rejected": rejected,
            "override_rate": ratio(edited + rejected, approved + edited + rejected)}


def build_report(store: Store, runs: list[RunFacts], index: WorkflowIndex, since: float,
                 until: float | None = None, workflow: str | None = None) -> dict:
    """Everything `aiwf report --json` prints, for calls, runs and decisions in [since, until); with `workflow`,
    that workflow alone and the models it called."""
    until = time.time() if until is None else until
    groups = call_groups(store, since, until, index, {r.run_id: r.workflow for r in runs})
    requested = state_figures.approvals_requested(store, since, until)
    decided = state_figures.decisions(store, since, until)
    quarantined = state_figures.quarantined(store, since, until)
    effects = state_figures.side_effects(store, since, until)
    names = sorted({k[0] for k in groups} | {r.workflow for r in runs} | set(requested)
                   | {w for w, _ in decided} | set(quarantined) | set(effects))
    if workflow is not None:
        names, groups = [workflow], {k: g for k, g in groups.items() if k[0] == workflow}
    workflows = {}
    for name in names:
        calls = _call_figures([g for k, g in groups.items() if k[0] == name])
        mine = [r for r in runs if r.workflow == name]
        fx = effects.get(name, {})
        workflows[name] = {
            **_run_figures(mine, calls["cost_usd"]), **calls,
            "quarantined_rows": quarantined.get(name, 0),
            "approvals": _approval_figures(requested.get(name, 0),
                                           {s: n for (w, s), n in decided.items() if w == name}),
            "side_effects": {"sent": fx.get("sent", 0), "skipped": sum(r.skipped for r in mine),
                             "failed": fx.get("failed", 0), "in_doubt": fx.get("in_doubt", 0)},
        }
    return {"since": iso(since), "until": iso(until), "workflows": workflows, "models": _per(groups, 1),
            "providers": _per(groups, 2)}


def _per(groups: dict[tuple, CallGroup], part: int) -> dict:
    """Call figures per model (part 1 of the group key) or per provider (part 2: the host that answered)."""
    out = {}
    for name in sorted({k[part] for k in groups}):
        figures = _call_figures([g for k, g in groups.items() if k[part] == name])
        out[name] = {"calls": figures.pop("llm_calls"), **figures}
    return out
