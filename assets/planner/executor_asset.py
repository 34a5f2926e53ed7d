"""The executor asset: every planned item's plan run as a saga (assets/planner/saga_runner.py), one row per step,
each outcome remembered in episodic memory and written to the audit trail."""

import json
from dataclasses import dataclass
from typing import Callable

import dagster as dg
import pandas as pd

from assets.planner import records
from assets.planner.saga_runner import Outcome, SagaRunner
from assets.planner.factory import items_of
from assets.planner.plan import describe
from assets.planner.rules import PlanRule
from assets.planner.store import PlanStore
from assets.pools import LLM_POOL
from resources.connectors.tools import ToolRegistry

COLUMNS = ["outcome", "attempt", "step", "tool", "arguments", "status", "compensated", "idempotency_key", "error"]
ACTED = ("sent", "failed", "refused")  # step statuses that mean this run did something worth remembering


@dataclass(frozen=True)
class ExecutorSpec:
    """What a workflow tells the executor: its tools and rules, and how to open its connectors."""

    workflow: str
    registry: ToolRegistry
    rules: list[PlanRule]
    key_column: str
    connectors: Callable[[object], dict]  # context -> {name: Connector}, e.g. {"shop": shop.connector(context)}
    situation: Callable[[dict], str]
    resource_keys: frozenset = frozenset({"shop"})


def run_plans(context, spec: ExecutorSpec, work: list[tuple[str, dict, dict]], partition: str,
              asset_key: str) -> tuple[list[Outcome], dict]:
    """Execute (item key, plan, item) triples; record each outcome; returns outcomes and connector figures."""
    res = context.resources
    ai, store = res.llm.session(context), res.state.store()
    connectors = spec.connectors(context)
    try:
        runner = SagaRunner(context, spec.workflow, spec.registry, spec.rules, connectors,
                            PlanStore(store, spec.workflow), res.approvals)
        outcomes = []
        for key, plan, item in work:
            outcome = runner.execute(partition, key, plan, item)
            outcomes.append(outcome)
            if outcome.compensated or outcome.status in ("escalated", "rejected") or any(
                    s["status"] in ACTED for s in outcome.steps):  # this run did something
                record(context, ai, res.memory, store, spec, outcome, plan, item, partition, asset_key)
        stats = [c.stats for c in connectors.values()]
        figures = {"sent": sum(s.sent for s in stats), "skipped_already_done": sum(s.skipped for s in stats),
                   "failed": sum(s.failed for s in stats), "http_requests": sum(s.requests for s in stats),
                   "http_retries": sum(s.retries for s in stats)}
    finally:
        for connector in connectors.values():
            connector.close()
    return outcomes, {**figures, **ai.metadata()}


def record(context, ai, memory, store, spec: ExecutorSpec, outcome: Outcome, plan: dict, item: dict,
           partition: str, asset_key: str) -> None:
    """The outcome as an episode (how similar items went, for the planner next time) and an audit line."""
    steps = [(s["step"], s["tool"], s["status"]) for s in outcome.steps]
    tools = " -> ".join(s["tool"] for s in plan["steps"])
    records.remember(ai, memory, context, workflow=spec.workflow, item_key=outcome.item_key,
                     text=spec.situation(item), output={"status": outcome.status, "tools": tools,
                                                        "steps": steps, "error": outcome.error},
                     asset_key=asset_key, partition_key=partition,
                     check=("saga_completed", outcome.status in ("completed", "held"), outcome.error))
    records.audit(store, context, f"saga_{outcome.status}",
                  {"workflow": spec.workflow, "item_key": outcome.item_key, "attempt": outcome.attempt,
                   "steps": steps, "compensated": outcome.compensated, "error": outcome.error,
                   "approvals": outcome.approval_ids}, partition, plan=describe(plan))


def executor_asset(name: str, *, plans: str, items: str, spec: ExecutorSpec, partitions_def=None,
                   group_name: str | None = None, noun: str = "items", description: str | None = None):
    """A table asset with one row per executed (or held) step of every planned item."""

    @dg.asset(name=name, ins={"plans": dg.AssetIn(plans), "items": dg.AssetIn(items)},
              partitions_def=partitions_def, group_name=group_name, kinds={"pandas", "http"}, pool=LLM_POOL,
              required_resource_keys={"approvals", "state", "memory", "llm", *spec.resource_keys},
              description=description or f"Each planned {noun[:-1]}'s plan run as a saga, exactly once.")
    def _executor(context: dg.AssetExecutionContext, plans: pd.DataFrame, items: pd.DataFrame):
        partition = context.partition_key if context.has_partition_key else ""
        by_key = {str(i[spec.key_column]): i for i in items_of(items)}
        ready = plans[plans.status == "planned"]
        work = [(str(getattr(r, spec.key_column)), json.loads(r.plan), by_key.get(str(getattr(r, spec.key_column)),
                                                                                     {})) for r in ready.itertuples()]
        outcomes, figures = run_plans(context, spec, work, partition, context.asset_key.to_user_string())
        frame = steps_table(outcomes, spec.key_column)
        return dg.Output(frame, metadata={**outcome_figures(outcomes, noun), **figures})

    return _executor


def steps_table(outcomes: list[Outcome], key_column: str) -> pd.DataFrame:
    rows = [{key_column: o.item_key, "outcome": o.status, "attempt": s.get("attempt", o.attempt), "step": s["step"],
             "tool": s["tool"], "arguments": json.dumps(s["arguments"], sort_keys=True), "status": s["status"],
             "compensated": bool(s.get("compensated")), "idempotency_key": s["idempotency_key"], "error": s["error"]}
            for o in outcomes for s in (o.steps or [{"step": 0, "tool": "", "arguments": {}, "status": o.status,
                                                     "idempotency_key": None, "error": o.error}])]
    return pd.DataFrame(rows, columns=[key_column, *COLUMNS])


def outcome_figures(outcomes: list[Outcome], noun: str) -> dict:
    """Figures for the UI and the demo summary: what this run did (a re-run that sends nothing shows zeros)."""
    steps = [s for o in outcomes for s in o.steps]
    count = lambda *statuses: sum(1 for o in outcomes if o.status in statuses)  # noqa: E731
    return {f"{noun}_executed": len(outcomes), f"{noun}_completed": count("completed"),
            f"{noun}_escalated": count("escalated"), f"{noun}_rejected": count("rejected"),
            "steps_executed": sum(1 for s in steps if s["status"] == "sent"),
            "steps_compensated": sum(o.compensated for o in outcomes),
            "held_for_approval": sum(1 for s in steps if s["status"] == "held"),
            "outcomes": dg.MetadataValue.json({o.item_key: o.status for o in outcomes})}
