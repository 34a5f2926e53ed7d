"""Celery steps that nobody holds any more are sent again, by the run that waits for them.

dagster-celery's run worker waits for each step's result with no limit. On a Redis broker two faults leave it
waiting for a step that no worker will ever run: a broker restart without persistence loses the queued
steps, and a SIGKILLed worker's step sits unacknowledged until the visibility timeout (an hour) hands it out
again. Here each step's result is watched: every LOOK_EVERY_S seconds without a result, the broker's queue and
the workers (Celery's `query_task`) are asked for it; a step found nowhere twice in a row is removed from the
broker's unacknowledged set (so it is not handed out again an hour later) and submitted again, with an engine
event naming the step. The step then pays only for rows not yet checkpointed. Result polls that fail while the
broker is down are waited out for AIWF_INFRA_WAIT_S (resources/state/blips.py) instead of ending the run. A step
that failed on infrastructure outside aiwf's waits (Dagster's own storage calls in the step during a Postgres
restart: `is_infrastructure_failure`) is sent again the same way, before the run sees the failure (Dagster never
retries its own framework errors); after MAX_RESENDS it tags its run so the daemon retries it from failure
(deploy/dagster.yaml).
With RabbitMQ (durable queue, unacknowledged messages requeued when a worker's connection drops) no step is looked
for.
"""

import logging
import time

import dagster as dg
from dagster_celery.executor import CeleryExecutor, celery_executor

from resources.state.blips import RETRY_ON_STEP_FAILURE_TAG, infra_wait_s, is_infrastructure_failure, wait_out
from sensors.dagster_internals import submit_celery_step

log = logging.getLogger("aiwf.celery_steps")
LOOK_EVERY_S = 10.0  # how often a step still without a result is looked for
LOOKS_MISSING = 2  # consecutive looks that found it nowhere before it is sent again
MAX_RESENDS = 3  # per step; past that the run watchdog (sensors/run_watchdog.py) decides
QUERY_TIMEOUT_S = 3.0
_WORKERS: dict = {}  # run id -> Workers: a run worker process runs one run


def _redis_channel(conn):
    channel = conn.default_channel
    return channel if hasattr(channel, "unacked_key") and hasattr(channel, "_q_for_pri") else None


def queued(app, queue: str, task_id: str) -> bool | None:
    """Whether the task waits in the Redis queue (any priority); None when the broker cannot be read."""
    try:
        with app.connection_for_read() as conn:
            channel = _redis_channel(conn)
            if channel is None:
                return None
            keys = {channel._q_for_pri(queue, pri) for pri in channel.priority_steps}
            needle = task_id.encode()
            return any(needle in raw for key in keys for raw in channel.client.lrange(key, 0, -1))
    except Exception:
        return None


class Workers:
    """What the live workers hold (reserved or running) of a run's steps still without a result: one `query_task`
    for all of them, reused for LOOK_EVERY_S / 2, so the run's loop waits QUERY_TIMEOUT_S once a round, not once
    per step. An answer that old cannot repeat a miss: consecutive looks at a step are LOOK_EVERY_S apart."""

    def __init__(self, app, clock=time.monotonic):
        self.app, self.clock, self.waiting = app, clock, set()
        self.asked_at, self.asked, self.held = None, frozenset(), frozenset()

    def hold(self, task_id: str) -> bool | None:
        """Whether a live worker holds the task; None when the broker cannot be reached."""
        fresh = self.asked_at is not None and self.clock() - self.asked_at < LOOK_EVERY_S / 2
        if not (fresh and task_id in self.asked):
            ids = self.waiting | {task_id}
            try:
                replies = self.app.control.inspect(timeout=QUERY_TIMEOUT_S).query_task(*ids) or {}
            except Exception:
                self.asked_at = None
                return None
            self.asked_at, self.asked = self.clock(), frozenset(ids)
            self.held = frozenset(t for tasks in replies.values() for t in (tasks or {}))
        return task_id in self.held


def forget_unacked(app, task_id: str) -> int:
    """Remove the task's message from Redis's unacknowledged set (a dead worker's): it is sent again instead."""
    try:
        with app.connection_for_write() as conn:
            channel = _redis_channel(conn)
            if channel is None:
                return 0
            needle, removed = task_id.encode(), 0
            for tag, raw in channel.client.hgetall(channel.unacked_key).items():
                if needle in raw:
                    channel.client.pipeline().zrem(channel.unacked_index_key, tag).hdel(
                        channel.unacked_key, tag).execute()
                    removed += 1
            return removed
    except Exception:
        return 0


