"""Where aiwf keeps its state: everything lives under AIWF_HOME (default ./.aiwf)."""

import os
import shutil
from pathlib import Path

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


def ensure_dagster_home() -> Path:
    """Default DAGSTER_HOME to $AIWF_HOME/dagster, seeded once from the repo's dagster.yaml."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(aiwf_home() / "dagster")
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists() and (PROJECT_ROOT / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", config)
    return dagster_home
