"""`llm_map`: a batch asset applying a versioned prompt to every row of an upstream table, durably.

    classified = llm_map("ticket_labels", source="tickets", prompt=LABEL, response_model=Label,
                         key_column="ticket_id", text_columns=["subject", "body"], group_name="support",
                         partitions_def=daily, concurrency=16, max_failure_rate=0.05)

Rows run concurrently through `LLMSession.acomplete` (its retries, Retry-After, cache, ledger and the
resource's requests/tokens-per-minute limiter); each answer is checkpointed as it arrives, so a run that
failed, was cancelled or killed resumes with only the missing rows, cache or not. Bad rows and rows that
still fail are quarantined with the reason; above `max_failure_rate` the asset fails. Budgets are checked
before each request. With `escalate_on` (a validator: row, answer -> problem or None), a rejected cheap
answer is asked again on the strong tier. With `reask_on` (row, answer -> problems or None), a refused answer is
asked again with the problems in the prompt's `{feedback}` variable, up to `max_reasks` times, then quarantined
(the order of the two: assets/llm_map/engine.py). Run config (LLMMapConfig) overrides the tier, concurrency and
budgets for one run, e.g. a re-drive of quarantined rows on the strong tier.
With `mode="batch"` (or run config `mode`) the rows go through the provider's Batch API at half price
(assets/llm_map/batch_mode.py: recorded batches, re-attach after a crash, in-process wait then batch_jobs_sensor).

One run at a time works on a partition (assets/llm_map/lease.py): a second run of it waits, then resumes from
the first one's checkpoints. Progress (rows done, failures, spend, rate, ETA) goes to the run's event log at
least every 10 s. Metadata tells this run's spend (`run_cost_usd`, `llm_cost_usd`) from what the partition's
answers cost when paid for (`data_cost_usd`, from the checkpoints), which stays put across cached reruns.

A workflow step that does more than map a prompt over rows uses the hooks of assets/llm_map/step.py: `inputs`
(other upstream tables), `resources` (e.g. memory), `prepare` (columns looked up before asking), `output` (the
step's own table from the answers) and `after` (side work such as recording in memory). The key column is
always in the table, with the columns named in `keep_columns`.
"""

import time
from typing import Callable, Sequence

import dagster as dg
import pandas as pd
from pydantic import BaseModel

from assets.llm_map.batch_mode import MODES, BatchSettings, answer_batch_mode
from assets.llm_map.canary import canary_plan, effective_live
from assets.llm_map.engine import BatchEngine, Budget, Reask, Validator, run_async
from assets.llm_map.estimate import check_budget_left
from assets.llm_map.input_cap import input_cap
from assets.llm_map.lease import lease_name, partition_lease
from assets.llm_map.progress import Progress, batch_line
from assets.llm_map.ranges import per_partition
from assets.llm_map.report import LLMMapSpec, RunReport, model_key
from assets.llm_map.rows import bad_summary, prepare_rows
from assets.llm_map.step import MapStep, StepHooks
from assets.pools import LLM_POOL
from resources.llm import LLMResource
from resources.llm.claims import finished_runs
from resources.llm.ledger import CallLedger
from resources.llm.prompt_files import PromptFile
from resources.llm.prompts import Prompt
from resources.llm.retry import BudgetExceeded
from resources.llm.shared_budget import ERROR_CLASS as BUDGET_EXCEEDED
from resources.llm.shared_budget import BudgetWindowExceeded
from resources.state.checkpoints import Checkpoints, CheckpointWriter, Scope
from resources.state.quarantine import Quarantine
from resources.state.resource import state_of

LLM_MAP_TAG = "aiwf/llm_map"  # asset tag marking batch assets, so `aiwf quarantine retry` can find them
SPECS: dict[str, LLMMapSpec] = {}  # asset name -> spec of every batch asset built: shadow runs re-run one


def spec_of(asset_key: str) -> LLMMapSpec | None:
    """The spec a batch asset was built with (None: not an llm_map asset)."""
    return SPECS.get(asset_key)


class LLMMapConfig(dg.Config):
    """Per-run overrides of a batch asset (None keeps the asset's own setting)."""

    tier: str | None = None
    concurrency: int | None = None
    budget_usd: float | None = None
    budget_tokens: int | None = None
    progress_every_s: float = 9.0  # a line lands within 10 s even when the event loop is busy
    mode: str | None = None  # "sync" | "batch" (the provider's Batch API: assets/llm_map/batch_mode.py)
    batch_failed: str | None = None  # batch mode: failed/expired requests "sync" | "quarantine"
    batch_max_wait_s: float | None = None  # batch mode: wait in the step this long, then leave it to the sensor


