"""The one Definitions: each workflow's assets, checks, jobs, schedules and sensors, resources bound by key."""

import dagster as dg

from pipelines.catalog import workflow as catalog
from pipelines.content_ops import workflow as content_ops
from pipelines.executor import run_executor
from pipelines.memory_maintenance import workflow as memory_maintenance
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns_triage
from sensors.audit import finished_runs_audit_sensor
from sensors.run_watchdog import run_watchdog_sensor

# Each workflow module exposes lists named assets, asset_checks, jobs, schedules and sensors.
WORKFLOWS = [content_ops, catalog, returns_triage, memory_maintenance]


def _gather(attr: str) -> list:
    return [item for module in WORKFLOWS for item in getattr(module, attr, [])]


defs = dg.Definitions(
    assets=_gather("assets"),
    asset_checks=_gather("asset_checks"),
    jobs=_gather("jobs"),
    schedules=_gather("schedules"),
    sensors=[*_gather("sensors"), run_watchdog_sensor, finished_runs_audit_sensor],  # these two serve every workflow
    resources=build_resources(),
    executor=run_executor(),  # multiprocess, or Celery workers with AIWF_EXECUTOR=celery
)
