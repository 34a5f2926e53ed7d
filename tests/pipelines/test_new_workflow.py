"""`aiwf new workflow NAME` writes a working, tested workflow that is registered by its folder alone: in a copy of
the project, `tickets` plus a 20-row tickets_2026-10-02.csv validates, passes its own tests, materializes through
`dagster asset materialize` with its checks passing, and shows in `aiwf prompts list` and `aiwf report`; its YAML form
(`--yaml`: defs.yaml, a pipelines.components.LLMStep) does the same and `dg check defs` / `dg list defs` accept it."""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli.new_workflow import files_for, new_workflow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAY = "2026-10-02"
SECOND_STEP = """---
type: pipelines.components.LLMStep
attributes:
  name: tickets_urgency
  input: {asset: tickets_labels}
  prompt: prompts/tickets_label.yaml
  output:
    fields:
      urgent: {type: bool}
"""


def _copy_project(to: Path) -> Path:
    """The project's code and configuration (no venv, no homes, no other tests) at `to`."""
    skip = shutil.ignore_patterns("__pycache__", ".aiwf", "*.pyc")
    for folder in ("pipelines", "assets", "resources", "sensors", "benchmarks", "deploy"):
        shutil.copytree(ROOT / folder, to / folder, ignore=skip)
    (to / "tests" / "pipelines").mkdir(parents=True)
    for name in ("conftest.py", "local_services.py", "aiwf_state.py"):
        shutil.copy(ROOT / "tests" / name, to / "tests" / name)
    for name in ("pyproject.toml", "workspace.yaml", "dagster.yaml"):
        shutil.copy(ROOT / name, to / name)
    return to


def _run(args: list[str], cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_names_that_would_clash_or_break_are_refused(tmp_path):
    pipelines = tmp_path / "pipelines"
    (pipelines / "tickets").mkdir(parents=True)
    for bad, why in (("Tickets", "lowercase"), ("1x", "lowercase"), ("tickets", "already exists"),
                     ("a-b", "lowercase")):
        with pytest.raises(ValueError, match=why):
            new_workflow(bad, pipelines)


def test_every_file_written_is_valid_python_or_data():
    import yaml

    for path, text in files_for("tickets").items():
        if path.endswith(".py"):
            compile(text, path, "exec")
        elif path.endswith(".yaml"):
            assert yaml.safe_load(text)["name"] == "tickets_label"
        else:
            assert list(pd.read_csv(pd.io.common.StringIO(text)).columns) == ["id", "text", "label"]


def _cli(commands: list[list[str]], cwd: Path, env: dict) -> list[str]:
    """Several `aiwf` commands in one Python process (one start-up instead of several; `aiwf` is `main(argv)`):
    each command's standard output, after asserting each exited 0."""
    script = ("import sys\nfrom pipelines.cli import main\n"
              f"for argv in {commands!r}:\n    print('@@exit', main(argv), flush=True)\n")
    parts = _run([sys.executable, "-c", script], cwd, env).stdout.split("@@exit ")
    outputs, codes = [parts[0]], []
    for part in parts[1:]:
        code, _, rest = part.partition("\n")
        codes.append(int(code))
        outputs.append(rest)
    assert codes == [0] * len(commands), (commands, codes, outputs)
    return outputs[:-1]


def _own_instance(env: dict, home: Path) -> dict:
    """`env` with a Dagster instance of its own: processes side by side would race to create one SQLite storage."""
    (home / "dagster").mkdir(parents=True)
    return {**env, "AIWF_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def _scaffold_and_materialize_a_day(tmp_path, offline_server, *flags: str,
                                    checks: tuple[str, str]) -> tuple[Path, dict, str]:
    """In a copy of the project: `aiwf new workflow tickets *flags`; then, side by side, its own tests, `dagster
    definitions validate`, and a 20-row day materialized through `dagster asset materialize` with both `checks`
    passing, followed by `aiwf prompts list` and `aiwf report` (one process). Returns the report's output."""
    project = _copy_project(tmp_path / "project")
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(project), "AIWF_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "OPENAI_BASE_URL": offline_server.url, "OPENAI_API_KEY": "sk-test", "PYTHONDONTWRITEBYTECODE": "1",
           "VIRTUAL_ENV": str(BIN.parent)}  # dg runs the project in this venv
    env.pop("AIWF_PG_URL", None)
    made = _run([sys.executable, "-m", "pipelines.cli", "new", "workflow", "tickets", *flags], project, env)
    assert "wrote tests/pipelines/test_tickets.py" in made.stdout

    (home / "dagster").mkdir(parents=True)
    inbox = home / "inbox" / "tickets"
    inbox.mkdir(parents=True)
    pd.DataFrame({"id": [f"T-{i:03d}" for i in range(20)],
                  "text": [f"My order {i} arrived late, where is it?" for i in range(20)]}
                 ).to_csv(inbox / f"tickets_{DAY}.csv", index=False)

    def materialize_then_list() -> tuple[str, list[str]]:
        done = _run([str(BIN / "dagster"), "asset", "materialize", "-m", "pipelines.definitions", "--select",
                     "tickets_rows,tickets_labels", "--partition", DAY], project, env)
        return done.stdout + done.stderr, _cli([["prompts", "list", "tickets_label"],
                                                ["report", "--workflow", "tickets", "--json"]], project, env)

    with ThreadPoolExecutor(3) as pool:  # independent processes: the wall time is the longest, not the sum
        own_tests = pool.submit(_run, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                       "tests/pipelines/test_tickets.py"], project,
                                _own_instance(env, tmp_path / "own_tests"))
        validated = pool.submit(_run, [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
                                project, _own_instance(env, tmp_path / "validate"))
        log, (listed, report) = pool.submit(materialize_then_list).result()
        own_tests.result(), validated.result()
    assert "RUN_SUCCESS" in log
    for check, asset in zip(checks, ("tickets_rows", "tickets_labels")):
        assert f"Asset check '{check}' on '{asset}' passed." in log
    assert "tickets_label@1" in listed and "live" in listed
    return project, env, report


def test_a_scaffolded_workflow_validates_materializes_and_shows_in_prompts_list(tmp_path, offline_server):
    project, env, report = _scaffold_and_materialize_a_day(
        tmp_path, offline_server, checks=("tickets_files_are_all_readable", "tickets_labels_are_known_and_unique"))
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*tickets*")) == [
        "pipelines/tickets", "pipelines/tickets/prompts/tickets_label.eval.csv",
        "pipelines/tickets/prompts/tickets_label.yaml", "tests/pipelines/test_tickets.py"]
    tickets = json.loads(report.strip().splitlines()[-1])["workflows"]["tickets"]
    assert (tickets["runs_succeeded"], tickets["llm_calls"], tickets["checks"]) == (1, 20, {"passed": 2, "failed": 0})


