"""The one Definitions: each workflow's assets, checks, jobs, schedules and sensors, resources bound by key,
and the shared step policy (retries, the LLM pool) on every asset and check, whichever run executes it."""

import dagster as dg

from pipelines.discovery import workflow_modules
from pipelines.executor import run_executor
from pipelines.policy import apply_step_policy
from pipelines.resource_bindings import build_resources
from pipelines.shadow.job import shadow_job
from sensors.audit import finished_runs_audit_sensor
from sensors.batch_jobs import batch_jobs_sensor
from sensors.prompt_canary import prompt_canary_sensor
from sensors.run_cost import run_cost_sensor
from sensors.run_traces import run_traces_sensor
from sensors.run_watchdog import run_watchdog_sensor

# Every pipelines/<name>/workflow.py and pipelines/<name>/defs.yaml (Dagster Components such as LLMStep, built by
# Dagster's component loader): a team's new folder is registered by being there (pipelines/discovery.py); each
# exposes lists named assets, asset_checks, jobs, schedules and sensors, and gets the shared policy below.
WORKFLOWS = workflow_modules()


def build_definitions(workflows: list) -> dg.Definitions:
    """The Definitions of these workflow modules, with the shared policy and the sensors for every workflow."""
    def _gather(attr: str) -> list:
        return [item for module in workflows for item in getattr(module, attr, [])]

    return dg.Definitions(
        assets=apply_step_policy(_gather("assets")),  # on the ops: backfills and ad-hoc runs too, not just named jobs
        asset_checks=apply_step_policy(_gather("asset_checks"), assets=_gather("assets")),  # partitioned like them
        jobs=[*_gather("jobs"), shadow_job(_gather("assets"), _gather("asset_checks"))],  # `aiwf shadow` runs it
        schedules=_gather("schedules"),
        sensors=[*_gather("sensors"), run_watchdog_sensor, finished_runs_audit_sensor, run_cost_sensor,
                 run_traces_sensor, prompt_canary_sensor, batch_jobs_sensor],  # for every workflow
        resources=build_resources(),
        executor=run_executor(),  # multiprocess, or Celery workers with AIWF_EXECUTOR=celery
    )


defs = build_definitions(WORKFLOWS)
