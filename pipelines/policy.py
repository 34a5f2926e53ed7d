"""Shared run policy, applied once where the Definitions are built: retries with backoff and jitter, the
provider pool, no retry of a deterministic error, and checks partitioned like the asset they check.

The policy lives on each asset's and asset check's op, where Dagster reads it for every run that executes
the step: a named job, a backfill or an ad-hoc selection from the UI (those run as `__ASSET_JOB`, which
carries none of a named job's tags or `op_retry_policy`). Steps that take the `llm` resource claim a slot in
the LLM pool, whose limit (dagster.yaml, deploy/dagster.yaml) is the provider limit for every run.
"""

import functools
import inspect
import sys
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
# Errors that a retry would only repeat: a missing file, a schema or validation error, a bug in the step.
DETERMINISTIC = (FileNotFoundError, NotADirectoryError, IsADirectoryError, KeyError, TypeError, AttributeError,
                 UnicodeDecodeError)
POLICY_MARK = "__aiwf_step_policy__"  # set on a compute function already wrapped by deterministic_errors_fail


def step_policy(op: dg.OpDefinition) -> tuple[dg.RetryPolicy, str | None]:
    """(retry policy, pool) for a step: its own where it declares one, else aiwf's."""
    pool = op.pool or (LLM_POOL if MODEL_RESOURCE in op.required_resource_keys else None)
    return op.retry_policy or STEP_RETRY, pool


def is_deterministic(exc: BaseException) -> bool:
    """Whether retrying the step would fail the same way (pydantic and pandas schema errors included)."""
    if isinstance(exc, DETERMINISTIC):
        return True
    kinds = [getattr(sys.modules.get(m), n, None) for m, n in (("pydantic", "ValidationError"),
                                                                ("pandas.errors", "ParserError"),
                                                                ("pandas.errors", "EmptyDataError"))]
    return any(kind is not None and isinstance(exc, kind) for kind in kinds)


def _fail_without_retry(step: str, exc: Exception, args: tuple, kwargs: dict) -> None:
    """Raise a deterministic `exc` as a Failure the retry policy leaves alone, naming the step, the partition
    asked for and the error; return for anything else (the caller re-raises it)."""
    if isinstance(exc, dg.Failure) or not is_deterministic(exc):
        return
    context = next((a for a in (*args, *kwargs.values()) if hasattr(a, "has_partition_key")), None)
    partition = ""
    if context is not None and context.has_partition_key:
        keys = context.partition_keys if context.has_partition_key_range else [context.partition_key]
        partition = f" (partition {keys[0]}{f'..{keys[-1]}' if len(keys) > 1 else ''})"
    raise dg.Failure(f"{step}{partition}: {type(exc).__name__}: {exc} — not retried: a retry would fail the "
                     "same way; fix the input or the code, then rerun", allow_retries=False) from exc


def deterministic_errors_fail(fn, step: str):
    """`fn` (an op's decorated function) raising a deterministic error as dg.Failure(allow_retries=False)."""
    if getattr(fn, POLICY_MARK, False) or inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
        return fn  # already wrapped; or async, which none of aiwf's steps is: left as Dagster runs it
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                return (yield from fn(*args, **kwargs))
            except Exception as exc:
                _fail_without_retry(step, exc, args, kwargs)
                raise
    else:
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                _fail_without_retry(step, exc, args, kwargs)
                raise
    setattr(wrapped, POLICY_MARK, True)
    return wrapped


def _compute_fn(op: dg.OpDefinition):
    """The op's compute function with deterministic errors not retried (Dagster keeps the decorated function in
    a NamedTuple with `decorated_fn`; anything else is left as it is)."""
    fn = op.compute_fn
    decorated = getattr(fn, "decorated_fn", None)
    if decorated is None or not hasattr(fn, "_replace"):
        return fn
    return fn._replace(decorated_fn=deterministic_errors_fail(decorated, op.name))


def _with_op_policy(op: dg.OpDefinition, retry_policy: dg.RetryPolicy, pool: str | None) -> dg.OpDefinition:
    """The same op with `retry_policy` and `pool` (what OpDefinition.with_replaced_properties copies, plus them)."""
    return dg.OpDefinition(
        compute_fn=_compute_fn(op), name=op.name, ins=op.ins, outs=op.outs, description=op.description,
        config_schema=op.config_schema, required_resource_keys=op.required_resource_keys, tags=op.tags,
        code_version=op.version, retry_policy=retry_policy, pool=pool)


def with_step_policy(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """An asset (or asset check) definition whose op carries the step policy; unchanged when it already does."""
    op = assets_def.node_def
    if not isinstance(op, dg.OpDefinition):  # a graph-backed asset: each of its ops would need the policy
        raise TypeError(f"{op.name} is graph-backed: give its ops retry_policy/pool themselves, or teach "
                        "pipelines/policy.py to (loading fails here rather than run it without the policy)")
    retry_policy, pool = step_policy(op)
    decorated = getattr(op.compute_fn, "decorated_fn", None)
    if (retry_policy, pool) == (op.retry_policy, op.pool) and getattr(decorated, POLICY_MARK, True):
        return assets_def
    return with_node_def(assets_def, _with_op_policy(op, retry_policy, pool))


def partitioned_like_its_asset(definition: dg.AssetsDefinition,
                               partitions: dict[dg.AssetKey, dg.PartitionsDefinition | None]):
    """The definition with each of its checks given its asset's partitions where it declares none (else a run of
    the check asks for a partition nobody asked for); a check partitioned differently is refused at load, naming
    it and the fix. Works for an @asset_check and for an asset's own check_specs alike."""
    specs = definition.get_attributes_dict()["check_specs_by_output_name"]
    fixed = {}
    for output, spec in specs.items():
        wanted = partitions.get(spec.asset_key)
        if spec.partitions_def == wanted or spec.asset_key not in partitions:
            fixed[output] = spec
        elif spec.partitions_def is None:
            fixed[output] = spec._replace(partitions_def=wanted)
        else:
            raise dg.DagsterInvalidDefinitionError(
                f"asset check {spec.key.to_user_string()} is partitioned unlike its asset "
                f"{spec.asset_key.to_user_string()}: give the check the asset's partitions_def (or none)")
    if fixed == specs:
        return definition
    attributes = {**definition.get_attributes_dict(), "check_specs_by_output_name": fixed}
    return type(definition).dagster_internal_init(**attributes)


def apply_step_policy(definitions: Iterable[dg.AssetsDefinition],
                      assets: Iterable[dg.AssetsDefinition] = ()) -> list[dg.AssetsDefinition]:
    """Every asset and asset check with the step policy, for Definitions(assets=..., asset_checks=...); each
    check (an asset's own check_specs, or an @asset_check on one of `assets`) gets its asset's partitions."""
    definitions = list(definitions)
    partitions = {key: a.partitions_def for a in (*assets, *definitions)
                  if not isinstance(a, dg.AssetChecksDefinition) for key in a.keys}
    return [with_step_policy(partitioned_like_its_asset(d, partitions)) for d in definitions]


def workflow_job(name: str, selection, description: str, **kwargs):
    """An asset job with aiwf's shared retry policy and a provider tag for queue limits. Its assets carry
    the same policy themselves (apply_step_policy), so a backfill of them retries and queues the same way."""
    tags = {"aiwf/provider": "openai", **kwargs.pop("tags", {})}
    return dg.define_asset_job(
        name, selection=selection, description=description, op_retry_policy=STEP_RETRY, tags=tags, **kwargs
    )
