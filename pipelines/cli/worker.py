"""`aiwf worker`: a dagster-celery worker on the broker in AIWF_CELERY_BROKER (default local Redis).

It does what `dagster-celery worker start -A dagster_celery.app` does (write the broker settings into a
`dagster_celery_config` module the app imports, then run `celery worker`), but replaces itself with the
celery process instead of waiting on it as a child, so a pid file and a signal reach the real worker.
The definitions module is imported once by the worker before it forks its pool processes (Celery's
`imports`), so no step waits for dagster, pandas and the workflows to load in a fresh process.
"""

import argparse
import os
import socket
import sys
from pathlib import Path

from pipelines.executor import celery_queue, celery_settings, celery_urls
from resources.state.home import ensure_dagster_home, home_path

DEFINITIONS_MODULE = "pipelines.definitions"  # what workspace.yaml loads; steps rebuild their job from it


def write_celery_config(name: str, queue: str, preload: list[str] | None = None) -> Path:
    """The folder holding this worker's `dagster_celery_config.py` (private: it may hold a password).
    `preload`: modules the worker imports before forking its pool (default: the definitions module)."""
    broker, backend = celery_urls()
    folder = home_path("run", "celery", name)
    settings = {"broker_url": broker, "result_backend": backend, **celery_settings(),
                "task_default_queue": queue,
                "imports": [DEFINITIONS_MODULE] if preload is None else [m for m in preload if m]}
    target = folder / "dagster_celery_config.py"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    return folder


def worker_command(name: str, queue: str, concurrency: int, loglevel: str) -> list[str]:
    """The celery command line: one queue, one task prefetched per process, node name `name@host`."""
    celery = Path(sys.executable).with_name("celery")
    return [
        str(celery) if celery.exists() else "celery", "-A", "dagster_celery.app", "worker",
        "-Q", queue, "-n", f"{name}@{socket.gethostname()}", "--concurrency", str(concurrency),
        "--prefetch-multiplier=1", "--loglevel", loglevel, "--without-mingle", "--without-gossip",
    ]


def run(args: argparse.Namespace) -> int:
    """Write the config module, then exec the worker (it inherits DAGSTER_HOME, DAGSTER_PG_URL, AIWF_*)."""
    if args.concurrency < 1:
        print("aiwf worker: --concurrency must be at least 1", file=sys.stderr)
        return 2
    ensure_dagster_home()  # steps open the run's instance; the default one lives under AIWF_HOME
    queue = args.queue or celery_queue()
    folder = write_celery_config(args.name, queue, args.preload)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.getcwd(), env.get("PYTHONPATH")) if p)
    command = worker_command(args.name, queue, args.concurrency, args.loglevel)
    print(f"aiwf worker {args.name}: queue {queue}, {args.concurrency} process(es)", flush=True)
    os.execvpe(command[0], command, env)
    return 0  # not reached


def add_cli(sub) -> None:
    """Register `aiwf worker`."""
    p = sub.add_parser("worker", help="start a Celery worker that executes run steps (AIWF_EXECUTOR=celery)")
    p.add_argument("--name", default=f"aiwf-{os.getpid()}", help="node name, unique per host (default aiwf-<pid>)")
    p.add_argument("--queue", default=None, help="queue to consume (default AIWF_CELERY_QUEUE or dagster)")
    p.add_argument("--concurrency", "-c", type=int, default=1, help="step processes in this worker (default 1)")
    p.add_argument("--loglevel", default="INFO", help="celery log level (default INFO)")
    p.add_argument("--preload", action="append", default=None, metavar="MODULE",
                   help=f"import MODULE before forking step processes (repeatable; default {DEFINITIONS_MODULE}; "
                        "--preload '' for none)")
    p.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    """Entry point without the rest of the aiwf CLI (used by tests and process managers)."""
    parser = argparse.ArgumentParser(prog="aiwf worker")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["worker", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
