"""One day of workflow health: the day's report per workflow, with the trailing baselines its checks need.

A day is a UTC calendar day: model calls and decisions made in it, runs created in it. Cost per completed
partition is the day's model cost over the distinct partitions whose runs succeeded that day; its baseline
is the median of the same figure over the trailing days that had any. Drift compares the day's partition of
each drift source with the trailing days' partitions (pipelines/reporting/drift.py).
"""

import statistics
from dataclasses import dataclass

import pandas as pd

from pipelines.reporting.call_figures import daily_costs
from pipelines.reporting.days import DAY_S, day_name, day_start
from pipelines.reporting.drift import SOURCES, Locate, drift_figures
from pipelines.reporting.report import build_report
from pipelines.reporting.runs import RunFacts
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.state.store import Store


@dataclass(frozen=True)
class Thresholds:
    """What the day's checks hold the figures to."""

    override_rate_max: float = 0.3
    psi_max: float = 0.2
    cost_spike_factor: float = 2.0
    trailing_days: int = 7


def cost_per_partition_by_day(store: Store, runs: list[RunFacts], index: WorkflowIndex, since: float,
                              until: float) -> dict[tuple[str, int], float]:
    """(workflow, UTC day number) -> model cost that day / partitions completed that day (days with any)."""
    costs = daily_costs(store, since, until, index, {r.run_id: r.workflow for r in runs})
    partitions: dict[tuple[str, int], set] = {}
    for run in runs:
        if run.succeeded and run.partition and since <= run.created < until:
            partitions.setdefault((run.workflow, int(run.created // DAY_S)), set()).add(run.partition)
    return {key: round(costs.get(key, 0.0) / len(done), 6) for key, done in partitions.items()}


def day_health(store: Store, runs: list[RunFacts], index: WorkflowIndex, day: str, locate: Locate,
               thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """One row per workflow: the day's figures, the trailing median cost per partition and drift (PSI)."""
    start = day_start(day)
    until, trailing = start + DAY_S, start - thresholds.trailing_days * DAY_S
    today = [r for r in runs if start <= r.created < until]
    report = build_report(store, today, index, start, until)
    per_partition = cost_per_partition_by_day(store, runs, index, trailing, start)
    baseline_days = [day_name(int(start // DAY_S) - n) for n in range(1, thresholds.trailing_days + 1)]
    drift = {s.workflow: drift_figures(locate, s, day, baseline_days) for s in SOURCES}
    names = [*report["workflows"], *(w for w, f in drift.items() if f["rows"] and w not in report["workflows"])]
    rows = [_row(name, report["workflows"].get(name), [v for (wf, _), v in per_partition.items() if wf == name],
                 drift.get(name, {})) for name in names]
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(name: str, w: dict | None, history: list[float], answers: dict) -> dict:
    """The frame's row for one workflow (only its drift figures when it ran nothing that day)."""
    row = {"workflow": name, "trailing_median_cost_per_partition_usd": round(statistics.median(history), 6)
           if history else None, "answers": answers.get("rows"), "baseline_answers": answers.get("baseline_rows"),
           "confidence_psi": answers.get("score_psi"), "label_psi": answers.get("label_psi")}
    if w is None:
        return row
    checks, approvals = w["checks"]["passed"] + w["checks"]["failed"], w["approvals"]
    return {**row, **{k: w[k] for k in ("runs", "runs_succeeded", "success_rate", "cost_usd", "completed_partitions",
                                         "cost_per_partition_usd", "llm_calls", "tokens", "cache_hit_rate",
                                         "retry_rate", "quarantined_rows")},
            **{f"{p}_latency_ms": v for p, v in w["latency_ms"].items()},
            "checks_passed": w["checks"]["passed"], "checks_failed": w["checks"]["failed"],
            "check_pass_rate": round(w["checks"]["passed"] / checks, 4) if checks else None,
            "approvals": approvals["total"], "decisions": sum(approvals[s] for s in ("approved", "edited", "rejected")),
            "override_rate": approvals["override_rate"], "side_effects_sent": w["side_effects"]["sent"],
            "side_effects_failed": w["side_effects"]["failed"]}


COLUMNS = ["workflow", "runs", "runs_succeeded", "success_rate", "cost_usd", "completed_partitions",
           "cost_per_partition_usd", "trailing_median_cost_per_partition_usd", "llm_calls", "tokens",
           "cache_hit_rate", "retry_rate", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "checks_passed",
           "checks_failed", "check_pass_rate", "quarantined_rows", "approvals", "decisions", "override_rate",
           "side_effects_sent", "side_effects_failed", "answers", "baseline_answers", "confidence_psi", "label_psi"]
