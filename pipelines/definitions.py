"""The one Definitions: each workflow's assets, checks, jobs, schedules and sensors, resources bound by key."""

import dagster as dg

from pipelines import catalog, content_ops, governance, memory_maintenance, returns_triage
from pipelines.executor import run_executor
from pipelines.resources import build_resources
from sensors.run_watchdog import run_watchdog_sensor

# Each workflow module exposes lists named assets, asset_checks, jobs, schedules and sensors.
WORKFLOWS = [content_ops, catalog, governance, returns_triage, memory_maintenance]


def _gather(attr: str) -> list:
    return [item for module in WORKFLOWS for item in getattr(module, attr, [])]


defs = dg.Definitions(
    assets=_gather("assets"),
    asset_checks=_gather("asset_checks"),
    jobs=_gather("jobs"),
    schedules=_gather("schedules"),
    sensors=[*_gather("sensors"), run_watchdog_sensor],  # the watchdog serves every workflow
    resources=build_resources(),
    executor=run_executor(),  # multiprocess, or Celery workers with AIWF_EXECUTOR=celery
)
