"""The planner asset: for each work item the strong model proposes a plan over a tool registry, rules check it
before anything runs, an invalid plan is re-planned once with the problems, then quarantined with the reason.

The prompt gets the item's variables plus `tools` (the registry, one line per tool), `rules` (what the
validator enforces, in words), `episodes` (how similar items went in earlier partitions), `feedback` (the
problems of a refused plan, empty on the first try) and `draft` (a starting plan as one JSON line, or empty).
Plans are kept by (item state hash, prompt version and hash), so a re-run of a partition asks no model.

Not on the row engine (`llm_map`) yet, and why: a refused plan is asked again with the rules' problems in the
prompt (`feedback`), and the engine's second try (`escalate_on`) re-sends the same variables to another tier,
which cannot carry them; that needs a re-ask hook in assets/llm_map/engine.py. Until then the planner keeps its
own row guarantees: one item's failure is quarantined and the others are planned, the plan store resumes a
partition without asking again, and items are planned one after another (a day has a few dozen orders).
"""

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Callable

import dagster as dg
import pandas as pd

from assets.planner import records
from assets.planner.plan import as_data, describe, plan_hash, plan_line, plan_model
from assets.planner.rules import PlanRule, validate
from assets.planner.store import PlanStore
from assets.pools import LLM_POOL
from resources.connectors.tools import ToolRegistry
from resources.llm.prompts import Prompt
from resources.llm.retry import LLMError
from resources.state.quarantine import Quarantine, quarantine_row

COLUMNS = ["status", "steps", "summary", "plan", "plan_hash", "errors", "attempts", "model", "prompt", "offline",
           "cached", "state_hash"]


@dataclass(frozen=True)
class PlannerSpec:
    """What a workflow tells the planner: its tools, prompt, rules and how to read an item."""

    workflow: str
    registry: ToolRegistry
    prompt: Prompt
    rules: list[PlanRule]
    key_column: str
    variables: Callable[[dict], dict]  # the item's own prompt variables (data fenced as data)
    situation: Callable[[dict], str]  # the item in one line: memory's query and the episode's text
    rules_text: str = ""
    draft: Callable[[dict], dict] | None = None  # a starting plan (plain data) the model may keep or change
    outcome_asset: str = ""  # the executor asset whose episodes say how similar items went


def items_of(frame: pd.DataFrame) -> list[dict]:
    """A table's rows as plain dicts; missing values (NaN after a Parquet round trip) are None."""
    return [{k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def state_hash(item: dict) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True, default=str).encode()).hexdigest()[:24]


def make_plan(ai, memory, spec: PlannerSpec, item: dict, partition_key: str) -> dict:
    """One item's plan: asked of the strong model, validated, re-planned once with the problems."""
    variables = {**spec.variables(item), "tools": spec.registry.describe(), "rules": spec.rules_text,
                 "episodes": records.recall(ai, memory, workflow=spec.workflow, text=spec.situation(item),
                                            partition_key=partition_key, outcome_asset=spec.outcome_asset),
                 "feedback": "", "draft": plan_line(spec.registry, spec.draft(item)) if spec.draft else ""}
    model, answer, problems = plan_model(spec.registry), None, []
    for attempt in (1, 2):
        if problems:
            variables["feedback"] = ("Your previous plan was refused by the rules:\n"
                                     + "\n".join(f"- {p}" for p in problems) + "\nReturn a corrected plan.\n")
        answer = ai.complete(spec.prompt, variables, tier="strong", response_model=model)
        plan = as_data(answer.parsed)
        problems = validate(plan, item, spec.registry, spec.rules)
        if not problems:
            break
    return {"status": "planned" if not problems else "quarantined", "plan": plan, "errors": problems,
            "attempts": attempt, "model": answer.model, "offline": answer.offline}


