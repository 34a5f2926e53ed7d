"""`shadow_run_job`: one partition's recorded inputs through a candidate prompt version (or model), side effects off.

The recorded inputs are the upstream tables the Parquet IO manager wrote for that partition; the candidate's answers
go through the row engine's dry run (assets/llm_map/dry_run.py: the asset's own `prepare` and `output` hooks, row
checks, dedupe, concurrency, validator, budgets, ledger) and land in a shadow table under
$AIWF_HOME/shadow/<asset>/<partition>/, never over production, with no checkpoints, no quarantine rows and no
`after` hook (a drafts shadow remembers nothing). Nothing downstream runs: the op is bound to the model, the IO
manager's paths and the read-only resources a step's `prepare` hook looks things up in (memory), with no connector
or approvals resource, so it cannot send, publish or queue anything; `side_effects_sent` and `approvals_created`
say so (the latter counted from the approvals table by this run's id). The asset's own checks are run on the
shadow output. Runs are tagged `aiwf/shadow` so they are told apart in the UI.
"""

import json
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from assets.llm_map.canary import effective_live
from assets.llm_map.dry_run import answer_rows, checkpointed
from assets.llm_map.factory import SPECS, spec_of
from assets.llm_map.step import MapStep
from assets.pools import LLM_POOL
from pipelines.shadow.compare import agreement, write_report
from resources.llm import LLMResource
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.resource import state_of

SHADOW_TAG = "aiwf/shadow"
JOB_NAME = "shadow_run_job"


class ShadowConfig(dg.Config):
    """What to shadow: a batch asset's partition, the candidate prompt version, optionally another model."""

    asset: str
    partition: str
    prompt_version: str
    model: str | None = None
    concurrency: int | None = None


def shadow_paths(home_dir: Path, asset: str, partition: str, ref: str, model: str | None) -> dict[str, Path]:
    """Where one shadow run's table, report and summary go (a rerun of the same candidate replaces them)."""
    folder = home_dir / "shadow" / asset / partition
    stem = ref.replace("@", "@v") + (f"--{model}" if model else "")
    return {"table": folder / f"{stem}.parquet", "report": folder / f"{stem}.html", "summary": folder / f"{stem}.json"}


class _CandidateSession:
    """The LLM session as the engine sees it, timing each row's answer and forcing `model` when one is given."""

    def __init__(self, session, model: str | None):
        self._session, self._model, self.latencies_ms = session, model, []

    def __getattr__(self, name):
        return getattr(self._session, name)

    async def acomplete(self, *args, **kwargs):
        if self._model:
            kwargs["model"] = self._model
        started = time.perf_counter()
        try:
            return await self._session.acomplete(*args, **kwargs)
        finally:
            self.latencies_ms.append((time.perf_counter() - started) * 1000)


def _candidate(spec, version: str):
    """(the candidate Prompt, the fields compared): from the prompt's file (pipelines/<workflow>/prompts/)."""
    from pipelines.prompt_catalog import prompt_file

    pf = getattr(spec, "prompt_file", None) or prompt_file(spec.prompt.name)
    fields = list(pf.compare or [])
    if not fields:  # no `compare:` in the file: every answer field except free text and scores
        fields = [f for f in (spec.response_model.model_fields if spec.response_model else ["text"])
                  if f not in ("rationale", "confidence")]
    return pf.version(version), fields


def _baseline_cost(spec, llm: LLMResource, store, asset: str, partition: str, keys: list[str]) -> float | None:
    """What production's answers for these rows cost when paid for (from its checkpoints; None if it has none).
    `spec` carries production's prompt: the Store's live version (effective_live), which checkpoints are keyed by."""
    done = checkpointed(spec, llm, store, asset, partition)
    if not done:
        return None
    return round(sum(float(done[k]["cost_usd"] or 0) for k in keys if k in done), 6)


