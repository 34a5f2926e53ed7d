"""Watchdog for dead runs: what Dagster's own run monitoring leaves out under the DefaultRunLauncher.

Dagster already fails runs stuck STARTING or CANCELING, caps run time (run_monitoring.max_runtime_seconds,
tag dagster/max_runtime) and, with run_retries enabled, re-executes failed runs FROM_FAILURE. It cannot
tell that a run worker started by the DefaultRunLauncher died (that launcher has no health check), nor
that a run went quiet because the Celery worker holding its step was killed: such runs stay STARTED
forever. This sensor marks them failed, so Dagster's run retries (deploy/dagster.yaml: once, from
failure; tag dagster/max_retries per job) take over, and batch checkpoints make the retry pay only for
the rows that were missing.
"""

import os
import signal
import time
from dataclasses import dataclass

import dagster as dg

from sensors.dagster_internals import report_unexpected_termination, will_retry
from sensors.worker_liveness import process_alive

TIMEOUT_ENV = "AIWF_RUN_TIMEOUT_S"  # seconds without any event before a run counts as dead
TIMEOUT_TAG = "aiwf/run_timeout_s"  # per-run override, for steps that legitimately stay quiet longer
PID_CHECK_ENV = "AIWF_WATCHDOG_PID_CHECK"  # auto (default) | 1 | 0
DEFAULT_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Verdict:
    """One run the watchdog ended, and why."""

    run_id: str
    job_name: str
    cause: str  # "worker_dead" | "silent"
    detail: str
    will_retry: bool


def run_timeout_s(tags: dict | None = None) -> float:
    """The silence timeout: run tag aiwf/run_timeout_s, else AIWF_RUN_TIMEOUT_S, else 300 seconds."""
    for source, raw in ((TIMEOUT_TAG, (tags or {}).get(TIMEOUT_TAG)), (TIMEOUT_ENV, os.environ.get(TIMEOUT_ENV))):
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{source} must be a number of seconds, got {raw!r}") from None
            if value <= 0:
                raise ValueError(f"{source} must be positive, got {raw!r}")
            return value
    return DEFAULT_TIMEOUT_S


def worker_pids_are_local(instance: dg.DagsterInstance) -> bool:
    """Whether launched runs' worker pids can be checked here. Under the DefaultRunLauncher the run
    worker is a child of the code server, which is also where this sensor is evaluated."""
    setting = os.environ.get(PID_CHECK_ENV, "auto").lower()
    if setting not in ("auto", "1", "0"):
        raise ValueError(f"{PID_CHECK_ENV} must be auto, 1 or 0, got {setting!r}")
    return setting == "1" or (setting == "auto" and isinstance(instance.run_launcher, dg.DefaultRunLauncher))


def _worker(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, time) of the process that started the run: the emitter of its latest RUN_START event."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_START, limit=1, ascending=False
    ).records
    if not records or records[0].event_log_entry.dagster_event is None:
        return None
    entry = records[0].event_log_entry
    return entry.dagster_event.pid, entry.timestamp


def _last_event_time(instance: dg.DagsterInstance, record: dg.RunRecord) -> float:
    records = instance.get_records_for_run(record.dagster_run.run_id, limit=1, ascending=False).records
    times = [r.timestamp for r in records] + [record.start_time or 0.0, record.create_timestamp.timestamp()]
    return max(times)


def diagnose(
    instance: dg.DagsterInstance, record: dg.RunRecord, now: float, local_pids: bool
) -> tuple[str, str, int | None] | None:
    """(cause, detail, live local worker pid or None) when a STARTED run is dead, else None."""
    run, pid = record.dagster_run, None
    # Only launched runs (from a workspace: UI, schedule, sensor, queue) have their worker on this host;
    # a run executed in some user's process (execute_in_process) is judged by silence alone.
    if local_pids and run.remote_job_origin is not None:
        worker = _worker(instance, run.run_id)
        if worker and not process_alive(worker[0], started_before=worker[1]):
            return "worker_dead", f"run worker process {worker[0]} is gone", None
        pid = worker[0] if worker else None
    timeout = run_timeout_s(run.tags)
    silent_for = now - _last_event_time(instance, record)
    if silent_for > timeout:
        return "silent", f"no event for {silent_for:.0f}s (timeout {timeout:.0f}s)", pid
    return None


def _stop_hung_worker(instance: dg.DagsterInstance, run: dg.DagsterRun, pid: int | None) -> None:
    """A silent worker may be alive but stuck: stop it, so a retry never races it for the same rows."""
    try:
        stopped = instance.run_launcher.terminate(run.run_id)
    except Exception as exc:  # a dead code server must not keep the run STARTED
        instance.report_engine_event(f"aiwf watchdog: terminate failed ({type(exc).__name__})", run)
        stopped = False
    if not stopped and pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
            instance.report_engine_event(f"aiwf watchdog: killed hung run worker process {pid}", run)
        except ProcessLookupError:
            pass


def _end_run(
    instance: dg.DagsterInstance, record: dg.RunRecord, cause: str, detail: str, pid: int | None
) -> Verdict | None:
    run = instance.get_run_by_id(record.dagster_run.run_id)
    if run is None or run.status != dg.DagsterRunStatus.STARTED:  # finished meanwhile: leave it
        return None
    instance.report_engine_event(f"aiwf watchdog: {detail}; marking the run failed.", run)
    if cause == "silent":
        _stop_hung_worker(instance, run, pid)
    report_unexpected_termination(instance, run, f"Run worker lost: {detail} (aiwf watchdog).")
    return Verdict(run.run_id, run.job_name, cause, detail, will_retry(instance.get_run_by_id(run.run_id)))


def sweep_dead_runs(instance: dg.DagsterInstance, now: float | None = None) -> list[Verdict]:
    """Fail every STARTED run whose worker is gone or that has been silent past its timeout."""
    now = time.time() if now is None else now
    local_pids = worker_pids_are_local(instance)
    verdicts = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        found = diagnose(instance, record, now, local_pids)
        if found and (verdict := _end_run(instance, record, *found)):
            verdicts.append(verdict)
    return verdicts


@dg.sensor(
    name="run_watchdog_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Fails runs whose worker died or that went silent past AIWF_RUN_TIMEOUT_S, so Dagster's "
    "run retries can re-execute them from failure.",
)
def run_watchdog_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Sweep once per tick; it never requests runs itself (retries are Dagster's run_retries)."""
    verdicts = sweep_dead_runs(context.instance)
    for v in verdicts:
        context.log.warning(f"run {v.run_id} ({v.job_name}) failed by watchdog: {v.detail}; retry={v.will_retry}")
    return dg.SkipReason(f"{len(verdicts)} dead run(s) failed" if verdicts else "no dead runs")
