"""Per-day series behind the report page's plots: cost per workflow, override and check-failure rates, and the
confidence histogram of the drift sources' structured answers (when their tables have any in the window)."""

from collections.abc import Mapping

import numpy as np

from pipelines.reporting import state_figures
from pipelines.reporting.call_figures import daily_costs
from pipelines.reporting.days import DAY_S, day_name
from pipelines.reporting.drift import SCORE_EDGES, SOURCES, Locate, read_answers
from pipelines.reporting.runs import RunFacts
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.state.store import Store

Series = dict[str, dict[str, float]]  # line name -> day (YYYY-MM-DD) -> value


def days_between(since: float, until: float) -> list[str]:
    return [day_name(d) for d in range(int(since // DAY_S), int((until - 1e-9) // DAY_S) + 1)]


def cost_per_day(store: Store, runs: list[RunFacts], index: WorkflowIndex, since: float, until: float) -> Series:
    out: Series = {}
    for (workflow, day), cost in daily_costs(store, since, until, index, {r.run_id: r.workflow for r in runs}).items():
        out.setdefault(workflow, {})[day_name(day)] = round(cost, 6)
    return out


def override_rate_per_day(store: Store, since: float, until: float) -> Series:
    decided: dict[tuple[str, str], dict[str, int]] = {}
    for (workflow, status, day), n in state_figures.decisions(store, since, until, by_day=True).items():
        decided.setdefault((workflow, day_name(day)), {})[status] = n
    out: Series = {}
    for (workflow, day), counts in decided.items():
        total = sum(counts.get(s, 0) for s in state_figures.DECISIONS)
        if total:
            out.setdefault(workflow, {})[day] = round((counts.get("edited", 0) + counts.get("rejected", 0)) / total, 4)
    return out


def check_failure_rate_per_day(runs: list[RunFacts]) -> Series:
    counts: dict[tuple[str, str], list[int]] = {}
    for run in runs:
        tally = counts.setdefault((run.workflow, day_name(int(run.created // DAY_S))), [0, 0])
        tally[0] += run.checks_failed
        tally[1] += run.checks_passed + run.checks_failed
    out: Series = {}
    for (workflow, day), (failed, total) in counts.items():
        if total:
            out.setdefault(workflow, {})[day] = round(failed / total, 4)
    return out


def confidence_histograms(locate: Locate, days: list[str], runs: list[RunFacts],
                          workflows: Mapping | None = None) -> dict[str, dict]:
    """source label -> {"edges": [...], "counts": [...], "rows": n} over the partitions of the window's days and
    those the window's runs of the source's workflow materialized (a backfill of March runs this week)."""
    out = {}
    for source in SOURCES:
        if workflows is not None and source.workflow not in workflows:
            continue
        partitions = {r.partition for r in runs if r.workflow == source.workflow and r.succeeded and r.partition}
        frame = read_answers(locate, source, sorted(set(days) | partitions))
        if len(frame):
            counts = np.histogram(np.clip(frame[source.score].astype(float), 0, 1), SCORE_EDGES)[0]
            out[f"{source.workflow}: {source.asset}.{source.score}"] = {
                "edges": [round(float(e), 2) for e in SCORE_EDGES], "counts": [int(c) for c in counts],
                "rows": len(frame)}
    return out


def build_series(store: Store, runs: list[RunFacts], index: WorkflowIndex, since: float, until: float,
                 locate: Locate, workflows: Mapping | None = None) -> dict:
    """Everything the page plots, limited to `workflows` when given."""
    keep = (lambda s: {w: v for w, v in s.items() if w in workflows}) if workflows is not None else (lambda s: s)
    return {"days": days_between(since, until),
            "cost_per_day": keep(cost_per_day(store, runs, index, since, until)),
            "override_rate_per_day": keep(override_rate_per_day(store, since, until)),
            "check_failure_rate_per_day": keep(check_failure_rate_per_day(runs)),
            "confidence_histograms": confidence_histograms(locate, days_between(since, until), runs, workflows)}