def llm_map(name: str, *, source: str | dg.AssetKey | dg.AssetsDefinition, prompt: Prompt | PromptFile,
            key_column: str,
            response_model: type[BaseModel] | None = None, text_columns: Sequence[str] | None = None,
            variables: Callable[[dict], dict] | None = None, row_model: type[BaseModel] | None = None,
            keep_columns: Sequence[str] = (), tier: str = "cheap", escalate_to: str | None = "strong",
            escalate_on: Validator | None = None, reask_on: Reask | None = None, max_reasks: int = 1,
            concurrency: int = 8,
            partitions_def: dg.PartitionsDefinition | None = None, group_name: str | None = None,
            max_failure_rate: float = 0.05, budget_usd: float | None = None, budget_tokens: int | None = None,
            workflow_budget_usd: float | None = None, workflow_budget_tokens: int | None = None,
            max_input_tokens: int = 8000, pool: str | None = LLM_POOL,
            description: str | None = None, mode: str = "sync",
            batch: BatchSettings | None = None,
            backfill_policy: dg.BackfillPolicy | None = None,
            inputs: dict[str, str | dg.AssetKey | dg.AssetsDefinition] | None = None, resources: Sequence[str] = (),
            prepare: Callable | None = None, output: Callable | None = None, after: Callable | None = None,
            deps: Sequence = (), kinds: Sequence[str] = (), budget_downgrade: bool = True) -> dg.AssetsDefinition:
    """A partition-aware Dagster asset whose rows are `prompt` answered per upstream row (see module doc).
    Given a PromptFile, each run answers with the Store's live version, and a candidate with a share answers
    that share of rows (a canary: assets/llm_map/canary.py); the `prompt_version` column says which did.
    `inputs`, `resources`, `prepare`, `output` and `after` fit a workflow's step (assets/llm_map/step.py).
    Under budgets across runs (AIWF_BUDGETS: resources/llm/shared_budget.py) a partition whose estimate exceeds what
    they have left fails before any request (unless tagged aiwf/force=true), rows past a spent budget are
    quarantined as `budget_exceeded`, and at 90% strong-tier rows are asked on cheap (`budget_downgrade=False`:
    never)."""
    prompt_file = prompt if isinstance(prompt, PromptFile) else None
    prompt = prompt_file.live_prompt if prompt_file else prompt
    if (text_columns is None) == (variables is None):
        raise ValueError(f"llm_map {name!r}: give exactly one of text_columns or variables")
    if not 0 <= max_failure_rate <= 1 or concurrency < 1:
        raise ValueError(f"llm_map {name!r}: max_failure_rate must be in [0, 1] and concurrency >= 1")
    if reask_on is not None and "{feedback}" not in f"{prompt.system}\n{prompt.template}":
        raise ValueError(f"llm_map {name!r}: reask_on needs a {{feedback}} variable in {prompt.ref} (\"\" on the "
                         "first ask) to tell the model what was refused")
    spec = LLMMapSpec(name, prompt, key_column, response_model, text_columns, variables, row_model,
                      tuple(keep_columns), tier, escalate_to, escalate_on, concurrency, group_name or "default",
                      max_failure_rate, budget_usd, budget_tokens, workflow_budget_usd, workflow_budget_tokens,
                      max_input_tokens, mode=mode, batch=batch, prompt_file=prompt_file,
                      hooks=StepHooks(prepare, output, after, tuple(inputs or {}), tuple(resources)),
                      reask_on=reask_on, max_reasks=max_reasks, downgrade=budget_downgrade)
    if mode not in MODES:
        raise ValueError(f"llm_map {name!r}: mode {mode!r} is not one of {MODES}")
    SPECS[name] = spec
    if len(set(spec.output_columns)) != len(spec.output_columns):
        raise ValueError(f"llm_map {name!r}: output columns collide: {spec.output_columns}")
    source_key = _key(source)
    ins = {"rows": dg.AssetIn(key=source_key, dagster_type=dg.Any),
           **{n: dg.AssetIn(key=_key(k), dagster_type=dg.Any) for n, k in (inputs or {}).items()}}

    # `rows` is a DataFrame, or {partition: DataFrame} in a run over a partition range: `backfill_policy=
    # BATCH_BACKFILL` (assets/llm_map/ranges.py) backfills up to 30 days per run, each with its own checkpoints.
    @dg.asset(name=name, ins=ins, partitions_def=partitions_def, deps=list(deps),
              backfill_policy=backfill_policy if partitions_def is not None else None,
              group_name=group_name, kinds={"openai", "pandas", *kinds}, pool=pool, tags={LLM_MAP_TAG: "true"},
              metadata={"prompt": prompt.ref, "prompt_hash": prompt.hash, "key_column": key_column},
              required_resource_keys={"llm", *resources},
              description=description or f"{prompt.ref} applied to each row of {source_key.to_user_string()}.")
    def _batch(context: dg.AssetExecutionContext, config: LLMMapConfig, rows, **others) -> dg.Output:
        llm = context.resources.llm
        return per_partition(context, {"rows": rows, **others}, lambda key, rows, **frames: run_llm_map(
            spec, context, config, llm, rows, key, frames))

    return _batch


