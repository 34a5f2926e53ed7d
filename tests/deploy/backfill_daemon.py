"""A partition backfill launched as the webserver launches it (GraphQL `launchPartitionBackfill` on an asset
selection, run in-process on a workspace) and carried out by a real `dagster-daemon run` we start and stop
(tests/deploy/test_backfill_policy.py, test_long_backfill.py)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.backfills import launch_backfill  # noqa: F401 (the tests' launcher, shared with benchmarks.faults)


def start_daemon(tmp_path: Path, defs_file: Path, location: str) -> subprocess.Popen:
    """`dagster-daemon run` on a workspace with the location (it starts that location's code server), in a
    process group of its own, logging to tmp_path/daemon.log."""
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(yaml.safe_dump({"load_from": [{"python_file": {
        "relative_path": str(defs_file), "working_directory": str(defs_file.parent), "location_name": location}}]}))
    daemon = Path(sys.executable).with_name("dagster-daemon")
    with open(tmp_path / "daemon.log", "w") as log:
        return subprocess.Popen([str(daemon), "run", "-w", str(workspace)], start_new_session=True, stdout=log,
                                stderr=subprocess.STDOUT)


def stop_daemon(process: subprocess.Popen) -> None:
    """The daemon and the code server it started (one process group), politely, then for sure."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
