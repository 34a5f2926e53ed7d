"""Where a run's steps execute: processes on the run worker's machine (default) or Celery workers.

One switch, AIWF_EXECUTOR=celery, moves every job's steps onto the workers started with `aiwf worker`;
the broker, result backend and queue are read from the same variables on both sides, so the run and
its workers always agree. Broker URLs may hold passwords: they are passed as Dagster env references,
resolved at run time, never baked into a job definition.

Under the multiprocess executor, step processes fork from the run worker, which has imported the definitions
already (or from a warm server, `start_method: forkserver`, while the run worker runs other threads) instead
of each starting Python and importing dagster, pandas, the definitions and the instance's storage modules
anew: that start-up was most of a cached run (`forked_multiprocess_executor`).
"""

import math
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading

import dagster as dg

from resources.state.blips import infra_wait_s
from sensors.dagster_internals import executor_with_config, instance_modules

EXECUTOR_ENV = "AIWF_EXECUTOR"  # multiprocess (default) | celery | k8s
BROKER_ENV = "AIWF_CELERY_BROKER"  # redis://... or amqp://...
BACKEND_ENV = "AIWF_CELERY_BACKEND"  # default: the broker (Redis), or rpc:// for an AMQP broker
QUEUE_ENV = "AIWF_CELERY_QUEUE"  # default: dagster
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "dagster"

VISIBILITY_ENV = "AIWF_CELERY_VISIBILITY_S"  # Redis: seconds before an unacknowledged step is redelivered
DEFAULT_VISIBILITY_S = 3600
# Broker reconnects: waits of 0, 1, 2, 3, 4 s, then 5 s each, for as long as AIWF_INFRA_WAIT_S allows.
_RECONNECT = {"interval_start": 0, "interval_step": 1, "interval_max": 5}


def _reconnect_tries(budget_s: float) -> int:
    return 5 + max(0, math.ceil((budget_s - 10) / 5))


def visibility_s() -> int:
    """Seconds Redis waits before handing an unacknowledged step to another worker: AIWF_CELERY_VISIBILITY_S,
    default 3600. It must exceed the longest step, or a step still running is started a second time."""
    raw = os.environ.get(VISIBILITY_ENV, "")
    if not raw:
        return DEFAULT_VISIBILITY_S
    if not raw.isdigit() or int(raw) < 60:
        raise ValueError(f"{VISIBILITY_ENV} must be a whole number of seconds, at least 60, got {raw!r}")
    return int(raw)


