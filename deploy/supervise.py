"""A small supervisor for the team server (`make up`): starts each service, restarts one that dies, stops all.

    python deploy/supervise.py run --run-dir DIR "daemon=dagster-daemon run -w workspace.yaml" "worker1=aiwf worker"
    python deploy/supervise.py status --run-dir DIR

A service that exits is started again after a pause that doubles from 1 s to 60 s while it keeps dying
young, and resets once it has stayed up a minute. Each service runs in a process group of its own (a Celery
worker's pool goes with it) and logs to DIR/<name>.log; DIR/supervisor.json says what runs, since when, and how
often it was restarted (`make status`). SIGTERM or SIGINT stops every service (SIGTERM to the group, SIGKILL
after 30 s) and then the supervisor. Standard library only: nothing to install on the server.

Services inherit the supervisor's environment plus TEAM_SERVER_DEFAULTS for what the operator left unset: on a
team server nobody watches a run, so a model provider outage is waited out (AIWF_MODEL_OUTAGE_WAIT_S, 300 s, as
long as AIWF_INFRA_WAIT_S waits for the store and broker) instead of failing the step once its circuit opens, as
it does on a laptop.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

FIRST_PAUSE_S, LONGEST_PAUSE_S, STEADY_S, STOP_GRACE_S = 1.0, 60.0, 60.0, 30.0
TEAM_SERVER_DEFAULTS = {"AIWF_MODEL_OUTAGE_WAIT_S": "300"}  # resources/llm/retrying.py


class Service:
    """One supervised command and its restart bookkeeping."""

    def __init__(self, name: str, command: str, run_dir: Path):
        self.name, self.argv, self.run_dir = name, shlex.split(command), run_dir
        self.proc: subprocess.Popen | None = None
        self.started = self.next_start = 0.0
        self.restarts, self.pause, self.last_exit = 0, FIRST_PAUSE_S, None

    def start(self) -> None:
        with open(self.run_dir / f"{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.time()
        (self.run_dir / f"{self.name}.pid").write_text(str(self.proc.pid))

    def check(self, now: float) -> None:
        """Start the service when it is due; note an exit and schedule the restart."""
        if self.proc is None:
            if now >= self.next_start:
                self.start()
            return
        code = self.proc.poll()
        if code is None:
            if now - self.started >= STEADY_S:
                self.pause = FIRST_PAUSE_S
            return
        self.last_exit, self.proc, self.restarts = code, None, self.restarts + 1
        self.next_start = now + self.pause
        self.pause = min(LONGEST_PAUSE_S, self.pause * 2)
        print(f"{time.strftime('%F %T')} {self.name} exited ({code}); restart #{self.restarts} in "
              f"{self.next_start - now:.0f}s", flush=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)

    def status(self) -> dict:
        running = self.proc is not None and self.proc.poll() is None
        return {"pid": self.proc.pid if running else None, "running": running, "since": self.started if running else
                None, "restarts": self.restarts, "last_exit": self.last_exit, "command": shlex.join(self.argv)}


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def supervise(services: list[Service], run_dir: Path, tick_s: float = 0.5) -> int:
    """Keep every service running until SIGTERM/SIGINT; then stop them all."""
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    status_file = run_dir / "supervisor.json"
    while not stopping:
        now = time.time()
        for service in services:
            service.check(now)
        _write_json(status_file, {"pid": os.getpid(), "services": {s.name: s.status() for s in services}})
        time.sleep(tick_s)
    for service in services:
        service.stop()
    deadline = time.time() + STOP_GRACE_S
    for service in services:
        if service.proc is None:
            continue
        try:
            service.proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            _signal_group(service.proc.pid, signal.SIGKILL)
            service.proc.wait()
        (run_dir / f"{service.name}.pid").unlink(missing_ok=True)
    status_file.unlink(missing_ok=True)
    return 0


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def status(run_dir: Path) -> int:
    """Print each service's state; exit 1 when the supervisor or any service is not running."""
    path = run_dir / "supervisor.json"
    try:
        data = json.loads(path.read_text())
        os.kill(data["pid"], 0)
    except (FileNotFoundError, ProcessLookupError, json.JSONDecodeError, KeyError):
        print(f"supervisor: not running (no live {path})")
        return 1
    print(f"supervisor: running (pid {data['pid']})")
    healthy = True
    for name, s in data["services"].items():
        state = f"up {time.time() - s['since']:.0f}s, pid {s['pid']}" if s["running"] else "DOWN (restarting)"
        healthy &= s["running"]
        print(f"  {name:<10} {state}; restarts {s['restarts']}"
              + (f", last exit {s['last_exit']}" if s["last_exit"] is not None else ""))
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="supervise", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["run", "status"])
    parser.add_argument("--run-dir", type=Path, required=True, help="pid files, logs and supervisor.json")
    parser.add_argument("services", nargs="*", metavar="NAME=COMMAND")
    args = parser.parse_intermixed_args(argv)
    if args.action == "status":
        return status(args.run_dir)
    pairs = [spec.split("=", 1) for spec in args.services]
    if not pairs or any(len(p) != 2 or not p[0].isidentifier() for p in pairs):
        parser.error("give each service as NAME=COMMAND")
    args.run_dir.mkdir(parents=True, exist_ok=True)
    for name, value in TEAM_SERVER_DEFAULTS.items():
        os.environ.setdefault(name, value)
    return supervise([Service(name, command, args.run_dir) for name, command in pairs], args.run_dir)


if __name__ == "__main__":
    sys.exit(main())