def test_every_yaml_file_written_is_valid_and_names_the_component():
    import yaml

    files = files_for("tickets", yaml=True)
    assert "pipelines/tickets/workflow.py" not in files and "pipelines/tickets/__init__.py" not in files
    defs = yaml.safe_load(files["pipelines/tickets/defs.yaml"])
    assert defs["type"] == "pipelines.components.LLMStep" and defs["attributes"]["name"] == "tickets_labels"
    prompt = yaml.safe_load(files["pipelines/tickets/prompts/tickets_label.yaml"])
    assert prompt["name"] == "tickets_label" and "schema" not in prompt  # the schema is in defs.yaml
    compile(files["tests/pipelines/test_tickets.py"], "test_tickets.py", "exec")


def test_a_yaml_workflow_validates_materializes_and_shows_in_dg_and_prompts_list(tmp_path, offline_server):
    """`aiwf new workflow tickets --yaml` (a folder of YAML plus a prompt file) does the same, and `dg check defs`
    and `dg list defs` accept it."""
    project, env, report = _scaffold_and_materialize_a_day(
        tmp_path, offline_server, "--yaml", checks=("tickets_files_are_all_readable", "tickets_labels_fit_the_schema"))
    assert sorted(p.relative_to(project).as_posix() for p in (project / "pipelines" / "tickets").rglob("*")) == [
        "pipelines/tickets/defs.yaml", "pipelines/tickets/prompts", "pipelines/tickets/prompts/tickets_label.eval.csv",
        "pipelines/tickets/prompts/tickets_label.yaml"]
    tickets = json.loads(report.strip().splitlines()[-1])["workflows"]["tickets"]
    assert (tickets["runs_succeeded"], tickets["llm_calls"], tickets["checks"]) == (1, 20, {"passed": 2, "failed": 0})
    with open(project / "pipelines" / "tickets" / "defs.yaml", "a") as defs:  # a second step reading the first
        defs.write(SECOND_STEP)
    with ThreadPoolExecutor(2) as pool:
        checked = pool.submit(_run, [str(BIN / "dg"), "check", "defs"], project, env)
        listed = pool.submit(_run, [str(BIN / "dg"), "list", "defs", "--json"], project,
                             _own_instance(env, tmp_path / "list"))
        assert "All definitions loaded successfully" in checked.result().stdout
        listed = json.loads(listed.result().stdout)
    assert {"tickets_rows", "tickets_labels", "tickets_urgency"} <= {a["asset_key"] for a in listed["assets"]}
    checks = {c["key"]: c.get("source", "") for c in listed["asset_checks"]}
    assert checks["tickets_urgency:tickets_urgency_fit_the_schema"].startswith("pipelines/tickets/defs.yaml:")
