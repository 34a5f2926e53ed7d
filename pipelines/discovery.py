"""Which workflows the Definitions load: every package `pipelines/<name>/` with a `workflow` module, and every
folder `pipelines/<name>/` with a `defs.yaml` (Dagster Components such as `pipelines.components.LLMStep`).

A team adds a workflow by adding its folder (`aiwf new workflow NAME` writes a Python one, `--yaml` a YAML one);
nothing else is edited. Finding them imports modules and reads component YAML and prompt files, nothing more: no
data is read, no client started (the import rules of each workflow hold).
"""

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

PIPELINES = Path(__file__).resolve().parent  # this folder, not `pipelines.__path__` (tests/pipelines shadows it)
WORKFLOW_MODULE = "workflow"  # pipelines/<name>/workflow.py exposes assets, asset_checks, jobs, schedules, sensors
COMPONENT_FILE = "defs.yaml"  # pipelines/<name>/defs.yaml: the workflow's components, loaded by Dagster
KINDS = ("assets", "asset_checks", "jobs", "schedules", "sensors")


def python_workflow_names(root: Path = PIPELINES) -> list[str]:
    """The names of the packages in `root` that hold a workflow module, sorted."""
    packages = sorted(m.name for m in pkgutil.iter_modules([str(root)]) if m.ispkg)
    return [name for name in packages
            if any(m.name == WORKFLOW_MODULE for m in pkgutil.iter_modules([str(root / name)]))]


def component_workflow_names(root: Path = PIPELINES) -> list[str]:
    """The names of the folders in `root` that hold a defs.yaml, sorted."""
    return sorted(path.parent.name for path in root.glob(f"*/{COMPONENT_FILE}"))


def workflow_names(root: Path = PIPELINES) -> list[str]:
    """Every workflow folder in `root` (Python or YAML), sorted."""
    return sorted({*python_workflow_names(root), *component_workflow_names(root)})


def workflow_modules(root: Path = PIPELINES) -> list[ModuleType]:
    """Every workflow in `root`, in name order: the workflow module of a Python one (a package named like the
    folder), a module built from the components of a YAML one (component_workflow)."""
    python, components = set(python_workflow_names(root)), set(component_workflow_names(root))
    modules = []
    for name in workflow_names(root):
        if name in python:
            modules.append(importlib.import_module(f"{root.name}.{name}.{WORKFLOW_MODULE}"))
        if name in components:
            modules.append(component_workflow(name, root))
    return modules


def component_workflow(name: str, root: Path = PIPELINES) -> ModuleType:
    """The definitions Dagster's component loader builds from pipelines/<name>/defs.yaml, as a module named
    `pipelines.<name>.defs` exposing assets, asset_checks, jobs, schedules, sensors and prompt_evals."""
    import dagster as dg

    folder = root / name
    tree = dg.ComponentTree.from_module(defs_module=importlib.import_module(f"{root.name}.{name}"),
                                        project_root=root.parent)
    defs = tree.build_defs(folder)  # this folder's components only (no app-managed ones from a Dagster+ store)
    module = ModuleType(f"{root.name}.{name}.defs", f"{name}: the components of {folder / COMPONENT_FILE}")
    module.__file__ = str(folder / COMPONENT_FILE)
    for kind in KINDS:
        setattr(module, kind, list(getattr(defs, kind) or []))
    components = {id(c): c for c in tree.get_all_components(dg.Component)}.values()
    module.prompt_evals = [spec for c in components for spec in getattr(c, "prompt_evals", [])]
    return module