def _run_checks(checks: list, frame: pd.DataFrame) -> tuple[dict[str, bool], dict[str, str]]:
    """The asset's checks evaluated on the shadow table by direct invocation (nothing is recorded on the asset):
    (check -> passed, check -> why it was not run). A check that needs more than the table (resources, a run's
    partition, production's history, like the canary check) is not run rather than counted as failed."""
    outcomes, not_run = {}, {}
    for check in checks:
        name = next(iter(check.check_keys)).name
        try:
            result = check(dg.build_op_context(), frame)
        except Exception as exc:
            not_run[name] = f"needs more than the shadow table ({type(exc).__name__}: {str(exc)[:200]})"
            continue
        results = [result] if isinstance(result, dg.AssetCheckResult) else list(result)
        outcomes[name] = all(r.passed for r in results)
    return outcomes, not_run


def _approvals_created(store, run_id: str) -> int:
    from resources.approvals.store import ApprovalStore

    return ApprovalStore(store).created_by_run(run_id)


def _recorded(io_manager, config: ShadowConfig, sources: dict[str, dg.AssetKey]) -> dict[str, pd.DataFrame]:
    """The partition's recorded tables: each input of the asset by input name, and production's own as `current`."""
    paths = {name: (io_manager.path_for(key, config.partition), key.to_user_string()) for name, key in sources.items()}
    paths["current"] = (io_manager.path_for(dg.AssetKey.from_user_string(config.asset), config.partition), config.asset)
    for path, what in paths.values():
        if not path.exists():
            raise dg.Failure(f"{path} is missing: a shadow run re-runs recorded inputs, so {what} must have been "
                             f"materialized for {config.partition} first", allow_retries=False)
    return {name: pd.read_parquet(path) for name, (path, _) in paths.items()}


def run_shadow(context, config: ShadowConfig, llm: LLMResource, io_manager: ParquetIOManager,
               sources: dict[str, dict[str, dg.AssetKey]], checks: dict[str, list]) -> dict:
    """Answer the partition's recorded rows with the candidate, write the shadow table and report, return figures."""
    if not hasattr(io_manager, "path_for"):
        raise dg.Failure(f"shadow runs read tables through ParquetIOManager.path_for; io_manager is "
                         f"{type(io_manager).__name__}", allow_retries=False)
    spec = spec_of(config.asset)
    if spec is None or config.asset not in sources:
        raise dg.Failure(f"{config.asset!r} is not a batch (llm_map) asset; shadow runs work on: "
                         f"{', '.join(sorted(set(SPECS) & set(sources)))}", allow_retries=False)
    candidate, fields = _candidate(spec, config.prompt_version)
    store = state_of(llm).store()
    production_spec = effective_live(spec, store)  # a promoted or rolled-back version is production's, not the file's
    tables = _recorded(io_manager, config, sources[config.asset])
    frame, production = tables.pop("rows"), tables.pop("current")

    session = _CandidateSession(llm.session(context), config.model)
    step = MapStep(context, llm.session(context), context.resources, config.partition, tables, shadow=True)
    answered = answer_rows(spec, session, frame, step, prompt=candidate, concurrency=config.concurrency,
                           escalate=not config.model)
    shadow = answered.table
    home = state_of(llm).home_dir()
    paths = shadow_paths(home, config.asset, config.partition, candidate.ref, config.model)
    paths["table"].parent.mkdir(parents=True, exist_ok=True)
    shadow.to_parquet(paths["table"], index=False)
    compared = agreement(production, shadow, spec.key_column, fields)
    outcomes, not_run = _run_checks(checks.get(config.asset, []), shadow)
    summary = {
        "asset": config.asset, "partition": config.partition, "production": production_spec.prompt.ref,
        "candidate": candidate.ref + (f" on {config.model}" if config.model else ""),
        "rows": len(frame), "rows_answered": len(shadow), "rows_failed": len(answered.failed),
        "rows_compared": compared["rows_compared"], "agreement": compared["agreement"],
        "per_field": compared["per_field"], "check_failures": sum(not ok for ok in outcomes.values()),
        "checks": outcomes, "checks_not_run": not_run, "cost_usd": round(answered.cost_usd, 6),
        "baseline_cost_usd": _baseline_cost(production_spec, llm, store, config.asset, config.partition,
                                            [str(k) for k in production[spec.key_column]]),
        "p95_latency_ms": round(float(np.percentile(session.latencies_ms, 95)), 1) if session.latencies_ms else 0.0,
        "side_effects_sent": 0,  # no connector is bound to this job: nothing can be sent or published
        "approvals_created": _approvals_created(store, context.run_id),
        "shadow_table": str(paths["table"]), "diff_report": str(paths["report"]), "run_id": context.run_id,
        "failed": dict(list(answered.failed.items())[:50]),
    }
    write_report(paths["report"], summary, production, shadow, spec.key_column, fields, answered.failed)
    paths["summary"].write_text(json.dumps(summary, indent=1))
    return summary


