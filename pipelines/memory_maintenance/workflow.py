"""Memory maintenance: compact LanceDB tables, fold new rows into their indexes, retrain indexes that the
table has outgrown (see resources.memory.index_policy) and drop versions past the retention. Nightly."""

import datetime as dt

import dagster as dg

from resources.memory import MemoryResource

GROUP = "memory_maintenance"


class MaintenanceConfig(dg.Config):
    """Which tables (all when empty) and how long to keep old versions (the resource's default when unset)."""

    tables: list[str] = []
    retention_days: float | None = None


@dg.op(description="Compact, re-index and prune old versions of every memory table; live rows are never touched.",
       tags={"kind": "lancedb"})
def maintain_memory_tables(context: dg.OpExecutionContext, config: MaintenanceConfig, memory: MemoryResource) -> None:
    names = config.tables or memory.table_names()
    if not names:
        context.log.info("no memory tables yet: nothing to maintain")
        return
    retention = dt.timedelta(days=config.retention_days) if config.retention_days is not None else None
    report = memory.maintain(names, retention=retention)
    for name, figures in report.items():
        context.log.info(f"{name}: {figures}")
    context.add_output_metadata({"tables": len(report), "rows": sum(r["rows"] for r in report.values()),
                                 "versions_dropped": sum(r["versions_before"] - r["versions_after"]
                                                         for r in report.values()),
                                 "report": dg.MetadataValue.json(report)})


@dg.job(description="Keep LanceDB memory fast and small: compaction, index upkeep, version retention.",
        tags={"aiwf/workflow": GROUP})
def memory_maintenance_job():
    maintain_memory_tables()


memory_maintenance_nightly = dg.ScheduleDefinition(name="memory_maintenance_nightly", job=memory_maintenance_job,
                                                   cron_schedule="30 3 * * *")

assets: list = []
asset_checks: list = []
jobs = [memory_maintenance_job]
schedules = [memory_maintenance_nightly]
sensors: list = []
