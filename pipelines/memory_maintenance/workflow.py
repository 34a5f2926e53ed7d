"""Memory maintenance: re-embed tables built by another embedding model than the `llm` resource's (see
resources.memory.reembed), compact LanceDB tables, fold new rows into their indexes, retrain indexes that the
table has outgrown (see resources.memory.index_policy) and drop versions past the retention. Nightly."""

import datetime as dt

import dagster as dg

from assets.pools import LLM_POOL
from resources.llm import LLMResource
from resources.memory import MemoryResource

GROUP = "memory_maintenance"


class MaintenanceConfig(dg.Config):
    """Which tables (all when empty) and how long to keep old versions (the resource's default when unset)."""

    tables: list[str] = []
    retention_days: float | None = None


@dg.op(description="Re-embed every memory table whose vectors come from another model than the llm resource's.",
       tags={"kind": "lancedb"}, out=dg.Out(dg.Nothing), pool=LLM_POOL)
def reembed_memory_tables(context: dg.OpExecutionContext, memory: MemoryResource, llm: LLMResource) -> None:
    report = memory.reembed(llm.session(context)) if memory.table_names() else {}
    changed = {name: what for name, what in report.items() if what != "kept"}
    context.log.info(f"re-embedded {len(changed)} of {len(report)} memory table(s)"
                     + (f": {changed}" if changed else ""))


@dg.op(description="Compact, re-index and prune old versions of every memory table; live rows are never touched.",
       tags={"kind": "lancedb"}, ins={"after": dg.In(dg.Nothing)})
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


@dg.job(description="Keep LanceDB memory fast and small: one embedding model per table, compaction, index upkeep, "
                    "version retention.",
        tags={"aiwf/workflow": GROUP})
def memory_maintenance_job():
    maintain_memory_tables(after=reembed_memory_tables())


memory_maintenance_nightly = dg.ScheduleDefinition(name="memory_maintenance_nightly", job=memory_maintenance_job,
                                                   cron_schedule="30 3 * * *")

assets: list = []
asset_checks: list = []
jobs = [memory_maintenance_job]
schedules = [memory_maintenance_nightly]
sensors: list = []