def planner_asset(name: str, *, source: str, spec: PlannerSpec, partitions_def=None, group_name: str | None = None,
                  noun: str = "items", description: str | None = None) -> dg.AssetsDefinition:
    """A table asset with one plan per item of `source` (a DataFrame asset), readable by a person."""

    @dg.asset(name=name, ins={"items": dg.AssetIn(source)}, partitions_def=partitions_def, group_name=group_name,
              kinds={"openai", "pandas"}, pool=LLM_POOL, required_resource_keys={"llm", "memory", "state"},
              description=description or f"A validated plan per {noun[:-1]} over the {spec.workflow} tools.")
    def _planner(context: dg.AssetExecutionContext, items: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        res, partition = context.resources, context.partition_key if context.has_partition_key else ""
        ai, store = res.llm.session(context), res.state.store()
        # the version live in the Store (promote/rollback): plans are kept, asked and recorded under it
        run_spec = replace(spec, prompt=ai.prompt_in_force(spec.prompt))
        plans, rows = PlanStore(store, run_spec.workflow), []
        for item in items_of(items):
            key, digest = str(item[run_spec.key_column]), state_hash(item)
            kept = plans.cached_plan(digest, _prompt_key(run_spec))
            stale = kept is not None and kept["status"] == "planned" and validate(
                kept["plan"], item, run_spec.registry, run_spec.rules)
            if kept is None or stale:  # never planned, or the rules changed since
                made = _fresh(context, ai, res.memory, run_spec, item, partition, digest, plans, store)
            else:  # kept under today's rules too: reused, no model asked
                made = {**kept, "cached": True}
            rows.append(_row(run_spec, key, made, digest))
        frame = pd.DataFrame(rows, columns=[run_spec.key_column, *COLUMNS])
        return dg.Output(frame, metadata={**_figures(frame, noun), **ai.metadata(),
                                          "plans": dg.MetadataValue.md(_table(frame, run_spec.key_column))})

    return _planner


def _fresh(context, ai, memory, spec: PlannerSpec, item: dict, partition: str, digest: str, plans: PlanStore,
           store) -> dict:
    """Plan one item now, keep the plan, quarantine a refused one, and record it (memory, audit trail)."""
    key = str(item[spec.key_column])
    try:
        made = make_plan(ai, memory, spec, item, partition)
    except LLMError as exc:  # this item only; not kept, so the next run asks again
        made = {"status": "quarantined", "plan": None, "errors": [str(exc)], "attempts": exc.attempts,
                "model": None, "offline": False, "error_class": exc.error_class}
    else:
        plans.keep_plan(digest, _prompt_key(spec), status=made["status"], plan=made["plan"],
                        errors=made["errors"], attempts=made["attempts"], model=made["model"], offline=made["offline"])
    if made["status"] == "planned":  # a re-drive that now plans the item closes its quarantine row
        Quarantine(store).resolve(context.asset_key.to_user_string(), partition, key)
    else:
        quarantine_row(context, store, row_key=key, row={"item": item, "plan": made["plan"]},
                       error_class=made.get("error_class", "plan_rejected"), reason="; ".join(made["errors"]),
                       attempts=made["attempts"], workflow=spec.workflow, partition_key=partition)
    tools = " -> ".join(s["tool"] for s in (made["plan"] or {}).get("steps", []))
    records.remember(ai, memory, context, workflow=spec.workflow, item_key=key, text=spec.situation(item),
                     output={"status": made["status"], "tools": tools, "errors": made["errors"]},
                     asset_key=context.asset_key.to_user_string(), partition_key=partition, input_hash=digest,
                     model=made["model"], prompt_version=spec.prompt.ref,
                     check=("plan_rules", not made["errors"], made["errors"]))
    records.audit(store, context, "plan_made" if made["status"] == "planned" else "plan_rejected",
                  {"workflow": spec.workflow, "item_key": key, "tools": tools, "errors": made["errors"],
                   "attempts": made["attempts"]}, partition, prompt=spec.prompt.ref, state_hash=digest)
    return {**made, "cached": False}


def _prompt_key(spec: PlannerSpec) -> str:
    return f"{spec.prompt.ref}:{spec.prompt.hash}"


def _row(spec: PlannerSpec, key: str, made: dict, digest: str) -> dict:
    plan = made.get("plan")
    return {spec.key_column: key, "status": made["status"], "steps": describe(plan) if plan else "",
            "summary": (plan or {}).get("summary", ""), "plan": json.dumps(plan) if plan else None,
            "plan_hash": plan_hash(plan) if plan else None, "errors": "; ".join(made["errors"]),
            "attempts": int(made["attempts"]), "model": made.get("model"),
            "prompt": spec.prompt.ref, "offline": bool(made.get("offline")), "cached": bool(made["cached"]),
            "state_hash": digest}


def _figures(frame: pd.DataFrame, noun: str) -> dict:
    planned = frame.status == "planned"
    return {f"{noun}_planned": int(planned.sum()), "plans_rejected": int((~planned).sum()),
            "plans_repaired": int((planned & (frame.attempts > 1)).sum()), "plans_cached": int(frame.cached.sum())}


def _table(frame: pd.DataFrame, key_column: str) -> str:
    lines = [f"| {key_column} | status | steps |", "| --- | --- | --- |"]
    for r in frame.head(30).itertuples():
        steps = (r.steps or r.errors).replace("\n", "<br>").replace("|", "/")
        lines.append(f"| {getattr(r, key_column)} | {r.status} | {steps} |")
    return "\n".join(lines)
