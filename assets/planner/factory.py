"""The planner asset: for each work item the strong model proposes a plan over a tool registry, rules check it
before anything runs, an invalid plan is re-planned once with the problems, then quarantined with the reason.

Built by the row engine (`llm_map`), so plans get concurrency within the provider limit, row checkpoints, per-row
quarantine, shadow runs (`aiwf shadow --asset recovery_plans ...`), canaries and Batch API mode. The rules are
the engine's re-ask hook (`reask_on`): a refused plan is asked again with the rules' problems in the `feedback`
variable (a new request: its own hash, ledger row and budget check), at most `max_reasks` times, then the item is
quarantined (`invalid_after_reask`) with the problems as its reason; an item the model cannot answer, or that
cannot be read, is quarantined too, and the other items are planned (the step fails on no single item).

The prompt gets the item's variables plus `tools` (the registry, one line per tool), `rules` (what the
validator enforces, in words), `episodes` (how similar items went in earlier partitions, looked up before any
request by the `prepare` hook), `feedback` (the problems of a refused plan, empty on the first ask) and `draft`
(a starting plan as one JSON line, or empty). A plan is kept as the row's checkpoint (by the item's variables,
prompt version and hash, and the rules in force), so a re-run of a partition asks no model; a change of rules
re-checks kept plans (answered again from the cache, re-asked only if they now break a rule).

The table: one row per item, planned or quarantined (`status`, `steps` for a person, `plan` as JSON for the
executor, `errors`, `attempts`, `model`, `prompt`, `offline`, `cached`: no request sent for it in this run).
Each item planned or refused in this run is remembered (memory, an episode) and audited (`after` hook).
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

import dagster as dg
import pandas as pd

from assets.llm_map.factory import llm_map
from assets.llm_map.rows import RowRejected
from assets.planner import records
from assets.planner.plan import as_data, describe, plan_hash, plan_line, plan_model
from assets.planner.rules import ALWAYS, PlanRule, validate
from resources.connectors.tools import ToolRegistry
from resources.llm.prompt_files import PromptFile
from resources.llm.prompts import Prompt
from resources.state.resource import state_of

COLUMNS = ["status", "steps", "summary", "plan", "plan_hash", "errors", "attempts", "model", "prompt", "offline",
           "cached", "state_hash"]


@dataclass(frozen=True)
class PlannerSpec:
    """What a workflow tells the planner: its tools, prompt, rules and how to read an item."""

    workflow: str
    registry: ToolRegistry
    prompt: Prompt | PromptFile  # a PromptFile answers with the Store's live version and its canary
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


def planner_asset(name: str, *, source: str, spec: PlannerSpec, partitions_def=None, group_name: str | None = None,
                  noun: str = "items", description: str | None = None, concurrency: int = 8,
                  max_reasks: int = 1, max_failure_rate: float = 1.0, mode: str = "sync") -> dg.AssetsDefinition:
    """A table asset with one plan per item of `source` (a DataFrame asset), readable by a person.
    `max_failure_rate` 1.0: a refused plan is the planner's outcome for that item, never the step's failure."""
    return llm_map(
        name, source=source, prompt=spec.prompt, key_column=spec.key_column, response_model=plan_model(spec.registry),
        variables=lambda row: plan_variables(spec, row), keep_columns=["state_hash", "situation"], tier="strong",
        escalate_to=None, reask_on=lambda row, plan: validate(as_data(plan), row, spec.registry, spec.rules),
        max_reasks=max_reasks, concurrency=concurrency, partitions_def=partitions_def, group_name=group_name,
        max_failure_rate=max_failure_rate, max_input_tokens=12000, mode=mode, resources=["memory"],
        prepare=lambda frame, step: with_episodes(spec, frame, step),
        output=lambda answered, step: plans_table(spec, answered, step),
        after=lambda answered, table, step: record_plans(spec, answered, table, step, noun),
        description=description or f"A validated plan per {noun[:-1]} over the {spec.workflow} tools.")


def with_episodes(spec: PlannerSpec, frame: pd.DataFrame, step) -> pd.DataFrame:
    """Each item with its state hash, its one-line situation and how similar items went in earlier partitions."""
    items = items_of(frame)
    situations = [_situation(spec, i) for i in items]
    return frame.assign(
        state_hash=[state_hash(i) for i in items], situation=situations,
        episodes=[records.recall(step.session, step.resources.memory, workflow=spec.workflow, text=text,
                                 partition_key=step.partition, outcome_asset=spec.outcome_asset)
                  if text else "(none)" for text in situations])


def plan_variables(spec: PlannerSpec, row: dict) -> dict:
    """The prompt variables of one item; `rules_in_force` (not rendered) makes a change of rules re-check plans."""
    try:
        return {**spec.variables(row), "tools": spec.registry.describe(), "rules": spec.rules_text,
                "episodes": row.get("episodes") or "(none)", "feedback": "",
                "draft": plan_line(spec.registry, spec.draft(row)) if spec.draft else "",
                "rules_in_force": ",".join(getattr(r, "__name__", repr(r)) for r in [*ALWAYS, *spec.rules])}
    except (KeyError, AttributeError) as exc:  # an item the workflow cannot read: this item only
        raise RowRejected("invalid_row", f"cannot build the plan request: {exc!r}") from None


def plans_table(spec: PlannerSpec, answered: pd.DataFrame, step) -> pd.DataFrame:
    """One row per item: the planned ones (answered) and the ones this run quarantined, in upstream order."""
    key, rows = spec.key_column, []
    for r in answered.to_dict(orient="records"):
        plan = as_data({"steps": r["steps"], "summary": r["summary"]})
        rows.append({key: str(r[key]), "status": "planned", "steps": describe(plan), "summary": plan["summary"],
                     "plan": json.dumps(plan), "plan_hash": plan_hash(plan), "errors": "",
                     "attempts": 1 + int(r.get("llm_reasks") or 0), "model": r["llm_model"],
                     "prompt": f"{spec.prompt.name}@{r['prompt_version']}", "offline": bool(r["llm_offline"]),
                     "cached": str(r[key]) not in step.asked, "state_hash": r["state_hash"]})
    for item_key, failed in step.quarantined.items():
        rows.append({key: item_key, "status": "quarantined", "steps": "", "summary": "", "plan": None,
                     "plan_hash": None, "errors": failed["reason"], "attempts": int(failed["attempts"]),
                     "model": None, "prompt": None, "offline": False, "cached": item_key not in step.asked,
                     "state_hash": (failed["row"] or {}).get("state_hash")})
    order = {k: i for i, k in enumerate(step.input_hashes)}
    rows.sort(key=lambda r: order.get(r[key], len(order)))
    return pd.DataFrame(rows, columns=[key, *COLUMNS])


def record_plans(spec: PlannerSpec, answered: pd.DataFrame, table: pd.DataFrame, step, noun: str) -> dict:
    """Each item planned or refused in this run (not a kept plan) in memory and the audit trail; the figures."""
    store, asset = state_of(step.session.resource).store(), step.context.asset_key.to_user_string()
    situations = {**{k: (f["row"] or {}).get("situation") for k, f in step.quarantined.items()},
                  **dict(zip(answered[spec.key_column].astype(str), answered.situation))}
    for r in table[~table.cached].to_dict(orient="records"):
        r = {k: None if isinstance(v, float) and v != v else v for k, v in r.items()}  # NaN: not known
        item_key, planned = r[spec.key_column], r["status"] == "planned"
        plan = json.loads(r["plan"]) if r["plan"] else None
        errors = [e for e in r["errors"].split("; ") if e]
        tools = " -> ".join(s["tool"] for s in (plan or {}).get("steps", []))
        records.remember(step.session, step.resources.memory, step.context, workflow=spec.workflow,
                         item_key=item_key, text=situations.get(item_key) or item_key, asset_key=asset,
                         output={"status": r["status"], "tools": tools, "errors": errors},
                         partition_key=step.partition, input_hash=r["state_hash"], model=r["model"],
                         prompt_version=r["prompt"], check=("plan_rules", planned, errors))
        records.audit(store, step.context, "plan_made" if planned else "plan_rejected",
                      {"workflow": spec.workflow, "item_key": item_key, "tools": tools, "errors": errors,
                       "attempts": r["attempts"]}, step.partition, prompt=r["prompt"], state_hash=r["state_hash"])
    return {**_figures(table, noun), "plans": dg.MetadataValue.md(_table(table, spec.key_column))}


def _situation(spec: PlannerSpec, item: dict) -> str:
    """The item in one line ("" for an item the workflow cannot read: its request is refused later, with why)."""
    try:
        return spec.situation(item)
    except (KeyError, AttributeError, TypeError):
        return ""


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
