"""Step processes fork from the run worker when it runs one thread, else from a warm server (pipelines/executor.py):
each run's steps see that run's environment, the server imports what steps need and nothing that starts a thread
or is heavy, and spawn stays available."""

import json
import multiprocessing.forkserver
import os
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from pipelines.executor import (
    fork_is_safe,
    forked_multiprocess_executor,
    read_migration_scripts_once,
    run_executor,
    step_preload,
)

ROOT = Path(__file__).resolve().parents[2]


@dg.op
def where_am_i() -> dict:
    return {"home": os.environ["AIWF_HOME"], "pid": os.getpid(), "parent": os.getppid(),
            "warm": "pipelines.definitions" in sys.modules}


@dg.job(executor_def=forked_multiprocess_executor)
def where_job():
    where_am_i()


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A stored instance for runs with step processes, and this module importable by the fork server (Python
    3.11's server preloads before it takes the run's sys.path, so it sees the environment's PYTHONPATH)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        yield instance
    multiprocessing.forkserver._forkserver._stop()  # the server outlives runs; leave none to later tests


FORKSERVER = {"execution": {"config": {"start_method": {"forkserver": {}}}}}  # the fallback, chosen explicitly


def test_steps_fork_from_a_single_threaded_run_worker_with_the_definitions_already_imported(tmp_path):
    """The run worker is a process of its own here, as `dagster job execute` or a launched run is (this test's
    process may run threads, and then steps would fork from the server instead)."""
    code = ("import json, os, dagster as dg, pipelines.definitions\n"
            "from test_step_processes import where_job\n"
            f"with dg.DagsterInstance.local_temp({str(tmp_path)!r}) as instance:\n"
            "    with dg.execute_job(dg.reconstructable(where_job), instance=instance) as result:\n"
            "        print(json.dumps({'success': result.success, 'worker': os.getpid(),"
            " 'step': result.output_for_node('where_am_i')}))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(ROOT)]),
           "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["success"] and seen["step"]["parent"] == seen["worker"] and seen["step"]["warm"]
    assert seen["step"]["pid"] != seen["worker"]  # still a process of its own


def test_a_run_worker_with_threads_forks_steps_from_the_server(instance, tmp_path, monkeypatch):
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        assert not fork_is_safe()
        with dg.execute_job(dg.reconstructable(where_job), instance=instance) as result:
            assert result.success
            assert result.output_for_node("where_am_i")["parent"] != os.getpid()
    finally:
        stop.set()


def test_each_run_gets_its_own_environment_from_the_fork_server(instance, tmp_path, monkeypatch):
    seen = []
    for name in ("first", "second", "second"):
        monkeypatch.setenv("AIWF_HOME", str(tmp_path / name))
        with dg.execute_job(dg.reconstructable(where_job), instance=instance, run_config=FORKSERVER) as result:
            assert result.success
            seen.append(result.output_for_node("where_am_i"))
    assert [s["home"] for s in seen] == [str(tmp_path / n) for n in ("first", "second", "second")]
    assert all(s["parent"] != os.getpid() for s in seen)  # forked by the server, not spawned by the run
    assert seen[1]["parent"] != seen[0]["parent"]  # a new environment got a new server ...
    assert seen[2]["parent"] == seen[1]["parent"]  # ... and the same one kept it


def test_spawn_can_still_be_chosen_in_run_config():
    config = {"execution": {"config": {"start_method": {"spawn": {}}, "max_concurrent": 2}}}
    assert dg.validate_run_config(where_job, config)
    assert run_executor() is forked_multiprocess_executor


def test_the_server_preloads_the_step_machinery_and_nothing_that_starts_a_thread(instance, tmp_path):
    """The definitions, Dagster's step code and the instance's storage modules; no LanceDB (its import starts a
    thread, which a fork would copy half-alive) and no great-expectations (seconds, for one check step)."""
    job = dg.reconstructable(where_job)
    context = dg.InitExecutorContext(job=job, executor_def=forked_multiprocess_executor, executor_config={},
                                     instance=instance)
    preload = step_preload(context)
    assert preload[0] == "dagster._core.executor.multiprocess" and job.get_module() in preload
    assert "dagster._core.storage.sqlite_storage" in preload  # what DagsterInstance.from_ref needs in a step

    modules = [m for m in preload if m != job.get_module()] + ["pipelines.definitions"]
    code = ("import importlib, json, sys, threading\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(json.dumps({'threads': threading.active_count(),"
            " 'heavy': [m for m in ('great_expectations', 'lancedb', 'selenium') if m in sys.modules]}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"threads": 1, "heavy": []}


def test_a_run_worker_reads_the_migration_scripts_once_and_its_steps_inherit_the_read(instance, monkeypatch):
    """Opening the instance as a step does (its storages and event log) reads no migration script again."""
    from alembic.script import ScriptDirectory

    read_migration_scripts_once(instance)
    reads = []
    original = ScriptDirectory._load_revisions
    monkeypatch.setattr(ScriptDirectory, "_load_revisions", lambda self: reads.append(self) or original(self))
    with dg.DagsterInstance.from_ref(instance.get_ref()) as opened:
        opened.event_log_storage.get_maximum_record_id()
        with dg.execute_job(dg.reconstructable(where_job), instance=opened) as result:
            assert result.success
    assert reads == []


@dg.op
def sleeps_until_stopped() -> None:
    import time

    Path(os.environ["STEP_PID_FILE"]).write_text(str(os.getpid()))  # a file, not stdout: the step's own
    time.sleep(120)  # output goes through Dagster's compute-log capture, which need not reach the test's pipe


@dg.job(executor_def=forked_multiprocess_executor)
def sleeping_job():
    sleeps_until_stopped()


def test_an_interrupted_run_worker_stops_its_forked_step(tmp_path):
    """SIGINT to the run worker (as `dagster job execute` or a run termination gets) reaches the forked step: it
    is interrupted, not left running, and the run fails."""
    import signal
    import time

    code = ("import json, os, sys, dagster as dg\n"
            "from test_step_processes import sleeping_job\n"
            f"with dg.DagsterInstance.local_temp({str(tmp_path)!r}) as instance:\n"
            "    with dg.execute_job(dg.reconstructable(sleeping_job), instance=instance) as result:\n"
            "        print(json.dumps({'success': result.success}), flush=True)\n")
    pid_file = tmp_path / "step.pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(ROOT)]),
           "PYTHONWARNINGS": "ignore", "STEP_PID_FILE": str(pid_file)}
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, text=True)
    while not (pid_file.exists() and pid_file.read_text()):  # the step writes its pid once it runs
        assert worker.poll() is None, "the run worker ended before its step ran:\n" + log.read_text()[-4000:]
        time.sleep(0.1)
    step = int(pid_file.read_text())
    worker.send_signal(signal.SIGINT)
    worker.wait(timeout=120)
    assert '{"success": false}' in log.read_text(), log.read_text()[-4000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(step, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(step, signal.SIGKILL)
        raise AssertionError("the forked step outlived its interrupted run worker")