def _key(asset: str | dg.AssetKey | dg.AssetsDefinition) -> dg.AssetKey:
    return asset.key if isinstance(asset, dg.AssetsDefinition) else dg.AssetKey.from_coercible(asset)


def run_llm_map(spec: LLMMapSpec, context, config: LLMMapConfig, llm: LLMResource,
                frame: pd.DataFrame, partition: str | None = None,
                inputs: dict[str, pd.DataFrame] | None = None) -> dg.Output[pd.DataFrame]:
    """One partition, once at a time: wait for any other run holding it, then answer what is not checkpointed."""
    llm.model_for(config.tier or spec.tier)  # an unknown tier is a clear error before anything runs
    if (config.mode or spec.mode) not in MODES:
        raise dg.Failure(f"{spec.name}: run config mode {config.mode!r} is not one of {MODES}", allow_retries=False)
    if partition is None:
        partition = context.partition_key if context.has_partition_key else ""
    store = state_of(llm).store()  # checkpoints, quarantine and ledger live where the llm resource meters calls
    asset_key = context.asset_key.to_user_string()
    progress = Progress(context.log.info, asset_key + (f" [{partition}]" if partition else ""),
                        config.progress_every_s)
    checkpoints = Checkpoints(store)
    with partition_lease(store, progress.what, lease_name(asset_key, partition), context.run_id, context.log.info,
                         finished=finished_runs(context),
                         done_so_far=lambda: checkpoints.count(asset_key, partition)) as waited:
        step = MapStep(context, llm.session(context), getattr(context, "resources", None), partition, inputs or {})
        return _run_batch(spec, context, config, llm, frame, checkpoints, partition, progress, waited, step)


