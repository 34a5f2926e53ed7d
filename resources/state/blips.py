"""Infrastructure blips are waited out, not retried to death: one wait for the store (and the budget the
Celery broker settings are sized from, pipelines/executor.py).

A Postgres restart or a locked SQLite file used to burn a step's two retries in seconds. Here an operation the
database says is safe to replay (nothing was committed) is replayed with full-jitter exponential backoff for up
to AIWF_INFRA_WAIT_S seconds (default 300). When that is spent the step fails once, with the cause in the
first line, without Dagster's step retries (they would only wait again), and its run is tagged so the daemon's
run retries re-execute it from failure (dagster.yaml: run_retries). Model errors keep their own policy
(resources/llm/).

A blip can also fail a step outside aiwf's code: Dagster's own reads and writes of its Postgres storage in the
step (processing a check result, writing an event) raise a connection error that no wait here wraps, and the step
fails without its retry policy. `is_infrastructure_failure` tells such a failure (its error chain ends in a
connection error of Postgres, Redis or the Celery backend) from a bug or bad data, so the run's executor
(pipelines/celery_steps.py) can tag the run for the daemon's retry from failure as `wait_out` does.
"""

import random
import sqlite3
import time
from typing import Callable, TypeVar

import dagster as dg

from resources.backoff import backoff_s
from resources.env_numbers import env_number

T = TypeVar("T")
WAIT_ENV = "AIWF_INFRA_WAIT_S"
DEFAULT_WAIT_S = 300.0
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.5, 15.0
# Dagster's own run tag: lets the daemon retry this run although it failed on a step (run_retries).
RETRY_ON_STEP_FAILURE_TAG = "dagster/retry_on_asset_or_op_failure"


def infra_wait_s() -> float:
    """How long infrastructure may be unreachable before a step gives up: AIWF_INFRA_WAIT_S, default 300."""
    return env_number(WAIT_ENV, DEFAULT_WAIT_S, "seconds", allow_zero=True)


class InfrastructureUnavailable(dg.Failure):
    """The store stayed unreachable for the whole wait: fails the step without step retries."""

    def __init__(self, what: str, waited_s: float, cause: BaseException):
        super().__init__(
            description=f"{what} unreachable for {waited_s:.0f}s ({WAIT_ENV}): {type(cause).__name__}: {cause}",
            allow_retries=False,
        )


def is_replayable(exc: BaseException) -> bool:
    """Safe to run again: the store marked it (`aiwf_retryable`: nothing was committed) or SQLite was busy."""
    if getattr(exc, "aiwf_retryable", False):
        return True
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def pauses(budget_s: float, rng: random.Random | None = None):
    """The shared backoff (resources/backoff.py: exponential, equal jitter) until budget_s is spent."""
    spent, attempt = 0.0, 1
    while spent < budget_s:
        pause = min(budget_s - spent, backoff_s(attempt, FIRST_PAUSE_S, LONGEST_PAUSE_S, rng=rng))
        spent, attempt = spent + pause, attempt + 1
        yield pause


def wait_out(attempt: Callable[[], T], what: str, replayable: Callable[[BaseException], bool] = is_replayable,
             budget_s: float | None = None, sleep: Callable[[float], None] = time.sleep) -> T:
    """attempt(), replayed after each pause while it raises a replayable error; InfrastructureUnavailable
    once the budget (default AIWF_INFRA_WAIT_S) is spent."""
    budget = infra_wait_s() if budget_s is None else budget_s
    waited, schedule = 0.0, pauses(budget)
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not replayable(exc):
                raise
            pause = next(schedule, None)
            if pause is None:
                mark_run_for_retry()
                raise InfrastructureUnavailable(what, waited, exc) from exc
            sleep(pause)
            waited += pause


# An error of a service that was unreachable for a moment, by class name and what its message says.
_BLIP_CLASSES = ("OperationalError", "InterfaceError", "ConnectionError", "ConnectionRefusedError",
                 "ConnectionResetError", "BrokenPipeError", "RuntimeError")
_BLIP_WORDS = ("server closed the connection", "connection refused", "could not connect", "terminating connection",
               "the database system is", "connection already closed", "connection reset", "connection timed out",
               "reconnect to the celery result store", "connection to server")


def is_infrastructure_failure(error) -> bool:
    """Whether a step failure's error (Dagster's SerializableErrorInfo, with its cause and context chain) is the
    store, broker or result backend being unreachable: InfrastructureUnavailable, or a connection error."""
    seen, todo = 0, [error]
    while todo and seen < 20:
        info, seen = todo.pop(), seen + 1
        if info is None:
            continue
        name, message = getattr(info, "cls_name", "") or "", (getattr(info, "message", "") or "").lower()
        if name == InfrastructureUnavailable.__name__ or (name in _BLIP_CLASSES and any(w in message for w in
                                                                                         _BLIP_WORDS)):
            return True
        todo += [getattr(info, "cause", None), getattr(info, "context", None)]
    return False


def mark_run_for_retry() -> None:
    """Tag the current step's run so the daemon retries it from failure (no-op outside a step)."""
    try:
        context = dg.OpExecutionContext.get()
    except Exception:
        return
    if context is None:
        return
    try:
        context.instance.add_run_tags(context.run_id, {RETRY_ON_STEP_FAILURE_TAG: "true"})
    except Exception:  # the run storage may be the very thing that is down: the step still fails clearly
        pass
