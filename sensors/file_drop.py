"""A sensor factory for files dropped in a folder: one run per new or changed file, exactly once."""

from pathlib import Path
from typing import Callable

import dagster as dg

from resources.state.inbox import content_hash, drop_day


def file_drop_sensor(name: str, *, folder: Callable[[], Path], job, suffix: str,
                     partition_for: Callable[[Path], str] | None = None,
                     minimum_interval_seconds: int = 30) -> dg.SensorDefinition:
    """Launch `job` for each file in folder(); run_key = path + content hash, so a tick seen twice launches once.

    `folder` is a callable so the location is read at tick time, not at import. A file that cannot say its
    partition runs on the day it was dropped, so the run can quarantine it with the reason.
    """

    @dg.sensor(name=name, job=job, minimum_interval_seconds=minimum_interval_seconds,
               description=f"Runs {job.name} for each new or changed *{suffix} file.")
    def _sensor(context: dg.SensorEvaluationContext):
        directory = folder()
        files = sorted(directory.glob(f"*{suffix}")) if directory.exists() else []
        if not files:
            return dg.SkipReason(f"no *{suffix} files in {directory}")
        requests = []
        for path in files:
            try:
                partition = partition_for(path) if partition_for else drop_day(path)
            except Exception:  # unreadable: let the run quarantine it
                partition = drop_day(path)
            requests.append(dg.RunRequest(
                run_key=f"{path.name}:{content_hash(path)}", partition_key=partition,
                tags={"aiwf/trigger": name, "aiwf/file": str(path)}))
        return requests

    return _sensor
