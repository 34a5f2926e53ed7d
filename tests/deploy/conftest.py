"""Fixtures for the deploy tests: a fresh Postgres database per session, the deploy/ Dagster instance on
it, the local Redis broker, and an in-process code location for tests/deploy/deploy_jobs.py.

A missing service fails the test when CI=true and skips it elsewhere."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from local_services import require_redis, require_service, scratch_pg_database

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_database():
    """URL of a database created for this session (dropped after), so runs never mix with others'."""
    with scratch_pg_database("aiwf_deploy") as url:
        yield url  # a plain postgresql:// URL, as users write it


@pytest.fixture(scope="session")
def redis_url():
    """The local Redis, checked with a PING."""
    return require_redis()


@pytest.fixture(scope="session")
def amqp_url():
    """The local RabbitMQ, checked with an AMQP handshake."""
    from kombu import Connection

    if not _port_open(5672):
        require_service("RabbitMQ", "nothing listens on 127.0.0.1:5672")
    try:
        with Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.connect()
    except Exception as exc:  # kombu raises transport-specific errors
        require_service("RabbitMQ", f"guest@127.0.0.1:5672 ({type(exc).__name__})")
    return AMQP_URL


@pytest.fixture
def celery_workers():
    """Starts `aiwf worker` processes (`start(names, concurrency=1)`, after the broker and queue variables are
    set) and waits until each answers a ping; every one started is stopped (warm shutdown) after the test."""
    started: list[subprocess.Popen] = []

    def start(names: list[str], concurrency: int = 1, timeout: float = 60) -> list[subprocess.Popen]:
        from pipelines.executor import celery_urls

        workers = [subprocess.Popen([sys.executable, "-m", "pipelines.cli.worker", "--name", name, "--concurrency",
                                     str(concurrency), "--loglevel", "WARNING"], start_new_session=True)
                   for name in names]
        started.extend(workers)
        _wait_until_ready(celery_urls()[0], [f"{n}@{socket.gethostname()}" for n in names], workers, timeout)
        return workers

    yield start
    stop_workers(started)


def _wait_until_ready(broker: str, nodes: list[str], workers: list[subprocess.Popen], timeout: float) -> None:
    from celery import Celery

    control = Celery(broker=broker)
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert all(w.poll() is None for w in workers), "a worker exited during start-up"
        replies = control.control.ping(destination=nodes, timeout=1.0) or []
        if {name for reply in replies for name in reply} >= set(nodes):
            return
        time.sleep(0.5)
    raise AssertionError(f"workers {nodes} did not answer a ping within {timeout}s")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """Warm shutdown of each worker and its pool processes (SIGTERM to the group), SIGKILL after 20 s."""
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()


def write_instance_yaml(dagster_home: Path, overrides: dict | None = None) -> Path:
    """deploy/dagster.yaml (with top-level overrides) as DAGSTER_HOME/dagster.yaml."""
    config = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    config.update(overrides or {})
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return dagster_home


@pytest.fixture
def deploy_env(pg_database, tmp_path, monkeypatch):
    """DAGSTER_HOME holding deploy/dagster.yaml, DAGSTER_PG_URL and AIWF_PG_URL on the session database,
    and deploy_jobs importable by the subprocesses the tests start."""
    home = write_instance_yaml(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", pg_database)
    monkeypatch.setenv("AIWF_PG_URL", pg_database)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(REPO), os.environ.get("PYTHONPATH", "")]))
    return home


@pytest.fixture
def deploy_instance(deploy_env):
    """The Dagster instance built from deploy/dagster.yaml (Postgres storage)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(deploy_env)) as instance:
        yield instance


@pytest.fixture
def code_location():
    """Builds in-process workspaces over deploy_jobs.py and creates runs with real job origins."""
    return CodeLocation()


class CodeLocation:
    """The deploy test jobs as a code location, as the daemon and webserver see a workspace."""

    def workspace(self, instance, grpc: bool = False):
        """In-process by default; grpc=True serves the jobs from a code server process, as on a team
        server, so the DefaultRunLauncher can launch run workers from it."""
        from sensors.dagster_internals import (
            InProcessCodeLocationOrigin,
            InProcessWorkspaceLoadTarget,
            LoadableTargetOrigin,
            WorkspaceProcessContext,
        )

        if grpc:
            return _grpc_workspace(instance)
        origin = InProcessCodeLocationOrigin(
            LoadableTargetOrigin(python_file=str(HERE / "deploy_jobs.py"), working_directory=str(HERE)),
            location_name="deploy_jobs",
        )
        return WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin))

    def create_run(self, instance, workspace_ctx, job_name: str, run_config=None, tags=None):
        """A NOT_STARTED run carrying the origins that submit_run, launchers and retries need."""
        import deploy_jobs

        location = workspace_ctx.create_request_context().get_code_location("deploy_jobs")
        repo = next(iter(location.get_repositories().values()))
        remote_job = repo.get_full_job(job_name)
        return instance.create_run_for_job(
            job_def=deploy_jobs.defs.resolve_job_def(job_name),
            run_config=run_config or {},
            tags=tags or {},
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )


@contextmanager
def _grpc_workspace(instance):
    """A `dagster api grpc` code server we own (stopped on exit, unlike daemon-managed ones that linger
    until their heartbeat times out) and a workspace pointing at it."""
    from sensors.dagster_internals import DagsterGrpcClient, GrpcServerTarget, WorkspaceProcessContext

    sock = os.path.join(tempfile.mkdtemp(prefix="aiwf-grpc-"), "s")
    server = subprocess.Popen([sys.executable, "-m", "dagster", "api", "grpc", "-f", str(HERE / "deploy_jobs.py"),
                               "-d", str(HERE), "--socket", sock, "--location-name", "deploy_jobs"])
    try:
        deadline = time.time() + 60
        while True:
            try:
                DagsterGrpcClient(socket=sock).ping("")
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("the deploy_jobs code server did not start") from None
                time.sleep(0.3)
        target = GrpcServerTarget(host="localhost", port=None, socket=sock, location_name="deploy_jobs")
        with WorkspaceProcessContext(instance, target) as ctx:
            yield ctx
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
