"""`aiwf new workflow NAME`: a working, tested workflow package a team edits, registered by being there.

It writes pipelines/NAME/ (workflow.py: daily CSV files NAME_YYYY-MM-DD.csv with columns id and text from
$AIWF_HOME/inbox/NAME/, one label per row through llm_map, checks, NAME_job, a file-drop sensor, an eval set;
prompts/NAME_label.yaml, a versioned prompt; prompts/NAME_label.eval.csv, its eval set stub) and
tests/pipelines/test_NAME.py. With --yaml, defs.yaml (a pipelines.components.LLMStep) replaces workflow.py and
__init__.py: the same workflow as a folder of YAML. pipelines/discovery.py finds the folder: no other file is edited.
"""

import re
from pathlib import Path

from pipelines.cli import new_workflow_templates as templates
from pipelines.cli import new_workflow_yaml as yaml_templates

NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
PIPELINES = Path(__file__).resolve().parents[1]


def _check_name(name: str, pipelines: Path) -> None:
    if not NAME.match(name) or name.endswith("_"):
        raise ValueError(f"workflow name {name!r}: use 2-31 lowercase letters, digits and underscores, "
                         "starting with a letter (it names the folder, the group, NAME_job and the inbox)")
    if (pipelines / name).exists():
        raise ValueError(f"pipelines/{name} already exists: pick another name or edit that workflow")
    if any(pipelines.glob(f"*/prompts/{name}_label.yaml")):
        raise ValueError(f"a prompt named {name}_label already exists")


def files_for(name: str, yaml: bool = False) -> dict[str, str]:
    """Relative path (from the project root) → content of every file the scaffold writes (`yaml`: the YAML form)."""
    camel = "".join(part.capitalize() for part in name.split("_"))

    def fill(text: str) -> str:
        return text.replace("{{name}}", name).replace("{{Name}}", camel).replace("{{NAME}}", name.upper())

    if yaml:
        return {f"pipelines/{name}/defs.yaml": fill(yaml_templates.DEFS),
                f"pipelines/{name}/prompts/{name}_label.yaml": fill(yaml_templates.PROMPT),
                f"pipelines/{name}/prompts/{name}_label.eval.csv": fill(templates.EVAL_SET),
                f"tests/pipelines/test_{name}.py": fill(yaml_templates.TEST)}
    return {f"pipelines/{name}/__init__.py": fill(templates.INIT),
            f"pipelines/{name}/workflow.py": fill(templates.WORKFLOW),
            f"pipelines/{name}/prompts/{name}_label.yaml": fill(templates.PROMPT),
            f"pipelines/{name}/prompts/{name}_label.eval.csv": fill(templates.EVAL_SET),
            f"tests/pipelines/test_{name}.py": fill(templates.TEST)}


def new_workflow(name: str, pipelines: Path = PIPELINES, yaml: bool = False) -> list[Path]:
    """Write the workflow `name` (`yaml`: as a folder of YAML) into the project whose pipelines package is
    `pipelines`; the files written. The test goes under tests/pipelines/ when the project has a tests folder."""
    _check_name(name, pipelines)
    root, written = pipelines.parent, []
    for relative, content in files_for(name, yaml).items():
        path = root / relative
        if relative.startswith("tests/") and not (root / "tests").is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def add_cli(sub) -> None:
    p = sub.add_parser("new", help="scaffold a new workflow (aiwf new workflow NAME)")
    kinds = p.add_subparsers(dest="kind", required=True)
    w = kinds.add_parser("workflow", help="write pipelines/NAME/: CSV inbox → model labels → checks, job, sensor, "
                                          "eval set, and its test")
    w.add_argument("name", help="lowercase name, e.g. tickets")
    w.add_argument("--yaml", action="store_true",
                   help="write the workflow as pipelines/NAME/defs.yaml (a pipelines.components.LLMStep) and a "
                        "prompt file instead of workflow.py")

    def run(args) -> int:
        import sys

        try:
            written = new_workflow(args.name, yaml=args.yaml)
        except ValueError as exc:
            print(f"aiwf new workflow: {exc}", file=sys.stderr)
            return 2
        root = PIPELINES.parent
        print("\n".join(f"wrote {p.relative_to(root)}" for p in written))
        print((yaml_templates if args.yaml else templates).NEXT_STEPS.replace("{{name}}", args.name))
        return 0

    w.set_defaults(func=run)
