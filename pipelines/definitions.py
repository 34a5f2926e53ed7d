"""The one Definitions: each workflow's assets, checks, jobs, schedules and sensors, resources bound by key,
and the shared step policy (retries, the LLM pool) on every asset and check, whichever run executes it."""

import dagster as dg

from pipelines.catalog import workflow as catalog
from pipelines.content_ops import workflow as content_ops
from pipelines.executor import run_executor
from pipelines.memory_maintenance import workflow as memory_maintenance
from pipelines.order_recovery import workflow as order_recovery
from pipelines.policy import apply_step_policy
from pipelines.prompt_catalog import verify_prompt_files
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns_triage
from pipelines.shadow.job import shadow_job
from pipelines.workflow_health import workflow as workflow_health
from sensors.audit import finished_runs_audit_sensor
from sensors.batch_jobs import batch_jobs_sensor
from sensors.prompt_canary import prompt_canary_sensor
from sensors.run_cost import run_cost_sensor
from sensors.run_traces import run_traces_sensor
from sensors.run_watchdog import run_watchdog_sensor

# Each workflow module exposes lists named assets, asset_checks, jobs, schedules and sensors.
WORKFLOWS = [content_ops, catalog, returns_triage, memory_maintenance, order_recovery, workflow_health]
verify_prompt_files()  # prompt text edited without a version bump is refused here, naming the prompt


def _gather(attr: str) -> list:
    return [item for module in WORKFLOWS for item in getattr(module, attr, [])]


defs = dg.Definitions(
    assets=apply_step_policy(_gather("assets")),  # on the ops: backfills and ad-hoc runs too, not just named jobs
    asset_checks=apply_step_policy(_gather("asset_checks")),
    jobs=[*_gather("jobs"), shadow_job(_gather("assets"), _gather("asset_checks"))],  # `aiwf shadow` runs it
    schedules=_gather("schedules"),
    sensors=[*_gather("sensors"), run_watchdog_sensor, finished_runs_audit_sensor, run_cost_sensor,
             run_traces_sensor, prompt_canary_sensor, batch_jobs_sensor],  # for every workflow
    resources=build_resources(),
    executor=run_executor(),  # multiprocess, or Celery workers with AIWF_EXECUTOR=celery
)
