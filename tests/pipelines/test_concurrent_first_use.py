"""Two processes opening one fresh AIWF_HOME at the same instant both succeed and leave a healthy instance.

Without the first-use lock (resources/state/home.py) both would create Dagster's SQLite storage at once: one
crashed ("table runs already exists") or both stamped alembic, leaving two heads that fail every later run.
Each child imports Dagster first and then waits for a shared start signal, so the two really open together.
"""

import sqlite3
import subprocess
import sys
import time

import dagster as dg

CHILD = """
import pathlib, sys, time
import dagster as dg
from resources.state.home import open_dagster_instance

@dg.op
def noop():
    pass

@dg.job
def first_use_job():
    noop()

here = pathlib.Path(sys.argv[1])
(here / f"ready-{sys.argv[2]}").touch()
while not (here / "go").exists():
    time.sleep(0.005)
with open_dagster_instance() as instance:
    assert first_use_job.execute_in_process(instance=instance).success
"""


@dg.asset
def later_asset() -> int:
    return 1


def _alembic_heads(dagster_home) -> dict:
    heads = {}
    for db in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        with sqlite3.connect(dagster_home / db) as conn:
            heads[db] = conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
    return heads


def test_two_processes_initialising_one_fresh_home_both_succeed(aiwf_home, tmp_path, monkeypatch):
    sync = tmp_path / "sync"
    sync.mkdir()
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(sync), str(i)], stderr=subprocess.PIPE, text=True)
                for i in (1, 2)]
    deadline = time.time() + 60
    while not all((sync / f"ready-{i}").exists() for i in (1, 2)) and time.time() < deadline:
        time.sleep(0.01)
    (sync / "go").touch()
    errors = [child.communicate(timeout=120)[1] for child in children]

    assert [child.returncode for child in children] == [0, 0], errors
    dagster_home = aiwf_home / "dagster"
    assert set(_alembic_heads(dagster_home).values()) == {1}, _alembic_heads(dagster_home)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    with dg.DagsterInstance.get() as instance:  # a later user finds both runs and can add its own
        runs = instance.get_runs()
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        assert dg.materialize([later_asset], instance=instance).success