class WatchedResult:
    """A step's AsyncResult as dagster-celery's loop uses it (`ready`, `get`, `revoke`), sent again when lost."""

    def __init__(self, submit, app, queue: str, step_key: str, report, clock=time.monotonic,
                 workers: Workers | None = None):
        self.submit, self.app, self.queue, self.step_key, self.report = submit, app, queue, step_key, report
        self.clock, self.workers = clock, workers or Workers(app, clock)
        self.inner = submit()
        self.workers.waiting.add(self.inner.id)
        self.resends, self.missing, self.failing_since, self.events = 0, 0, None, None
        self.next_look = clock() + LOOK_EVERY_S

    def ready(self) -> bool:
        try:
            done = self.inner.ready()
        except Exception:
            now = self.clock()
            if self.failing_since is None:
                self.failing_since = now
            if now - self.failing_since > infra_wait_s():
                raise
            return False
        self.failing_since = None
        if done:
            self.workers.waiting.discard(self.inner.id)
            return not self._failed_on_infrastructure()
        if self.resends < MAX_RESENDS and self.clock() >= self.next_look:
            self._look()
        return False

    def _failed_on_infrastructure(self) -> bool:
        """Whether the step failed on infrastructure (a Postgres restart under Dagster's own storage calls in the
        step) and was sent again; the run then never sees that failure. Any other result is kept for `get`."""
        if self.resends >= MAX_RESENDS:
            return False
        try:
            self.events = self.inner.get()
            failure = next((e for e in (dg.deserialize_value(raw, dg.DagsterEvent) for raw in self.events)
                            if e.is_step_failure and is_infrastructure_failure(e.step_failure_data.error)), None)
        except Exception:  # `get` raises it again for dagster-celery's loop
            self.events = None
            return False
        if failure is None:
            return False
        first = next((line for line in failure.step_failure_data.error.to_string().splitlines() if line.strip()), "")
        self._send_again(f"failed on infrastructure ({first[:200]})")
        return True

    def _send_again(self, why: str) -> None:
        old = self.inner.id
        self.workers.waiting.discard(old)
        self.inner, self.events, self.missing = self.submit(), None, 0
        self.workers.waiting.add(self.inner.id)
        self.resends += 1
        self.report(f"aiwf: step {self.step_key}'s Celery task {old} {why}; sent again as {self.inner.id} "
                    f"({self.resends}/{MAX_RESENDS}).")

    def _look(self) -> None:
        self.next_look = self.clock() + LOOK_EVERY_S
        task_id = self.inner.id
        where = queued(self.app, self.queue, task_id)
        if where is None or where:
            self.missing = 0
            return
        held = self.workers.hold(task_id)
        if held is None or held:
            self.missing = 0
            return
        self.missing += 1
        if self.missing < LOOKS_MISSING or self._ready_now():
            return
        forget_unacked(self.app, task_id)
        self._send_again("was in no queue and at no worker (broker restarted or worker killed)")

    def _ready_now(self) -> bool:
        try:
            return self.inner.ready()
        except Exception:
            return True  # cannot tell: do not send it twice

    def get(self):
        return self.events if self.events is not None else self.inner.get()

    def revoke(self):
        return self.inner.revoke()


def _submit_watched(app, plan_context, step, queue, priority, known_state):
    def submit():
        return submit_celery_step(app, plan_context, step, queue, priority, known_state)

    def report(message: str) -> None:
        log.warning(message)
        try:
            plan_context.instance.report_engine_event(message, plan_context.dagster_run, step_key=step.key)
        except Exception:
            pass

    workers = _WORKERS.setdefault(plan_context.dagster_run.run_id, Workers(app))
    return WatchedResult(submit, app, queue, step.key, report, workers=workers)


class WatchedCeleryExecutor(CeleryExecutor):
    """dagster-celery's executor whose steps are watched (WatchedResult)."""

    def execute(self, plan_context, execution_plan):
        from dagster_celery.core_execution_loop import core_celery_execution_loop

        tagged = False
        try:
            for event in core_celery_execution_loop(plan_context, execution_plan,
                                                    step_execution_fn=_submit_watched):
                if not tagged and event.is_step_failure and is_infrastructure_failure(event.step_failure_data.error):
                    tagged = _retry_from_failure(plan_context, event.step_key)
                yield event
        finally:
            _WORKERS.pop(plan_context.dagster_run.run_id, None)


def _retry_from_failure(plan_context, step_key: str) -> bool:
    """Tag the run so that its failure is retried by the daemon (before the run fails: Dagster decides then)."""
    instance, run = plan_context.instance, plan_context.dagster_run
    try:
        wait_out(lambda: instance.add_run_tags(run.run_id, {RETRY_ON_STEP_FAILURE_TAG: "true"}),
                 "the Dagster run storage", replayable=lambda exc: True)
        instance.report_engine_event(f"aiwf: step {step_key} failed on infrastructure (a store, broker or backend "
                                     "that was unreachable); the daemon retries this run from failure.", run)
    except Exception as exc:  # never hide the step's own failure behind this one
        log.warning(f"could not tag run {run.run_id} for a retry: {type(exc).__name__}")
        return False
    return True


@dg.executor(name="celery", config_schema=celery_executor.config_schema,
             requirements=celery_executor.get_requirements)
def watched_celery_executor(init_context: dg.InitExecutorContext) -> WatchedCeleryExecutor:
    """dagster-celery's `celery_executor`, same config, with lost steps sent again."""
    config, base = init_context.executor_config, celery_executor.executor_creation_fn(init_context)
    return WatchedCeleryExecutor(retries=base.retries, broker=config.get("broker"), backend=config.get("backend"),
                                 include=config.get("include"), config_source=config.get("config_source"))
