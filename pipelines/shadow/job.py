"""`shadow_run_job`: one partition's recorded inputs through a candidate prompt version (or model), side effects off.

The recorded inputs are the upstream table the Parquet IO manager wrote for that partition; the candidate's answers
go through assets/llm_map's own engine (same concurrency, validator, budgets, ledger) and land in a shadow table
under $AIWF_HOME/shadow/<asset>/<partition>/, never over production, with no checkpoints and no quarantine rows
(the production asset's). Nothing downstream runs: the op is bound to the model and the IO manager's paths only,
with no connector or approvals resource, so it cannot send, publish or queue anything; `side_effects_sent` and
`approvals_created` say so (the latter counted from the approvals table by this run's id). The asset's own
checks are run on the shadow output. Runs are tagged `aiwf/shadow` so they are told apart in the UI.
"""

import json
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from assets.llm_map.canary import effective_live
from assets.llm_map.engine import BatchEngine, Budget, run_async
from assets.llm_map.factory import SPECS, spec_of
from assets.llm_map.rows import prepare_rows
from assets.pools import LLM_POOL
from pipelines.shadow.compare import agreement, write_report
from resources.llm import LLMResource
from resources.state.checkpoints import Checkpoints, Scope
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
    escalate = spec.escalate_to if spec.escalate_on and spec.escalate_to != spec.tier else None
    model_key = llm.model_for(spec.tier) + (f">{llm.model_for(escalate)}" if escalate else "")
    done = Checkpoints(store).load(Scope(asset, partition, spec.prompt.version, spec.prompt.hash, model_key))
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


def run_shadow(context, config: ShadowConfig, llm: LLMResource, io_manager: ParquetIOManager,
               sources: dict[str, dg.AssetKey], checks: dict[str, list]) -> dict:
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
    inputs = io_manager.path_for(sources[config.asset], config.partition)
    current = io_manager.path_for(dg.AssetKey.from_user_string(config.asset), config.partition)
    for path, what in ((inputs, sources[config.asset].to_user_string()), (current, config.asset)):
        if not path.exists():
            raise dg.Failure(f"{path} is missing: a shadow run re-runs recorded inputs, so {what} must have been "
                             f"materialized for {config.partition} first", allow_retries=False)
    frame, production = pd.read_parquet(inputs), pd.read_parquet(current)

    good, bad = prepare_rows(frame, key_column=spec.key_column, prompt=candidate, text_columns=spec.text_columns,
                             variables=spec.variables, row_model=spec.row_model,
                             max_input_tokens=spec.max_input_tokens, keep_columns=spec.keep_columns)
    todo: dict[str, object] = {}
    for key, request in good:  # identical requests are sent once, as in production
        if request.input_hash in todo:
            todo[request.input_hash].keys.append(key)
        else:
            todo[request.input_hash] = request
    answers, failed = {}, {b.row_key: f"{b.error_class}: {b.reason}" for b in bad}
    cost = [0.0]

    def succeed(request, result, tier, escalated):
        output = result.parsed.model_dump(mode="json") if spec.response_model else {"text": result.text}
        for key in request.keys:
            kept = {c: request.row.get(c) for c in spec.keep_columns}
            answers[key] = {spec.key_column: key, **kept, **output, "llm_model": result.model, "llm_tier": tier,
                            "llm_escalated": escalated, "llm_offline": result.offline,
                            "prompt_version": candidate.version}  # kept where the asset's table has the column
        cost[0] += result.answer_cost_usd  # what the answer cost when paid for, cached or not: like the baseline

    def fail(request, error_class, reason, attempts):
        for key in request.keys:
            failed[key] = f"{error_class}: {reason}"

    session = _CandidateSession(llm.session(context), config.model)
    escalate = None if config.model else spec.escalate_to
    engine = BatchEngine(session, prompt=candidate, response_model=spec.response_model, tier=spec.tier,
                         escalate_to=escalate, validator=spec.escalate_on,
                         concurrency=config.concurrency or spec.concurrency,
                         budget=Budget(run_usd=spec.budget_usd, run_tokens=spec.budget_tokens),
                         succeed=succeed, fail=fail, spend=lambda usd, tokens: None)  # kept answers only, as baseline
    run_async(engine.run(list(todo.values())))

    shadow = pd.DataFrame([answers[k] for k, _ in good if k in answers], columns=spec.output_columns)
    home = state_of(llm).home_dir()
    paths = shadow_paths(home, config.asset, config.partition, candidate.ref, config.model)
    paths["table"].parent.mkdir(parents=True, exist_ok=True)
    shadow.to_parquet(paths["table"], index=False)
    compared = agreement(production, shadow, spec.key_column, fields)
    outcomes, not_run = _run_checks(checks.get(config.asset, []), shadow)
    summary = {
        "asset": config.asset, "partition": config.partition, "production": production_spec.prompt.ref,
        "candidate": candidate.ref + (f" on {config.model}" if config.model else ""),
        "rows": len(frame), "rows_answered": len(shadow), "rows_failed": len(failed),
        "rows_compared": compared["rows_compared"], "agreement": compared["agreement"],
        "per_field": compared["per_field"], "check_failures": sum(not ok for ok in outcomes.values()),
        "checks": outcomes, "checks_not_run": not_run, "cost_usd": round(cost[0], 6),
        "baseline_cost_usd": _baseline_cost(production_spec, llm, store, config.asset, config.partition,
                                            [str(k) for k in production[spec.key_column]]),
        "p95_latency_ms": round(float(np.percentile(session.latencies_ms, 95)), 1) if session.latencies_ms else 0.0,
        "side_effects_sent": 0,  # no connector is bound to this job: nothing can be sent or published
        "approvals_created": _approvals_created(store, context.run_id),
        "shadow_table": str(paths["table"]), "diff_report": str(paths["report"]), "run_id": context.run_id,
        "failed": dict(list(failed.items())[:50]),
    }
    write_report(paths["report"], summary, production, shadow, spec.key_column, fields, failed)
    paths["summary"].write_text(json.dumps(summary, indent=1))
    return summary


def shadow_job(assets: list, checks: list) -> dg.JobDefinition:
    """The job, over the batch assets and checks Definitions holds (passed in: this module is imported by it)."""
    sources = {key.to_user_string(): ad.keys_by_input_name["rows"] for ad in assets
               if isinstance(ad, dg.AssetsDefinition) and "rows" in ad.keys_by_input_name
               for key in ad.keys if spec_of(key.to_user_string()) is not None}
    checks_by_asset: dict[str, list] = {}
    for check in checks:
        for check_key in getattr(check, "check_keys", []):
            checks_by_asset.setdefault(check_key.asset_key.to_user_string(), []).append(check)

    @dg.op(name="shadow_run", pool=LLM_POOL, out=dg.Out(dg.Nothing), tags={SHADOW_TAG: "1"})
    def shadow_run(context: dg.OpExecutionContext, config: ShadowConfig, llm: LLMResource,
                   io_manager: dg.ResourceParam[dg.IOManager]):
        """Re-run one partition's recorded inputs through the candidate; figures as metadata, report on disk."""
        summary = run_shadow(context, config, llm, io_manager, sources, checks_by_asset)
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
