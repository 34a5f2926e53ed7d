"""Assets over a partition range: a long backfill as a few runs, each looping over its partitions.

Under a multi-run BackfillPolicy (BATCH_BACKFILL: up to 30 partitions per run) one run materializes a range
of days. A daily chain backfills as one run per 30 days only when all its assets share the policy (Dagster puts
assets with different policies in different runs), so a batch asset and its daily neighbours carry it together.

Each day of a batch asset still runs exactly as in a run of its own: its lease, its checkpoints, its quarantine
rows, its per-partition budget and ledger rows under its partition key. So a range run that stops halfway
resumes every day from its checkpoints, and one failing day does not throw away the others' answers: every
day is tried, then the run fails naming the days that failed.
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


def per_partition(context, inputs: dict, one: Callable[..., dg.Output]) -> dg.Output:
    """`one(partition, **frames)` for each partition of the step, given each input's frame of that partition;
    one output: the frame, or `{partition: frame}` for a range, with counts summed over the days. A day that
    fails with a dg.Failure does not stop the others; the step fails after them, naming the failed days."""
    keys = partition_keys(context)
    if len(keys) == 1:
        return one(keys[0], **inputs)
    by_name = {name: frames_of(context, value, name) for name, value in inputs.items()}
    frames, metadata, failed = {}, [], {}
    for key in keys:
        try:
            out = one(key, **{name: frames[key] for name, frames in by_name.items()})
        except dg.Failure as exc:  # this day's answers are checkpointed; the other days go on
            failed[key] = exc.description or str(exc)
            context.log.error(f"partition {key} failed: {failed[key]}")
            continue
        frames[key] = out.value
        metadata.append(dict(out.metadata))
    if failed:
        days = "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:5])
        raise dg.Failure(f"{len(failed)} of {len(keys)} partitions failed ({days}). What they answered is "
                         "checkpointed; rerun the range (or the days) to resume", allow_retries=False,
                         metadata={"partitions_failed": dg.MetadataValue.json(sorted(failed))})
    return dg.Output(frames, metadata=_totals(keys, metadata))


def frames_of(context, value, name: str = "input") -> dict[str, pd.DataFrame]:
    """An input as `{partition: DataFrame}`, for one partition or a range (as ParquetIOManager loads one)."""
    keys = partition_keys(context)
    if len(keys) == 1:
        return {keys[0]: value}
    if not isinstance(value, dict) or not set(keys) <= set(value):
        raise dg.Failure(f"a run over {len(keys)} partitions needs the upstream table {name!r} of each of them "
                         "({partition_key: DataFrame}, as ParquetIOManager loads a range)", allow_retries=False)
    return value


def one_frame(value) -> pd.DataFrame:
    """A check's input as one table: a range's frames concatenated (checks judge a range run as a whole)."""
    return pd.concat(list(value.values()), ignore_index=True) if isinstance(value, dict) else value


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
