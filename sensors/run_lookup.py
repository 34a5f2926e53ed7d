"""What the instance knows about a job's runs, as the inbox and queue sensors ask it before launching one."""

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
