"""Where a run's steps execute: processes on the run worker's machine (default) or Celery workers.

One switch, AIWF_EXECUTOR=celery, moves every job's steps onto the workers started with `aiwf worker`;
the broker, result backend and queue are read from the same variables on both sides, so the run and
its workers always agree. Broker URLs may hold passwords: they are passed as Dagster env references,
resolved at run time, never baked into a job definition.

Under the multiprocess executor, step processes fork from a warm server (Dagster's `start_method:
forkserver`) instead of each starting Python and importing dagster, pandas, the definitions and the
instance's storage modules anew: that start-up was most of a cached run (`forked_multiprocess_executor`).
"""

import multiprocessing
import multiprocessing.forkserver
import os
import sys

import dagster as dg

from sensors.dagster_internals import executor_with_config, instance_modules

EXECUTOR_ENV = "AIWF_EXECUTOR"  # multiprocess (default) | celery | k8s
BROKER_ENV = "AIWF_CELERY_BROKER"  # redis://... or amqp://...
BACKEND_ENV = "AIWF_CELERY_BACKEND"  # default: the broker (Redis), or rpc:// for an AMQP broker
QUEUE_ENV = "AIWF_CELERY_QUEUE"  # default: dagster
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "dagster"

# Celery settings both the executor and the workers use. Tasks are acknowledged on receipt (Celery's
# default): a step whose worker dies is not silently run twice; the run watchdog fails the run and
# Dagster's run retry re-executes it from failure. Workers import the telemetry hooks before forking their
# pool (`include`, kept apart from the `imports` that `aiwf worker --preload` sets), so a step's spans are
# exported when it ends, not when a long-lived pool process exits.
CELERY_SETTINGS = {"broker_connection_retry_on_startup": True, "worker_prefetch_multiplier": 1,
                   "include": ["resources.telemetry.celery_hooks"]}


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
        "config_source": {**CELERY_SETTINGS, "task_default_queue": celery_queue()},
    }


def run_executor() -> dg.ExecutorDefinition:
    """The executor for Definitions(executor=...): multiprocess by default, Celery workers with
    AIWF_EXECUTOR=celery, one Kubernetes pod per step with AIWF_EXECUTOR=k8s (needs dagster-k8s)."""
    choice = (os.environ.get(EXECUTOR_ENV) or "multiprocess").lower()
    if choice == "multiprocess":
        return forked_multiprocess_executor
    if choice == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_executor_config(), name="celery")
    if choice == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError:
            hint = "pip install 'dagster-k8s>=0.29,<0.30'"
            raise ValueError(f"{EXECUTOR_ENV}=k8s needs dagster-k8s: {hint}") from None
        return k8s_job_executor
    raise ValueError(f"{EXECUTOR_ENV} must be multiprocess, celery or k8s, got {choice!r}")


# What a step process needs before its first line of work, imported once per run by the fork server:
# Dagster's step machinery, the code location's module and the modules the run's instance is built from
# (storage, run launcher, compute logs: without them each step spent a second importing them to open the
# instance). Importing opens nothing: no store, pool or thread exists in the server, so a forked step
# starts with none either. Steps import what only they use (great-expectations, LanceDB) themselves.
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


@dg.executor(name="multiprocess", config_schema=dg.multiprocess_executor.config_schema,
             requirements=dg.multiprocess_executor.get_requirements)
def forked_multiprocess_executor(init_context: dg.InitExecutorContext):
    """Dagster's multiprocess executor, same config; `start_method` defaults to forkserver with the
    modules of `step_preload` (run config may still choose `spawn` or its own preload list)."""
    config = dict(init_context.executor_config)
    if "forkserver" in multiprocessing.get_all_start_methods():
        start = config.get("start_method") or {"forkserver": {}}
        if "forkserver" in start:
            preload = start["forkserver"].get("preload_modules") or step_preload(init_context)
            config["start_method"] = {"forkserver": {"preload_modules": preload}}
            _fresh_server_for(preload)
    return executor_with_config(dg.multiprocess_executor, init_context, config)