def _run_batch(spec: LLMMapSpec, context, config: LLMMapConfig, llm: LLMResource, frame: pd.DataFrame,
               checkpoints: Checkpoints, partition: str, progress: Progress, waited: float, step: MapStep
               ) -> dg.Output[pd.DataFrame]:
    """Validate rows, resume from checkpoints, send the rest, quarantine failures, shape the step's table."""
    spec = effective_live(spec, checkpoints.store)  # a promoted or rolled-back prompt answers from this run on
    models = model_key(spec, llm, spec.tier)  # checkpoints follow the asset's models, not a run's override
    tier = config.tier or spec.tier
    escalate = spec.escalate_to if spec.escalate_on and spec.escalate_to != tier else None
    report = RunReport(spec, context.asset_key.to_user_string(), partition, context.run_id,
                       Quarantine(checkpoints.store))
    ai = step.session
    ai.ids["partition_key"] = partition or None  # a range run's calls are metered per partition too
    if spec.hooks.prepare is not None:
        progress.phase(f"preparing {len(frame):,} rows")
        frame = spec.hooks.prepare(frame, step)
    cap = input_cap(spec, llm, (tier, escalate))  # the step's, the operator's or the models' limit per row
    progress.phase(f"checking {len(frame):,} rows (at most {cap.tokens:,} tokens a request: {cap.source})")
    good, bad = prepare_rows(frame, key_column=spec.key_column, prompt=spec.prompt, text_columns=spec.text_columns,
                             variables=spec.variables, row_model=spec.row_model,
                             max_input_tokens=cap, keep_columns=spec.keep_columns,
                             tick=lambda n: progress.every(lambda: f"checked {n:,}/{len(frame):,} rows"))
    step.input_hashes = {key: request.input_hash for key, request in good}
    canary = canary_plan(spec, checkpoints.store)  # None unless the prompt's candidate has a share of rows
    if canary is not None:
        good, unrenderable = canary.apply(good)
        bad, report.versions = bad + unrenderable, canary.versions
    if bad:
        progress.phase(f"quarantining {len(bad):,} bad input rows, never sent: {bad_summary(bad)}")
    report.quarantine_bad(bad, tick=lambda n: progress.every(lambda: f"quarantined {n:,}/{len(bad):,} bad rows"))
    scope = Scope(report.asset_key, partition, spec.prompt.version, spec.prompt.hash, models)
    todo = report.resume(good, canary.load(checkpoints, scope) if canary else checkpoints.load(scope))
    progress.phase(f"{len(todo):,} requests to send; {report.resumed:,} rows from checkpoints, "
                   f"{report.deduplicated:,} duplicates merged, {len(bad):,} bad rows quarantined")
    check_budget_left(spec, context, llm, checkpoints.store, todo, ai.budget, mode=config.mode or spec.mode, tier=tier,
                      concurrency=config.concurrency or spec.concurrency, what=progress.what)  # AIWF_BUDGETS
    writer = (canary.writer if canary else CheckpointWriter)(checkpoints, scope, spec.workflow, context.run_id)
    ai.write_with(writer)  # answers (cache, ledger, claim) commit with the checkpoints: a transaction per batch
    engine = BatchEngine(ai, prompt=spec.prompt, response_model=spec.response_model, tier=tier,
                         escalate_to=escalate, validator=spec.escalate_on,
                         concurrency=config.concurrency or spec.concurrency,
                         budget=_budget(spec, config, llm, checkpoints, context.run_id, partition),
                         succeed=lambda *a: report.succeed(writer, *a), fail=report.fail, spend=writer.spend,
                         reask_on=spec.reask_on, max_reasks=spec.max_reasks)
    started = time.monotonic()

    def line() -> str:
        answered = len(report.results) - report.resumed + len(report.failed)
        return batch_line(report.done(), report.rows_in, len(report.bad) + len(report.failed), ai.stats.cost_usd,
                          answered, time.monotonic() - started, report.resumed)

    stopped = None
    try:
        if (config.mode or spec.mode) == "batch":
            answer_batch_mode(spec, config, engine, report, writer, scope, context.run_id, tier, escalate, progress,
                              line, todo)
        else:
            run_async(engine.run(todo, ticker=lambda: progress.ticker(line)))
    except BudgetExceeded as exc:
        stopped = exc
    finally:
        writer.close()  # everything answered is durable, whatever stopped the batch
        ai.write_with(None)  # calls after the batch (the `after` hook's) commit on their own
    if isinstance(stopped, BudgetWindowExceeded) and (config.mode or spec.mode) != "batch":
        held = report.quarantine_unsent(todo, BUDGET_EXCEEDED, str(stopped))  # re-driven by `aiwf quarantine retry`
        progress.phase(f"{held:,} rows not sent quarantined as {BUDGET_EXCEEDED}: {stopped}")
        stopped = None
    progress.phase(("stopped: " if stopped else "done: ") + line())
    metadata = {**_metadata(report, writer, engine, models, ai), "lease_wait_s": round(waited, 1),
                "max_input_tokens": cap.tokens, "max_input_tokens_source": cap.source,
                **(canary.metadata() if canary else {})}
    if stopped is not None:
        raise dg.Failure(f"{spec.name}: {stopped}. {writer.written} answers of this run are checkpointed; "
                         "raise the budget or wait, then rerun to resume", metadata=metadata, allow_retries=False)
    report.check_failure_rate(metadata)
    report.resolve_redriven()
    answered = report.frame(good)
    step.quarantined, step.asked = report.quarantined(), report.asked
    table = spec.hooks.shape(answered, step)
    if spec.hooks.after is not None:
        metadata.update(spec.hooks.after(answered, table, step) or {})
        metadata.update(ai.metadata())  # calls the side work made (memory embeddings) count too
    return dg.Output(table, metadata=metadata)


def _metadata(report: RunReport, writer, engine, model_key: str, ai) -> dict:
    """Row counts, this run's spend (run_*, llm_*) and the partition's data cost (data_*, from checkpoints)."""
    rows = report.metadata(writer, engine, model_key)
    metadata = {**rows, **ai.metadata(), "limiter_wait_s": round(ai.limiter.waited_s, 3)}
    metadata.update(data_cost_usd=rows["data_cost_usd"], data_tokens=rows["data_tokens"],
                    offline=rows["offline"] or ai.stats.offline)
    return metadata


def _budget(spec: LLMMapSpec, config: LLMMapConfig, llm: LLMResource, checkpoints: Checkpoints,
            run_id: str, partition: str = "") -> Budget:
    """Caps for this partition of this run (a range run gives each partition its own); what it and the workflow
    already spent is read once, then tracked here."""
    caps = [c for c in (config.budget_usd or spec.budget_usd, llm.run_budget_usd) if c is not None]
    budget = Budget(run_usd=min(caps) if caps else None, run_tokens=config.budget_tokens or spec.budget_tokens,
                    workflow_usd=spec.workflow_budget_usd, workflow_tokens=spec.workflow_budget_tokens,
                    downgrade=spec.downgrade)  # near a budget across runs: strong-tier rows asked on cheap
    if budget.run_usd is not None or budget.run_tokens is not None:
        budget.spent_run = list(CallLedger(checkpoints.store).run_cost(run_id, partition or None))
    if budget.workflow_usd is not None or budget.workflow_tokens is not None:
        budget.spent_workflow = list(checkpoints.workflow_spent(spec.workflow))
    return budget
