"""Model-call figures per workflow and model, from the call ledger's own aggregates (resources/llm/ledger_reads.py).

Latency percentiles are over answered requests, in tenths of a millisecond (halves rounded up); each group's
come back as one joined string, so a million calls cost one scan and one sort in the database and no Python
object per row (benchmarks/report.py compares this with window functions and pandas). A call belongs to its
asset's workflow; the calls of assets the definitions do not know are counted again per run, and belong to
their run's workflow.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from pipelines.reporting.workflow_index import UNATTRIBUTED, WorkflowIndex
from resources.llm import ledger_reads
from resources.state.store import Store

UNRECORDED = "(not recorded)"  # ledger rows from before the provider column


@dataclass
class CallGroup:
    """Ledger totals of one group of calls (a workflow and model, or an asset and model before attribution)."""

    calls: int = 0
    retries: int = 0
    cache_hits: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    unpriced_calls: int = 0  # answered calls to a model with no price (their cost is unknown, not 0)
    replayed: int = 0  # answers replayed from a cassette: no request, no cost
    provider_cost_usd: float = 0.0  # what providers that report a cost said ...
    provider_ours_usd: float = 0.0  # ... and what we priced those same calls at
    provider_calls: int = 0
    possibly_paid: int = 0  # attempts sent by a worker that died before the answer: maybe billed, never recorded
    latencies: list[np.ndarray] = field(default_factory=list)  # milliseconds, one array per SQL group

    def add(self, calls, retries, hits, cost, tokens, unpriced=0, replayed=0, provider=0.0, provider_ours=0.0,
            provider_calls=0, possibly_paid=0, tenths: str | None = None) -> None:
        """Add one SQL group's figures (ledger_reads.FIGURES, then optionally its latencies)."""
        self.calls += int(calls or 0)
        self.retries += int(retries or 0)
        self.cache_hits += int(hits or 0)
        self.cost_usd += float(cost or 0)
        self.tokens += int(tokens or 0)
        self.unpriced_calls += int(unpriced or 0)
        self.replayed += int(replayed or 0)
        self.provider_cost_usd += float(provider or 0)
        self.provider_ours_usd += float(provider_ours or 0)
        self.provider_calls += int(provider_calls or 0)
        self.possibly_paid += int(possibly_paid or 0)
        if tenths:
            self.latencies.append(np.array(tenths.split(","), dtype=np.int64) / 10)

    def merge(self, other: "CallGroup") -> None:
        self.add(other.calls, other.retries, other.cache_hits, other.cost_usd, other.tokens, other.unpriced_calls,
                 other.replayed, other.provider_cost_usd, other.provider_ours_usd, other.provider_calls,
                 other.possibly_paid)
        self.latencies += other.latencies


def _grouped(store: Store, keys: str, figures: str, since: float, until: float, where: str = "",
             params: tuple = ()) -> dict[tuple, CallGroup]:
    """CallGroups by `keys` over ledger rows in [since, until) (the ledger's own GROUP BY, ledger_reads.py)."""
    width = len(keys.split(","))
    groups: dict[tuple, CallGroup] = {}
    for row in ledger_reads.grouped(store, keys, figures, since, until, where, params):
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
                run_workflows: Mapping[str, str]) -> dict[tuple[str, str, str], CallGroup]:
    """(workflow, model, provider) -> CallGroup for ledger rows with since <= ts < until; the provider is the host
    that answered (resources/llm/providers.py), UNRECORDED for rows written before the ledger named it."""
    figures = f"{ledger_reads.FIGURES}, {ledger_reads.latency_tenths(store)}"
    groups = _by_workflow(store, "asset_key, model, provider", figures, since, until, index, run_workflows)
    out: dict[tuple[str, str, str], CallGroup] = {}
    for (workflow, model, provider), group in groups.items():
        out.setdefault((workflow, model, provider or UNRECORDED), CallGroup()).merge(group)
    return out


def daily_costs(store: Store, since: float, until: float, index: WorkflowIndex,
                run_workflows: Mapping[str, str]) -> dict[tuple[str, int], float]:
    """(workflow, UTC day number) -> cost of answered calls that day (for trends and the cost-spike check)."""
    groups = _by_workflow(store, f"asset_key, {store.day_number('ts')}", ledger_reads.FIGURES, since, until, index, run_workflows)
    return {(workflow, int(day)): g.cost_usd for (workflow, day), g in groups.items()}


def nearest_rank(values: np.ndarray, percents=(50, 95, 99), digits: int = 1) -> dict[str, float | None]:
    """Nearest-rank percentiles (an observed value: the ceil(p/100 * n)-th smallest), None when empty."""
    if not len(values):
        return {f"p{p}": None for p in percents}
    ranks = [max(1, -(-p * len(values) // 100)) for p in percents]
    picked = np.partition(values, [r - 1 for r in ranks])
    return {f"p{p}": round(float(picked[r - 1]), digits) for p, r in zip(percents, ranks)}
