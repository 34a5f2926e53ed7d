"""Workflow health: each workflow's cost, latency, quality and overrides per day, with drift and spike warnings.

The figures come from the reporting library `aiwf report` also uses (pipelines/reporting/); this module is the
workflow: the daily asset, its checks (checks.py), job and schedule.

call ledger + approvals + quarantine + action ledger + the instance's runs → `workflow_health` (one row per
workflow per day, with numeric metadata per workflow so the asset's Plots tab charts them over time) → warning
checks: model confidence and labels stable against the trailing days (PSI), override rate under a limit, cost
per completed partition under 2x its trailing median. Materialized every night for the day before (UTC).
"""

import datetime as dt

import dagster as dg
import pandas as pd

from pipelines.partitions import daily
from pipelines.reporting.days import DAY_S, day_start
from pipelines.reporting.runs import collect_runs
from pipelines.reporting.state_figures import approval_workflows
from pipelines.reporting.workflow_index import WorkflowIndex
from pipelines.workflow_health.checks import CHECKS, DESCRIPTIONS
from pipelines.workflow_health.health import Thresholds, day_health
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.resource import StateResource
from sensors.dagster_internals import repository_of

GROUP = "workflow_health"
PLOTTED = ("cost_usd", "cost_per_partition_usd", "p95_latency_ms", "override_rate", "check_pass_rate",
           "success_rate", "runs", "confidence_psi", "label_psi")


class HealthConfig(dg.Config):
    """Limits the day's checks hold each workflow to."""

    override_rate_max: float = Thresholds.override_rate_max  # share of decided approvals edited or rejected
    psi_max: float = Thresholds.psi_max  # population stability index of confidence and labels
    cost_spike_factor: float = Thresholds.cost_spike_factor  # x the trailing median cost per completed partition
    trailing_days: int = Thresholds.trailing_days

    def thresholds(self) -> Thresholds:
        return Thresholds(self.override_rate_max, self.psi_max, self.cost_spike_factor, self.trailing_days)


def plotted_metadata(frame: pd.DataFrame) -> dict:
    """`<workflow>/<figure>` numbers for the Plots tab (figures a workflow did not have that day are left out)."""
    out = {}
    for row in frame.to_dict("records"):
        for column in PLOTTED:
            value = row.get(column)
            if value is not None and not pd.isna(value):
                out[f"{row['workflow']}/{column}"] = float(value)
    return out


def workflow_index(context: dg.AssetExecutionContext) -> WorkflowIndex:
    """The code location's workflows; a bare `materialize()` has no repository, so runs are placed by their tags
    and job names alone (pipelines/reporting/workflow_index.py)."""
    repository = repository_of(context)
    if repository is None:
        context.log.info("no repository definition in this run: workflows placed by run tags and job names")
        return WorkflowIndex()
    return WorkflowIndex.from_repository(repository)


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas", "sql"},
          check_specs=[dg.AssetCheckSpec(name, asset="workflow_health", description=DESCRIPTIONS[name],
                                         partitions_def=daily) for name in CHECKS])
def workflow_health(context: dg.AssetExecutionContext, config: HealthConfig, state: StateResource):
    """One row per workflow for the day: runs, success, cost (total, per completed partition, trailing
    median), tokens, cache hits, retries, latency p50/p95/p99, checks, quarantine, approvals and overrides,
    side effects, and drift (PSI) of the model's confidence and labels."""
    thresholds, day = config.thresholds(), context.partition_key
    start = day_start(day)
    index = workflow_index(context)
    store = state.store()
    runs = collect_runs(context.instance, start - thresholds.trailing_days * DAY_S, start + DAY_S, index,
                        lambda ids: approval_workflows(store, ids), exclude={context.run_id})
    tables = ParquetIOManager(state=state)
    frame = day_health(store, runs, index, day, lambda asset, part: tables.path_for(
        dg.AssetKey.from_user_string(asset), part), thresholds)
    yield dg.Output(frame, metadata={"workflows": len(frame), **plotted_metadata(frame)})
    for check in CHECKS.values():
        yield check(frame, thresholds)


workflow_health_job = dg.define_asset_job("workflow_health_job", selection=dg.AssetSelection.groups(GROUP),
                                          partitions_def=daily, tags={"aiwf/workflow": GROUP},
                                          description="One day of every workflow's health figures and checks.")


@dg.schedule(job=workflow_health_job, cron_schedule="30 0 * * *", execution_timezone="UTC")
def workflow_health_nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's health once it is over (today's partition, a day so far, can be materialized by hand)."""
    day = (context.scheduled_execution_time - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=day, partition_key=day)


assets = [workflow_health]
asset_checks: list = []  # declared on the asset (check_specs): it computes them from the same figures
jobs = [workflow_health_job]
schedules = [workflow_health_nightly]
sensors: list = []
