"""Model-call figures straight from the call ledger (`llm_calls`, resources/llm/ledger.py), aggregated in SQL.

Counted as the ledger's own `summarize()` counts them: a call is an answered request (status ok, not a cache
hit), a retry is a failed attempt, tokens and cost are the answered requests'. Latency percentiles are over
answered requests, in tenths of a millisecond (halves rounded up); each group's come back as one joined string
(group_concat / string_agg), so a million calls cost one scan and one sort in the database and no Python
object per row (benchmarks/report.py compares this with window functions and pandas). The scan goes in slices
of ledger ids, so no statement holds SQLite's write lock for long. A call belongs to its asset's workflow; the
calls of assets the definitions do not know are counted again per run, and belong to their run's workflow.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from pipelines.workflow_health.index import UNATTRIBUTED, WorkflowIndex
from resources.llm.ledger import CallLedger
from resources.state.store import Store

ANSWERED = "status = 'ok' AND cache_hit = 0"
SLICE = 250_000  # ledger ids per statement
_SQL = {
    "sqlite": {"day": "CAST({col} / 86400 AS INTEGER)", "tenths": "CAST(latency_ms * 10 + 0.5 AS INTEGER)",
               "concat": "group_concat({x})"},
    "postgres": {"day": "CAST(FLOOR({col} / 86400) AS BIGINT)",
                 "tenths": "CAST(FLOOR(latency_ms * 10 + 0.5) AS BIGINT)", "concat": "string_agg(CAST({x} AS TEXT), ',')"},
}
_FIGURES = (f"SUM(CASE WHEN {ANSWERED} THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN cache_hit <> 0 THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {ANSWERED} THEN cost_usd ELSE 0 END), "
            f"SUM(CASE WHEN {ANSWERED} THEN tokens_in + tokens_out ELSE 0 END)")


def day_sql(store: Store, column: str) -> str:
    """The UTC day number (days since 1970-01-01) of an epoch-seconds column, in the store's dialect."""
    return _SQL[store.dialect]["day"].format(col=column)


@dataclass
class CallGroup:
    """Ledger totals of one group of calls (a workflow and model, or an asset and model before attribution)."""

    calls: int = 0
    retries: int = 0
    cache_hits: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    latencies: list[np.ndarray] = field(default_factory=list)  # milliseconds, one array per SQL group

    def add(self, calls, retries, hits, cost, tokens, tenths: str | None = None) -> None:
        self.calls += int(calls or 0)
        self.retries += int(retries or 0)
        self.cache_hits += int(hits or 0)
        self.cost_usd += float(cost or 0)
        self.tokens += int(tokens or 0)
        if tenths:
            self.latencies.append(np.array(tenths.split(","), dtype=np.int64) / 10)

    def merge(self, other: "CallGroup") -> None:
        self.add(other.calls, other.retries, other.cache_hits, other.cost_usd, other.tokens)
        self.latencies += other.latencies


def _grouped(store: Store, keys: str, figures: str, since: float, until: float, where: str = "",
             params: tuple = ()) -> dict[tuple, CallGroup]:
    """Run `SELECT keys, figures ... GROUP BY keys` over ledger rows in [since, until), slice by slice of ids."""
    CallLedger(store)  # the table exists even before the first call
    low, high = store.execute("SELECT MIN(id), MAX(id) FROM llm_calls")[0]
    width = len(keys.split(","))
    groups: dict[tuple, CallGroup] = {}
    for start in range(int(low), int(high) + 1, SLICE) if high is not None else ():
        rows = store.execute(
            f"SELECT {keys}, {figures} FROM llm_calls WHERE id >= ? AND id < ? AND ts >= ? AND ts < ?{where} "
            f"GROUP BY {', '.join(str(i + 1) for i in range(width))}", (start, start + SLICE, since, until, *params))
        for row in rows:
            groups.setdefault(tuple(row[:width]), CallGroup()).add(*row[width:])
    return groups


def _by_workflow(store: Store, keys: str, figures: str, since: float, until: float, index: WorkflowIndex,
                 run_workflows: Mapping[str, str]) -> dict[tuple, CallGroup]:
    """Groups keyed by (workflow, *the rest of keys after asset_key)."""
    out: dict[tuple, CallGroup] = {}
    by_asset = _grouped(store, keys, figures, since, until)
    unknown = sorted({k[0] for k in by_asset if index.of_asset(k[0]) is None}, key=str)
    for key, group in by_asset.items():
        if key[0] not in unknown:
            out.setdefault((index.of_asset(key[0]), *key[1:]), CallGroup()).merge(group)
    if unknown:  # the same calls again, per run, to place them by their run's workflow
        named = [k for k in unknown if k is not None]
        where = " AND (asset_key IS NULL" + (f" OR asset_key IN ({', '.join('?' * len(named))})" if named else "") + ")"
        for (run_id, *rest), group in _grouped(store, keys.replace("asset_key", "run_id", 1), figures, since, until,
                                               where, tuple(named)).items():
            out.setdefault((run_workflows.get(run_id or "", UNATTRIBUTED), *rest), CallGroup()).merge(group)
    return out


def call_groups(store: Store, since: float, until: float, index: WorkflowIndex,
                run_workflows: Mapping[str, str]) -> dict[tuple[str, str], CallGroup]:
    """(workflow, model) -> CallGroup for ledger rows with since <= ts < until."""
    sql = _SQL[store.dialect]
    latencies = sql["concat"].format(x=f"CASE WHEN {ANSWERED} THEN {sql['tenths']} END")
    figures = f"{_FIGURES}, {latencies}"
    return _by_workflow(store, "asset_key, model", figures, since, until, index, run_workflows)


def daily_costs(store: Store, since: float, until: float, index: WorkflowIndex,
                run_workflows: Mapping[str, str]) -> dict[tuple[str, int], float]:
    """(workflow, UTC day number) -> cost of answered calls that day (for trends and the cost-spike check)."""
    groups = _by_workflow(store, f"asset_key, {day_sql(store, 'ts')}", _FIGURES, since, until, index, run_workflows)
    return {(workflow, int(day)): g.cost_usd for (workflow, day), g in groups.items()}


def nearest_rank(values: np.ndarray, percents=(50, 95, 99), digits: int = 1) -> dict[str, float | None]:
    """Nearest-rank percentiles (an observed value: the ceil(p/100 * n)-th smallest), None when empty."""
    if not len(values):
        return {f"p{p}": None for p in percents}
    ranks = [max(1, -(-p * len(values) // 100)) for p in percents]
    picked = np.partition(values, [r - 1 for r in ranks])
    return {f"p{p}": round(float(picked[r - 1]), digits) for p, r in zip(percents, ranks)}