def _inputs(asset: dg.AssetsDefinition, spec) -> dict[str, dg.AssetKey]:
    """The tables a batch asset reads (`rows` and its `inputs=`), by input name; not its deps (nothing recorded)."""
    return {n: k for n, k in asset.keys_by_input_name.items() if n == "rows" or n in spec.hooks.inputs}


def _check_target(config: ShadowConfig, partitions: dict) -> None:
    """A run launched from the UI or GraphQL gets the same check as `aiwf shadow`: the asset is a batch asset and the
    partition one it has (the key becomes a folder name: `../../x` must never reach it)."""
    if config.asset not in partitions:
        raise dg.Failure(f"{config.asset!r} is not a batch (llm_map) asset: shadow runs take one of "
                         f"{sorted(partitions)}", allow_retries=False)
    part = partitions[config.asset]
    if part is None or not part.has_partition_key(config.partition):
        raise dg.Failure(f"{config.asset} has no partition {config.partition!r}", allow_retries=False)


def shadow_job(assets: list, checks: list) -> dg.JobDefinition:
    """The job, over the batch assets and checks Definitions holds (passed in: this module is imported by it)."""
    sources = {key.to_user_string(): _inputs(ad, spec_of(key.to_user_string())) for ad in assets
               if isinstance(ad, dg.AssetsDefinition) and "rows" in ad.keys_by_input_name
               for key in ad.keys if spec_of(key.to_user_string()) is not None}
    # what the batch steps' `prepare` hooks read (memory): bound, read-only here, as in the production step
    partitions = {key.to_user_string(): ad.partitions_def for ad in assets if isinstance(ad, dg.AssetsDefinition)
                  for key in ad.keys if key.to_user_string() in sources}
    lookups = {r for name in sources for r in spec_of(name).hooks.resources}
    checks_by_asset: dict[str, list] = {}
    for check in checks:
        for check_key in getattr(check, "check_keys", []):
            checks_by_asset.setdefault(check_key.asset_key.to_user_string(), []).append(check)

    @dg.op(name="shadow_run", pool=LLM_POOL, out=dg.Out(dg.Nothing), tags={SHADOW_TAG: "1"},
           required_resource_keys={"llm", "io_manager", *lookups})
    def shadow_run(context: dg.OpExecutionContext, config: ShadowConfig):
        """Re-run one partition's recorded inputs through the candidate; figures as metadata, report on disk."""
        _check_target(config, partitions)
        summary = run_shadow(context, config, context.resources.llm, context.resources.io_manager, sources,
                             checks_by_asset)
        context.log.info(f"shadow {summary['candidate']} on {config.asset} [{config.partition}]: agreement "
                         f"{summary['agreement']}, {summary['check_failures']} check(s) failed")
        flat = {k: v for k, v in summary.items() if not isinstance(v, (dict, list)) and v is not None}
        yield dg.Output(None, metadata={**flat, "per_field": dg.MetadataValue.json(summary["per_field"]),
                                        "checks": dg.MetadataValue.json(summary["checks"]),
                                        "diff_report": dg.MetadataValue.path(summary["diff_report"])})

    @dg.job(name=JOB_NAME, tags={SHADOW_TAG: "1"},
            description="Shadow run: a partition's recorded inputs through a candidate prompt version or model, "
                        "side effects off, written to a shadow table and compared with production.")
    def shadow_run_job():
        shadow_run()

    return shadow_run_job
