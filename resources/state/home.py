"""Where aiwf keeps its state: everything lives under AIWF_HOME (default ./.aiwf)."""

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# The project checkout (resources/state/home.py sits two folders down): its dagster.yaml seeds a new home.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def aiwf_home() -> Path:
    """AIWF_HOME, created on first use; read at call time so tests and the CLI can point it elsewhere."""
    home = Path(os.environ.get("AIWF_HOME") or ".aiwf").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def home_path(*parts: str) -> Path:
    """A folder under AIWF_HOME (created), e.g. home_path("quarantine")."""
    path = aiwf_home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _first_use_lock(dagster_home: Path) -> Iterator[None]:
    """An exclusive flock on DAGSTER_HOME/.aiwf-init.lock: two processes setting up one fresh home would
    otherwise both create Dagster's SQLite tables and stamp alembic twice, leaving a home no run can use."""
    try:
        lock = open(dagster_home / ".aiwf-init.lock", "a")
    except OSError:  # a read-only DAGSTER_HOME (a mounted config): its storage lives elsewhere
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, and by the kernel if we die
        yield


def _seed_config(dagster_home: Path) -> None:
    """Copy the repo's dagster.yaml into a home that has none."""
    config = dagster_home / "dagster.yaml"
    if not config.exists() and (PROJECT_ROOT / "dagster.yaml").exists():
        partial = config.with_name(f".dagster.yaml.{os.getpid()}")  # a reader never sees half a file
        shutil.copy(PROJECT_ROOT / "dagster.yaml", partial)
        os.replace(partial, config)


def _dagster_home_dir() -> Path:
    """DAGSTER_HOME (default $AIWF_HOME/dagster, exported for Dagster), created."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(aiwf_home() / "dagster")
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    return dagster_home


def ensure_dagster_home() -> Path:
    """Default DAGSTER_HOME to $AIWF_HOME/dagster, seeded once from the repo's dagster.yaml."""
    dagster_home = _dagster_home_dir()
    with _first_use_lock(dagster_home):
        _seed_config(dagster_home)
    return dagster_home


def open_dagster_instance():
    """DagsterInstance.get() on ensure_dagster_home(), opened under the first-use lock: opening is when Dagster
    creates and migrates its storage, so concurrent first runs on one home take turns instead of racing."""
    from dagster import DagsterInstance

    dagster_home = _dagster_home_dir()
    with _first_use_lock(dagster_home):
        _seed_config(dagster_home)
        return DagsterInstance.get()
