"""Shared run policy, applied once where the Definitions are built: retries with backoff and jitter, the
provider pool.

The policy lives on each asset's and asset check's op, where Dagster reads it for every run that executes
the step: a named job, a backfill or an ad-hoc selection from the UI (those run as `__ASSET_JOB`, which
carries none of a named job's tags or `op_retry_policy`). Steps that take the `llm` resource claim a slot in
the LLM pool, whose limit (dagster.yaml, deploy/dagster.yaml) is the provider limit for every run.
"""

from collections.abc import Iterable

import dagster as dg

from assets.pools import LLM_POOL
from sensors.dagster_internals import with_node_def

# Transient step failures (a worker restart, a provider outage past the LLM resource's own retries) are
# retried by Dagster; model calls already paid for are served from the cache and checkpoints on retry.
STEP_RETRY = dg.RetryPolicy(
    max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
MODEL_RESOURCE = "llm"  # a step that takes this resource calls the model


def step_policy(op: dg.OpDefinition) -> tuple[dg.RetryPolicy, str | None]:
    """(retry policy, pool) for a step: its own where it declares one, else aiwf's."""
    pool = op.pool or (LLM_POOL if MODEL_RESOURCE in op.required_resource_keys else None)
    return op.retry_policy or STEP_RETRY, pool


def _with_op_policy(op: dg.OpDefinition, retry_policy: dg.RetryPolicy, pool: str | None) -> dg.OpDefinition:
    """The same op with `retry_policy` and `pool` (what OpDefinition.with_replaced_properties copies, plus them)."""
    return dg.OpDefinition(
        compute_fn=op.compute_fn, name=op.name, ins=op.ins, outs=op.outs, description=op.description,
        config_schema=op.config_schema, required_resource_keys=op.required_resource_keys, tags=op.tags,
        code_version=op.version, retry_policy=retry_policy, pool=pool)


def with_step_policy(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """An asset (or asset check) definition whose op carries the step policy; unchanged when it already does."""
    op = assets_def.node_def
    if not isinstance(op, dg.OpDefinition):  # a graph-backed asset: each of its ops would need the policy
        raise TypeError(f"{op.name} is graph-backed: give its ops retry_policy/pool themselves, or teach "
                        "pipelines/policy.py to (loading fails here rather than run it without the policy)")
    retry_policy, pool = step_policy(op)
    if (retry_policy, pool) == (op.retry_policy, op.pool):
        return assets_def
    return with_node_def(assets_def, _with_op_policy(op, retry_policy, pool))


def apply_step_policy(definitions: Iterable[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset and asset check with the step policy, for Definitions(assets=..., asset_checks=...)."""
    return [with_step_policy(d) for d in definitions]


def workflow_job(name: str, selection, description: str, **kwargs):
    """An asset job with aiwf's shared retry policy and a provider tag for queue limits. Its assets carry
    the same policy themselves (apply_step_policy), so a backfill of them retries and queues the same way."""
    tags = {"aiwf/provider": "openai", **kwargs.pop("tags", {})}
    return dg.define_asset_job(
        name, selection=selection, description=description, op_retry_policy=STEP_RETRY, tags=tags, **kwargs
    )
