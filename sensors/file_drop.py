"""A sensor factory for inbox folders: one run per day whose files are new or changed.

Files are grouped by the day they belong to (`day_of`, the one file-day rule). A day's run_key is the day and a
digest of its files' names and contents, so a new or edited file launches one run for its day, unchanged files
launch nothing, and a tick evaluated twice launches once. The cursor keeps one short entry per day in the folder
(a stat signature, so unchanged files are not re-read, and the content digest).

Three more guards keep a partition from running twice:
- a day the cursor has not seen (every day on the first tick after the sensor is turned on) whose first asset
  was materialized after the day's newest file is recorded without a run: turning a sensor on replays nothing;
- a day with a run of the job queued or in progress waits for a later tick: a partition never runs twice at once;
- a day whose digest already has a run (tag `aiwf/inbox`, set by any sensor on the folder) is recorded as is.

And one keeps a fresh server from flooding: at most `AIWF_SENSOR_MAX_RUNS` (default 3) runs of the job are queued or
in progress at once; the other days wait, oldest first, for later ticks (sensors/run_lookup.py `launch_room`).
"""

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import dagster as dg

from resources.state.inbox import files_digest, group_by_day, list_files, stat_signature
from resources.state.resource import StateResource
from sensors.run_lookup import MAX_RUNS_ENV, instance_of, launch_room, partitions_in_flight, tag_values

INBOX_TAG = "aiwf/inbox"  # "<day>:<digest>" of the files a run was launched for


def file_drop_sensor(name: str, *, folder: Callable[[StateResource], Path], job, first_asset: dg.AssetKey,
                     suffixes: tuple[str, ...], day_of: Callable[[Path], str], watch: tuple[str, ...] | None = None,
                     minimum_interval_seconds: int = 30,
                     default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING) -> dg.SensorDefinition:
    """Launch `job` once per day of `folder(state)` whose *`suffixes` files changed (see the module docstring).

    `folder` is called at tick time with the `state` resource. A day's digest covers all its `suffixes` files;
    `watch` (default: all) limits the sensor to days holding a file of those types, so two sensors can share one
    folder and the aiwf/inbox tag keeps them from launching the same content twice. On by default: dropping a
    file is enough once the daemon runs, and the first tick does not replay history.
    """
    watched = tuple(s.lower() for s in (watch or suffixes))

    @dg.sensor(name=name, job=job, minimum_interval_seconds=minimum_interval_seconds, default_status=default_status,
               description=f"Runs {job.name} once for each day whose {'/'.join(watched)} files are new or changed.")
    def _sensor(context: dg.SensorEvaluationContext, state: StateResource) -> dg.SensorResult:
        directory = folder(state)
        days = {day: paths for day, paths in group_by_day(list_files(directory, suffixes), day_of).items()
                if any(p.suffix.lower() in watched for p in paths)}
        seen = _read_cursor(context)
        entries, changed = _scan(days, seen)
        requests = _requests(context, name, job, first_asset, changed, entries, seen) if changed else []
        cursor = json.dumps(entries, separators=(",", ":"), sort_keys=True)
        context.log.info(f"{len(days)} day(s) in {directory}, {len(changed)} changed, {len(requests)} run(s)")
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        why = (f"{len(changed)} changed day(s) already run, materialized or waiting (for a run of the day, or "
               f"for room under {MAX_RUNS_ENV})" if changed
               else f"no new or changed {'/'.join(watched)} files in {directory}")
        return dg.SensorResult(skip_reason=why, cursor=cursor)

    return _sensor


def _scan(days: dict[str, list[Path]], seen: dict) -> tuple[dict, dict]:
    """Cursor entries ([stat signature, digest]) for every day, and the days whose contents changed."""
    entries, changed = {}, {}
    for day, paths in days.items():
        old = seen.get(day)
        try:
            signature = stat_signature(paths)
            if old and old[0] == signature:
                entries[day] = old
                continue
            entries[day] = [signature, files_digest(paths)]
        except FileNotFoundError:  # a file moved away mid-tick: look again next tick
            if old:
                entries[day] = old
            continue
        if not old or old[1] != entries[day][1]:
            changed[day] = paths
    return entries, changed


def _read_cursor(context: dg.SensorEvaluationContext) -> dict:
    """The per-day entries of the last tick; an unreadable cursor counts as none (the guards still hold)."""
    try:
        seen = json.loads(context.cursor) if context.cursor else {}
    except ValueError:
        seen = None
    if not isinstance(seen, dict):
        context.log.warning("cursor is not this sensor's: starting afresh")
        return {}
    return seen


def _requests(context, name: str, job, first_asset: dg.AssetKey, changed: dict, entries: dict,
              seen: dict) -> list[dg.RunRequest]:
    """A run request per changed day that no guard holds back; held-back days are updated in `entries`."""
    instance, partitions = instance_of(context), getattr(job, "partitions_def", None)
    keys = {day: f"{day}:{entries[day][1]}" for day in changed}
    launched = tag_values(instance, INBOX_TAG, list(keys.values()))
    busy = partitions_in_flight(instance, job.name, list(changed))
    today = datetime.now(timezone.utc).date().isoformat()
    room, capped = launch_room(instance, job.name), []
    requests = []
    for day, paths in sorted(changed.items()):
        if partitions is not None and not partitions.has_partition_key(day):
            context.log.warning(f"{day} is not a partition of {job.name}: its files "
                                f"{'wait for the day' if day > today else 'are left alone'}")
            if day > today:  # a day to come: look again on later ticks
                _hold(entries, seen, day)
            continue
        if keys[day] in launched:
            continue
        if day not in seen and _materialized_since(instance, first_asset, day, paths):
            continue
        if day in busy or len(requests) >= room:
            _hold(entries, seen, day)
            capped += [] if day in busy else [day]
            continue
        requests.append(dg.RunRequest(run_key=keys[day], partition_key=day, tags={
            "aiwf/trigger": name, INBOX_TAG: keys[day], "aiwf/files": ", ".join(p.name for p in paths)[:200]}))
    if capped:
        context.log.info(f"{len(capped)} day(s) from {capped[0]} wait for room: {MAX_RUNS_ENV} caps {job.name}'s "
                         f"runs queued or in progress")
    return requests


def _hold(entries: dict, seen: dict, day: str) -> None:
    """Keep a day's old entry (or none), so a later tick sees the change again."""
    entries.pop(day)
    if day in seen:
        entries[day] = seen[day]


def _materialized_since(instance, asset_key: dg.AssetKey, day: str, paths: list[Path]) -> bool:
    """Whether `day` of the asset was materialized after the newest of its files was written."""
    if instance is None:
        return False
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[day]),
                                              limit=1).records
    if not records:
        return False
    try:
        newest = max(p.stat().st_mtime for p in paths)
    except FileNotFoundError:
        return False
    return records[0].timestamp >= newest
