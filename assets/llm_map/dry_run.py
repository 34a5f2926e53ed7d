"""A batch asset's rows answered by a given prompt and session, with nothing written: no checkpoints, no quarantine
rows, no lease, no `after` hook. Shadow runs (pipelines/shadow/job.py) drive the row engine through this, so
they prepare, deduplicate, validate and shape rows exactly as the asset does.
"""

import dataclasses
from dataclasses import dataclass

import pandas as pd

from assets.llm_map.engine import BatchEngine, Budget, run_async
from assets.llm_map.input_cap import input_cap
from assets.llm_map.report import LLMMapSpec, RunReport, model_key
from assets.llm_map.rows import prepare_rows
from assets.llm_map.step import MapStep
from resources.llm.prompts import Prompt
from resources.state.checkpoints import Checkpoints, Scope


@dataclass
class DryRun:
    """What a dry run answered: the rows as the engine returns them, the step's table, and what failed."""

    answered: pd.DataFrame
    table: pd.DataFrame
    failed: dict[str, str]  # row key -> "error_class: reason" (bad input or the model)
    cost_usd: float  # what the answers cost when paid for, cached or not (as a partition's data cost)


def answer_rows(spec: LLMMapSpec, session, frame: pd.DataFrame, step: MapStep, *, prompt: Prompt | None = None,
                concurrency: int | None = None, escalate: bool = True) -> DryRun:
    """Answer `frame` as the asset would (its `prepare` hook, row checks, dedupe, validator and escalation, its
    `output` hook, re-asks), with `prompt` (default: the spec's) and `session`; nothing is written anywhere."""
    spec = dataclasses.replace(spec, prompt=prompt or spec.prompt)
    if spec.hooks.prepare is not None:
        frame = spec.hooks.prepare(frame, step)
    report = RunReport(spec, spec.name, step.partition, step.run_id, quarantine=None)
    cap = input_cap(spec, session.resource, (spec.tier, spec.escalate_to if escalate and spec.escalate_on else None))
    good, bad = prepare_rows(frame, key_column=spec.key_column, prompt=spec.prompt, text_columns=spec.text_columns,
                             variables=spec.variables, row_model=spec.row_model,
                             max_input_tokens=cap, keep_columns=spec.keep_columns)
    step.input_hashes = {key: request.input_hash for key, request in good}
    report.quarantine_bad(bad)
    todo = report.resume(good, {})
    engine = BatchEngine(session, prompt=spec.prompt, response_model=spec.response_model, tier=spec.tier,
                         escalate_to=spec.escalate_to if escalate else None, validator=spec.escalate_on,
                         concurrency=concurrency or spec.concurrency,
                         budget=Budget(run_usd=spec.budget_usd, run_tokens=spec.budget_tokens),
                         succeed=lambda *a: report.succeed(None, *a), fail=report.fail,
                         spend=lambda usd, tokens: None,  # kept answers only, as a partition's data cost
                         reask_on=spec.reask_on, max_reasks=spec.max_reasks)
    run_async(engine.run(todo))
    answered = report.frame(good)
    step.quarantined, step.asked = report.quarantined(), report.asked
    return DryRun(answered, spec.hooks.shape(answered, step), dict(report.reasons), report.data_cost()[0])


def checkpointed(spec: LLMMapSpec, llm, store, asset_key: str, partition: str) -> dict[str, dict]:
    """The partition's checkpointed answers under the spec's prompt and models: what production paid for."""
    scope = Scope(asset_key, partition, spec.prompt.version, spec.prompt.hash, model_key(spec, llm, spec.tier))
    return Checkpoints(store).load(scope)
