"""A code location for the backfill-policy test: one daily asset that "calls the model" (takes the `llm`
resource), records each attempt and fails its first one. It declares no pool and no retry policy: both
must come from pipelines.policy, applied here exactly as pipelines/definitions.py applies it.

A first attempt holds its slot until every run of its backfill has started, so all of them want the pool
at once: without a limit they would all be in the step together. Or until the daemon's run queue says it holds a
run back for the pool: on a database where the pool's limit is already known (any earlier run claimed a slot in it,
as on a team server after its first day), Dagster's queue does not launch a run whose steps the pool would block."""

import json
import os
import time
from pathlib import Path

import dagster as dg

from pipelines.policy import apply_step_policy

STEP_LOG_ENV = "AIWF_TEST_STEP_LOG"  # a folder: one JSON file per attempt
STEP_SECONDS = 1.0
RUNS = 3  # the test backfills three days
days = dg.DailyPartitionsDefinition(start_date="2026-01-01")


class StubModel(dg.ConfigurableResource):
    """Stands in for LLMResource under its key, which is what marks a step as a model call."""


@dg.asset(partitions_def=days)
def model_answers(context: dg.AssetExecutionContext, llm: StubModel) -> None:
    """Holds a provider slot for STEP_SECONDS (a first attempt: until all runs started, then fails as a
    provider outage would)."""
    started = time.time()
    if context.retry_number == 0:
        _wait_for_all_runs(context, deadline=started + 60)
    time.sleep(STEP_SECONDS)
    attempt = {"partition": context.partition_key, "retry": context.retry_number, "start": started,
               "end": time.time(), "pid": os.getpid()}
    (Path(os.environ[STEP_LOG_ENV]) / f"{context.partition_key}-{context.retry_number}.json").write_text(
        json.dumps(attempt))
    if context.retry_number == 0:
        raise RuntimeError("provider unavailable (first attempt of every day, on purpose)")


QUEUE_BLOCKED = "is blocked by global concurrency limits"  # the queued-run daemon's log line (Dagster 1.13)


def queue_held_a_run(daemon_log: Path) -> bool:
    return daemon_log.exists() and QUEUE_BLOCKED in daemon_log.read_text(errors="replace")


def _wait_for_all_runs(context: dg.AssetExecutionContext, deadline: float) -> None:
    backfill = dg.RunsFilter(tags={"dagster/backfill": context.run.tags.get("dagster/backfill", "")},
                             statuses=[dg.DagsterRunStatus.STARTED])
    daemon_log = Path(os.environ[STEP_LOG_ENV]).parent / "daemon.log"  # start_daemon's log, beside the steps
    while (len(context.instance.get_runs(backfill)) < RUNS and not queue_held_a_run(daemon_log)
           and time.time() < deadline):
        time.sleep(0.2)


# Steps run inside each run worker: pool slots are claimed and retries scheduled there under any executor,
# and three run workers each starting a fork server would double the test's time on two cores.
defs = dg.Definitions(assets=apply_step_policy([model_answers]), resources={"llm": StubModel()},
                      executor=dg.in_process_executor)
