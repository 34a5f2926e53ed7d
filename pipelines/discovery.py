"""Which workflows the Definitions load: every package `pipelines/<name>/` with a `workflow` module.

A team adds a workflow by adding its folder (`aiwf new workflow NAME` writes one); nothing else is edited. Finding
them imports modules and nothing more: no file is read, no client started (the import rules of each workflow hold).
"""

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

PIPELINES = Path(__file__).resolve().parent  # this folder, not `pipelines.__path__` (tests/pipelines shadows it)
WORKFLOW_MODULE = "workflow"  # pipelines/<name>/workflow.py exposes assets, asset_checks, jobs, schedules, sensors


def workflow_names(root: Path = PIPELINES) -> list[str]:
    """The names of the packages in `root` that hold a workflow module, sorted."""
    packages = sorted(m.name for m in pkgutil.iter_modules([str(root)]) if m.ispkg)
    return [name for name in packages
            if any(m.name == WORKFLOW_MODULE for m in pkgutil.iter_modules([str(root / name)]))]


def workflow_modules(root: Path = PIPELINES) -> list[ModuleType]:
    """Every workflow module in `root` (a package named like the folder), imported, in name order."""
    return [importlib.import_module(f"{root.name}.{name}.{WORKFLOW_MODULE}") for name in workflow_names(root)]