def celery_settings() -> dict:
    """Celery settings both the executor and the workers use.

    Steps are acknowledged when they end, not when received (`task_acks_late`), and a step whose pool process
    died is handed back to the broker at once (`task_reject_on_worker_lost`): a killed worker's step is
    redelivered to another worker instead of waiting for the run watchdog. With RabbitMQ that is immediate for
    any worker death; with Redis a SIGKILLed main worker process's step comes back after `visibility_s()`.
    A broker or result backend that is unreachable is waited out for AIWF_INFRA_WAIT_S (publish, connect, the
    result backend's reconnects and result polls retry with backoff) instead of failing every run in flight after
    a second (or, for the Redis result backend's reconnect when a step is sent, after Celery's 20 s).
    Workers import the telemetry hooks before forking their pool (`include`, kept apart from the `imports`
    that `aiwf worker --preload` sets), so a step's spans are exported when it ends."""
    tries = _reconnect_tries(infra_wait_s())
    return {
        "broker_connection_retry_on_startup": True,
        "worker_prefetch_multiplier": 1,
        "include": ["resources.telemetry.celery_hooks"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "broker_transport_options": {"visibility_timeout": visibility_s(), "max_retries": tries, **_RECONNECT},
        "task_publish_retry_policy": {"max_retries": tries, **_RECONNECT},
        "result_backend_always_retry": True,
        "result_backend_max_retries": tries,
        "result_backend_max_sleep_between_retries_ms": 5000,
        # Redis result backend: its reconnects when a step is sent (Celery's default gives up after 20 s)
        "result_backend_transport_options": {"retry_policy": {"max_retries": tries, **_RECONNECT}},
    }


def celery_urls() -> tuple[str, str]:
    """(broker, result backend) for this process, from the environment."""
    broker = os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    if not broker.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")):
        raise ValueError(f"{BROKER_ENV} must be a redis:// or amqp:// URL")  # never echo the value
    default_backend = "rpc://" if "amqp" in broker.split("://")[0] else broker
    return broker, os.environ.get(BACKEND_ENV) or default_backend


def celery_queue() -> str:
    """The Celery queue steps are sent to and workers listen on."""
    return os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE


def celery_executor_config() -> dict:
    """The dagster-celery executor config: env references where a value was set, defaults otherwise."""
    broker, _ = celery_urls()
    broker_src = {"env": BROKER_ENV} if os.environ.get(BROKER_ENV) else broker
    if os.environ.get(BACKEND_ENV):
        backend_src = {"env": BACKEND_ENV}
    else:
        backend_src = "rpc://" if "amqp" in broker.split("://")[0] else broker_src
    return {
        "broker": broker_src,
        "backend": backend_src,
        "config_source": {**celery_settings(), "task_default_queue": celery_queue()},
    }


def run_executor() -> dg.ExecutorDefinition:
    """The executor for Definitions(executor=...): multiprocess by default, Celery workers with
    AIWF_EXECUTOR=celery, one Kubernetes pod per step with AIWF_EXECUTOR=k8s (needs dagster-k8s)."""
    choice = (os.environ.get(EXECUTOR_ENV) or "multiprocess").lower()
    if choice == "multiprocess":
        return forked_multiprocess_executor
    if choice == "celery":
        from pipelines.celery_steps import watched_celery_executor  # dagster-celery's, lost steps sent again

        return watched_celery_executor.configured(celery_executor_config(), name="celery")
    if choice == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError:
            hint = "pip install 'dagster-k8s>=0.29,<0.30'"
            raise ValueError(f"{EXECUTOR_ENV}=k8s needs dagster-k8s: {hint}") from None
        return k8s_job_executor
    raise ValueError(f"{EXECUTOR_ENV} must be multiprocess, celery or k8s, got {choice!r}")


# Where a step process starts from. Default: a fork of the run worker itself, which has already imported the
# definitions and Dagster's step machinery and opened the instance, so a step starts with none of that to do
# (`fork`, safe while the run worker has one thread: a fork copies only the calling thread, and a lock another
# thread held would stay locked in the child). Each step is still its own process: a crash, a leak or a
# module-level change in one step reaches neither the run worker nor another step, and the run cancels steps
# as before. Storage engines hold no pooled connection between calls (NullPool), and a step opens its own
# instance from the run's InstanceRef. When the run worker has other threads (a test process, a server that
# runs runs in-process), steps fork from a warm server instead (`forkserver`), which imports what a step needs
# before its first line of work: Dagster's step machinery, the code location's module and the modules the
# run's instance is built from. Importing opens nothing: no store, pool or thread exists in the server.
# Either way steps import what only they use (great-expectations, LanceDB) themselves.
STEP_MACHINERY = ["dagster._core.executor.multiprocess"]
_server_started_for: tuple | None = None


def step_preload(init_context: dg.InitExecutorContext) -> list[str]:
    """The modules the fork server imports for this run's steps."""
    module = getattr(init_context.job, "get_module", lambda: None)() or "dagster"  # a file target: Dagster's default
    return list(dict.fromkeys([*STEP_MACHINERY, module, *instance_modules(init_context.instance)]))


def _fresh_server_for(preload: list[str]) -> None:
    """Python keeps one fork server per process, with the environment, sys.path and modules it started
    with. A run worker runs one run, so that is the run's own; a process that runs several (tests, scripts)
    gets a new server whenever those differ, so a step never sees another run's AIWF_HOME or settings."""
    global _server_started_for
    wanted = (tuple(sorted(os.environ.items())), tuple(sys.path), tuple(preload))
    if _server_started_for not in (None, wanted):
        multiprocessing.forkserver._forkserver._stop()  # stdlib's own hook; a no-op when none runs
    _server_started_for = wanted


def fork_is_safe() -> bool:
    """Whether steps may fork from the run worker itself: a POSIX fork is there and this process runs one
    thread (a fork copies only the calling thread; a lock another thread held would stay locked in the step)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


_migration_scripts: dict = {}


def read_migration_scripts_once(instance: dg.DagsterInstance) -> None:
    """Dagster reads its ~350 alembic migration scripts anew whenever it opens a storage, four times per step on
    SQLite (a third of a cached step's CPU). They cannot change while a process runs, so this process keeps one
    read per script folder, made here by opening the run's instance once, and every forked step inherits it."""
    from alembic.script import ScriptDirectory

    if not _migration_scripts:
        read = ScriptDirectory.from_config.__func__

        def from_config(cls, config):
            key = (cls, config.get_main_option("script_location"), config.get_main_option("version_locations"))
            if key not in _migration_scripts:
                _migration_scripts[key] = read(cls, config)
            return _migration_scripts[key]

        _migration_scripts[None] = None  # installed
        ScriptDirectory.from_config = classmethod(from_config)
    with dg.DagsterInstance.from_ref(instance.get_ref()) as opened:  # as a step opens it: storages check their
        opened.event_log_storage.get_maximum_record_id()  # schema against the scripts (the event log when used)


@dg.executor(name="multiprocess", config_schema=dg.multiprocess_executor.config_schema,
             requirements=dg.multiprocess_executor.get_requirements)
def forked_multiprocess_executor(init_context: dg.InitExecutorContext):
    """Dagster's multiprocess executor, same config. With no `start_method` in run config, steps fork from the
    run worker (`fork_is_safe`) or else from a fork server preloaded with `step_preload`; run config may still
    choose `spawn`, or `forkserver` with its own preload list."""
    config = dict(init_context.executor_config)
    fork = not config.get("start_method") and fork_is_safe()
    if not fork and "forkserver" in multiprocessing.get_all_start_methods():
        start = config.get("start_method") or {"forkserver": {}}
        if "forkserver" in start:
            preload = start["forkserver"].get("preload_modules") or step_preload(init_context)
            config["start_method"] = {"forkserver": {"preload_modules": preload}}
            _fresh_server_for(preload)
    executor = executor_with_config(dg.multiprocess_executor, init_context, config)
    if fork:
        executor._start_method = "fork"  # Dagster's config offers spawn and forkserver; its executor takes any
        read_migration_scripts_once(init_context.instance)
    return executor
