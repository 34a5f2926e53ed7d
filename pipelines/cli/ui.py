"""`aiwf ui [--port 3000]`: the Dagster UI on the instance `aiwf demo` and `aiwf quarantine` use, with the offline
model and the test-double shop when none is configured. Its first lines say which schedules and sensors are on
(pipelines/cli/automation_state.py) and how to start one.

`dagster dev` runs inside DAGSTER_HOME (seeded with the repo's dagster.yaml), not in the checkout: started from a
folder holding a dagster.yaml that is not DAGSTER_HOME's, it warns that file "will not be used". AIWF_HOME and
DAGSTER_HOME are handed on as absolute paths, so the webserver, daemon, code server and runs find the same home.
"""

import os
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from pipelines.cli.automation_state import print_automation_state
from resources.state.home import PROJECT_ROOT, aiwf_home, ensure_dagster_home

# `dagster dev` calls itself superseded by `dg dev` (not a dependency here): nothing an operator can act on.
QUIET_DEV = "ignore:Function `dev_command` is superseded"


def dev_command(port: int, host: str) -> list[str]:
    """`dagster dev` on this project's workspace, from this interpreter."""
    return [sys.executable, "-W", QUIET_DEV, "-m", "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
            "-p", str(port), "-h", host]


def dev_environment(dagster_home: Path) -> dict[str, str]:
    """This process's environment (with the test doubles' URLs) and the two homes as absolute paths."""
    return {**os.environ, "AIWF_HOME": str(aiwf_home()), "DAGSTER_HOME": str(dagster_home)}


def run_ui(port: int, host: str = "127.0.0.1") -> int:
    """Start the test doubles if needed, then `dagster dev` until it exits or Ctrl-C (which stops it cleanly)."""
    dagster_home = ensure_dagster_home().resolve()
    print_automation_state(dagster_home)  # schedules start stopped: say so, and how to start one
    with ExitStack() as stack:
        from pipelines.cli.test_doubles import start_test_doubles

        start_test_doubles(stack, print)
        print(f"Dagster UI on http://{host}:{port} (instance {dagster_home}; Ctrl-C stops it)", flush=True)
        # Started in the background (`make ui &`), SIGINT arrives ignored and dagster dev would inherit that: catch it
        # here, so the child starts with the default; `kill` (SIGTERM) becomes the Ctrl-C dagster dev shuts down on.
        before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGINT, signal.default_int_handler)
        process = subprocess.Popen(dev_command(port, host), cwd=dagster_home, env=dev_environment(dagster_home))
        signal.signal(signal.SIGTERM, lambda *_: process.send_signal(signal.SIGINT))
        try:
            return process.wait()
        except KeyboardInterrupt:  # the terminal sent SIGINT to dagster dev too: let it shut its services down
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            return 0
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def add_cli(sub) -> None:
    parser = sub.add_parser("ui", help="open the Dagster UI; starts the offline model and the test-double shop "
                                       "when none is configured")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.set_defaults(func=lambda args: run_ui(args.port, args.host))
