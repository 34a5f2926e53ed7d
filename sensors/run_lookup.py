"""What the instance knows about a job's runs, as the inbox and queue sensors ask it before launching one,
and how many more runs of a job they may launch (`AIWF_SENSOR_MAX_RUNS`)."""

import os

import dagster as dg

PARTITION_TAG = "dagster/partition"  # the tag Dagster gives a partitioned run
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def instance_of(context: dg.SensorEvaluationContext) -> dg.DagsterInstance | None:
    """The instance, or None for a context built in a test without one (then no guard needs it)."""
    try:
        return context.instance
    except dg.DagsterInvariantViolationError:
        return None


def tag_values(instance, tag: str, values: list[str]) -> set[str]:
    """Which of `values` some run carries as `tag`."""
    if instance is None or not values:
        return set()
    return {run.tags.get(tag) for run in instance.get_runs(filters=dg.RunsFilter(tags={tag: values}))}


def partitions_in_flight(instance, job_name: str, partitions: list[str]) -> set[str]:
    """Which of `partitions` have a run of `job_name` queued or in progress."""
    if instance is None or not partitions:
        return set()
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=IN_FLIGHT,
                                                   tags={PARTITION_TAG: partitions}))
    return {run.tags.get(PARTITION_TAG) for run in runs}


MAX_RUNS_ENV = "AIWF_SENSOR_MAX_RUNS"  # runs of one job an inbox or queue sensor keeps queued or in progress
DEFAULT_MAX_RUNS = 3


def launch_room(instance, job_name: str) -> int:
    """How many more runs of `job_name` a sensor may ask for now: the cap less the job's runs in flight.

    Read at each tick, so 30 days already in an inbox become a few runs at a time, the rest as runs finish.
    """
    raw = os.environ.get(MAX_RUNS_ENV, "").strip()
    try:
        cap = int(raw) if raw else DEFAULT_MAX_RUNS
    except ValueError:
        cap = 0
    if cap < 1:
        raise ValueError(f"{MAX_RUNS_ENV}={raw!r}: expected a whole number of runs, 1 or more")
    if instance is None:
        return cap
    return max(0, cap - instance.get_runs_count(dg.RunsFilter(job_name=job_name, statuses=IN_FLIGHT)))
