"""Shared run policy, applied once where jobs are defined: retries with backoff and jitter, provider pools."""

import dagster as dg

# Transient step failures (a worker restart, a provider outage past the LLM resource's own retries) are
# retried by Dagster; model calls already paid for are served from the cache and checkpoints on retry.
STEP_RETRY = dg.RetryPolicy(
    max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def workflow_job(name: str, selection, description: str, **kwargs):
    """An asset job with aiwf's shared retry policy and a provider tag for queue limits."""
    tags = {"aiwf/provider": "openai", **kwargs.pop("tags", {})}
    return dg.define_asset_job(
        name, selection=selection, description=description, op_retry_policy=STEP_RETRY, tags=tags, **kwargs
    )
