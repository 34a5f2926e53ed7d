"""Every AIWF_* variable the framework reads is documented in the variable table of docs/reference.md.

The framework is resources/, assets/, sensors/, benchmarks/, pipelines/ (its CLI, wiring and the shipped
workflows), the Makefile and deploy/. A team's own workflow folder (pipelines/<name>/ with a workflow module, not
one of the shipped ones) may read its own variables; they belong in that team's docs, and do not break this test.
"""

import re
import shutil
from pathlib import Path

from pipelines.discovery import workflow_names

ROOT = Path(__file__).resolve().parents[1]
TABLE_FILE = "docs/reference.md"
NAME = re.compile(r"AIWF_[A-Z0-9_]+")
SECTION = "## Environment variables"
SHIPPED_WORKFLOWS = {"catalog", "content_ops", "memory_maintenance", "order_recovery", "returns_triage",
                     "workflow_health"}


def framework_files(root: Path = ROOT) -> list[Path]:
    """The framework's code and configuration: every package but a team's own workflow folders."""
    teams = set(workflow_names(root / "pipelines")) - SHIPPED_WORKFLOWS
    files = [path for package in ("pipelines", "assets", "resources", "sensors", "benchmarks")
             for path in (root / package).rglob("*.py")
             if not (package == "pipelines" and path.relative_to(root / package).parts[0] in teams)]
    return [*files, root / "Makefile", *(root / "deploy").rglob("*.yaml")]


def names_in_code(root: Path = ROOT) -> dict[str, list[str]]:
    """Each AIWF_* token in the framework's files, with the files it appears in."""
    found: dict[str, list[str]] = {}
    for path in framework_files(root):
        for name in set(NAME.findall(path.read_text(encoding="utf-8"))):
            found.setdefault(name, []).append(str(path.relative_to(root)))
    return found


def names_in_table(text: str) -> set[str]:
    """The variables named in the first cell of each row of the environment-variable table."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    first_cells = [row.split("|")[1] for row in rows]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def undocumented(code: dict[str, list[str]], documented: set[str]) -> dict[str, list[str]]:
    return {name: files for name, files in sorted(code.items()) if name not in documented}


def _table(root: Path = ROOT) -> set[str]:
    return names_in_table((root / TABLE_FILE).read_text(encoding="utf-8"))


def test_every_aiwf_variable_the_framework_reads_is_in_the_table():
    missing = undocumented(names_in_code(), _table())
    assert not missing, f"AIWF_* variables read in code but missing from the table in {TABLE_FILE}: " + \
        "; ".join(f"{name} ({', '.join(sorted(files))})" for name, files in missing.items())


def test_the_table_documents_the_standard_variables_aiwf_honours():
    standard = {"OPENAI_BASE_URL", "OPENAI_API_KEY", "DAGSTER_HOME", "DAGSTER_PG_URL", "LANCEDB_LOG"}
    assert standard <= _table(), f"missing from the table in {TABLE_FILE}: {sorted(standard - _table())}"


def test_the_readme_links_to_the_table():
    assert TABLE_FILE in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_name_mentioned_outside_the_table_does_not_count(tmp_path):
    for folder in ("resources", "deploy", "pipelines"):
        (tmp_path / folder).mkdir()
    (tmp_path / "Makefile").write_text("export AIWF_HOME ?= .aiwf\n")
    (tmp_path / "resources" / "fake.py").write_text('os.environ.get("AIWF_NOT_DOCUMENTED")\n')
    text = ("AIWF_NOT_DOCUMENTED is mentioned in prose.\n\n## Environment variables\n\n"
            "| variable | what it does |\n| --- | --- |\n| `AIWF_HOME` | the home; see AIWF_NOT_DOCUMENTED |\n\n"
            "## Next\n\n| `AIWF_NOT_DOCUMENTED` | another table |\n")
    missing = undocumented(names_in_code(tmp_path), names_in_table(text))
    assert missing == {"AIWF_NOT_DOCUMENTED": ["resources/fake.py"]}


def test_a_teams_workflow_variable_does_not_break_the_test_but_a_framework_one_would(tmp_path):
    """A copy of the framework plus a team's workflow folder reading AIWF_TICKETS_DIR: still documented."""
    for folder in ("pipelines", "assets", "resources", "sensors", "benchmarks", "deploy", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    before = undocumented(names_in_code(tmp_path), _table(tmp_path))
    team = tmp_path / "pipelines" / "tickets"
    team.mkdir()
    (team / "__init__.py").write_text("")
    (team / "workflow.py").write_text('FOLDER = "AIWF_TICKETS_DIR"  # the team\'s own inbox override\n')
    assert undocumented(names_in_code(tmp_path), _table(tmp_path)) == before
    (tmp_path / "resources" / "new_knob.py").write_text('os.environ.get("AIWF_NEW_FRAMEWORK_KNOB")\n')
    assert undocumented(names_in_code(tmp_path), _table(tmp_path)) == {
        **before, "AIWF_NEW_FRAMEWORK_KNOB": ["resources/new_knob.py"]}
