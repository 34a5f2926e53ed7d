"""Batch assets over a partition range: a long backfill as a few runs, each looping over its partitions.

Under a multi-run BackfillPolicy (30 partitions per run by default for partitioned `llm_map` assets) one run
materializes a range of days. Each day still runs exactly as it would in a run of its own: its lease, its
checkpoints, its quarantine rows, its per-partition budget and ledger rows under its partition key. So a
range run that stops halfway resumes every day from its checkpoints, and one failing day does not throw
away the others' answers: every day is tried, then the run fails naming the days that failed.
"""

from typing import Callable

import dagster as dg
import pandas as pd

# A backfill of many days of a batch asset runs as ceil(days / 30) runs, not one run per day.
BATCH_BACKFILL = dg.BackfillPolicy.multi_run(max_partitions_per_run=30)


def partition_keys(context) -> list[str]:
    """The partitions this step materializes: one, a range (a multi-partition backfill run), or [""]."""
    if context.has_partition_key:
        return [context.partition_key]
    if getattr(context, "has_partition_key_range", False):
        return list(context.partition_keys)
    return [""]


def over_partitions(context, rows, one: Callable[[str, pd.DataFrame], dg.Output]) -> dg.Output:
    """`one(partition, frame)` for each partition of the range, then one output `{partition: frame}`.

    `rows` is what the IO manager loaded: a DataFrame for one partition, `{partition: DataFrame}` for a range.
    """
    keys = partition_keys(context)
    if len(keys) == 1:
        return one(keys[0], rows)
    if not isinstance(rows, dict) or not set(keys) <= set(rows):
        raise dg.Failure(f"a run over {len(keys)} partitions needs the upstream table of each of them "
                         "({partition_key: DataFrame}, as ParquetIOManager loads a range)", allow_retries=False)
    frames, metadata, failed = {}, [], {}
    for key in keys:
        try:
            out = one(key, rows[key])
        except dg.Failure as exc:  # this day's answers are checkpointed; the other days go on
            failed[key] = exc.description or str(exc)
            context.log.error(f"partition {key} failed: {failed[key]}")
            continue
        frames[key] = out.value
        metadata.append({k: v for k, v in out.metadata.items()})
    if failed:
        days = "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:5])
        raise dg.Failure(f"{len(failed)} of {len(keys)} partitions failed ({days}). Their answers so far are "
                         "checkpointed; rerun the range (or the days) to resume", allow_retries=False,
                         metadata={"partitions_failed": dg.MetadataValue.json(sorted(failed))})
    return dg.Output(frames, metadata=_totals(keys, metadata))


def _totals(keys: list[str], per_partition: list[dict]) -> dict:
    """Counts and spend summed over the range's partitions; the first..last partition for the UI."""
    totals: dict = {"partitions": len(keys), "partition_range": f"{keys[0]}..{keys[-1]}"}
    for meta in per_partition:
        for name, value in meta.items():
            raw = getattr(value, "value", value)
            summable = not any(part in name for part in ("rate", "latency", "_p", "max_"))
            if summable and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                totals[name] = totals.get(name, 0) + raw
    failed = totals.get("rows_quarantined_input", 0) + totals.get("rows_quarantined_model", 0)
    if totals.get("rows_in"):
        totals["failure_rate"] = failed / totals["rows_in"]
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in totals.items()}
