"""Every AIWF_* variable the code reads is documented in the README's table of environment variables."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"AIWF_[A-Z0-9_]+")
SECTION = "## Environment variables"


def names_in_code(root: Path = ROOT) -> dict[str, list[str]]:
    """Each AIWF_* token in the code, configuration and Makefile, with the files it appears in."""
    files = [path for package in ("pipelines", "assets", "resources", "sensors", "benchmarks")
             for path in (root / package).rglob("*.py")]
    files += [root / "Makefile", *(root / "deploy").rglob("*.yaml")]
    found: dict[str, list[str]] = {}
    for path in files:
        for name in set(NAME.findall(path.read_text(encoding="utf-8"))):
            found.setdefault(name, []).append(str(path.relative_to(root)))
    return found


def names_in_readme_table(readme: str) -> set[str]:
    """The variables named in the first cell of each row of the README's environment-variable table."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    first_cells = [row.split("|")[1] for row in rows]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def undocumented(code: dict[str, list[str]], documented: set[str]) -> dict[str, list[str]]:
    return {name: files for name, files in sorted(code.items()) if name not in documented}


def test_every_aiwf_variable_read_in_code_is_in_the_readme_table():
    code = names_in_code()
    documented = names_in_readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = undocumented(code, documented)
    assert not missing, "AIWF_* variables read in code but missing from the README's environment-variable table: " + \
        "; ".join(f"{name} ({', '.join(sorted(files))})" for name, files in missing.items())


def test_the_table_documents_the_standard_variables_aiwf_honours():
    documented = names_in_readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    standard = {"OPENAI_BASE_URL", "OPENAI_API_KEY", "DAGSTER_HOME", "DAGSTER_PG_URL", "LANCEDB_LOG"}
    assert standard <= documented, f"missing from the README table: {sorted(standard - documented)}"


def test_a_name_mentioned_outside_the_table_does_not_count(tmp_path):
    (tmp_path / "resources").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "Makefile").write_text("export AIWF_HOME ?= .aiwf\n")
    (tmp_path / "resources" / "fake.py").write_text('os.environ.get("AIWF_NOT_DOCUMENTED")\n')
    readme = ("AIWF_NOT_DOCUMENTED is mentioned in prose.\n\n## Environment variables\n\n"
              "| variable | what it does |\n| --- | --- |\n| `AIWF_HOME` | the home; see AIWF_NOT_DOCUMENTED |\n\n"
              "## Next\n\n| `AIWF_NOT_DOCUMENTED` | another table |\n")
    missing = undocumented(names_in_code(tmp_path), names_in_readme_table(readme))
    assert missing == {"AIWF_NOT_DOCUMENTED": ["resources/fake.py"]}
