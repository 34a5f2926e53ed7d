"""A code location for the inbox-flood test: the returns triage workflow as pipelines/definitions.py builds it (its
assets, checks and jobs with the step policy, the real resources) with its inbox sensors on by default, as on a
server `make up` starts. Only their interval differs: a tick every second instead of every 30 (the daemon's sensor
loop still runs every 5 s), so a few ticks take seconds."""

import copy

import dagster as dg

from pipelines.policy import apply_step_policy
from pipelines.resource_bindings import build_resources
from pipelines.returns_triage import workflow as returns


def every_second(sensor: dg.SensorDefinition) -> dg.SensorDefinition:
    """The same sensor (its evaluation, job, default status) ticking every second."""
    quick = copy.copy(sensor)
    quick._min_interval = 1  # noqa: SLF001 (SensorDefinition offers no public way to change only the interval)
    return quick


defs = dg.Definitions(assets=apply_step_policy(returns.assets),
                      asset_checks=apply_step_policy(returns.asset_checks, assets=returns.assets),
                      jobs=returns.jobs, sensors=[every_second(s) for s in returns.sensors],
                      resources=build_resources())
