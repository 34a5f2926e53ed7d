"""deploy/supervise.py (`make up`): a service that dies is restarted; stopping the supervisor stops them all."""

import json
import os
import signal
import subprocess
import sys
import time

from conftest import REPO

SLEEPER = f"{sys.executable} -c 'import time; time.sleep(120)'"


def _status(run_dir):
    try:
        return json.loads((run_dir / "supervisor.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _wait(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while not (value := predicate()):
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)
    return value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_service_is_restarted_and_stop_ends_every_service(tmp_path):
    script = str(REPO / "deploy" / "supervise.py")
    sup = subprocess.Popen([sys.executable, script, "run", "--run-dir", str(tmp_path),
                            f"daemon={SLEEPER}", f"worker1={SLEEPER}"], stdout=subprocess.DEVNULL)
    try:
        first = _wait(lambda: (s := _status(tmp_path)) and all(v["running"] for v in s["services"].values()) and s)
        pid = first["services"]["worker1"]["pid"]
        assert int((tmp_path / "worker1.pid").read_text()) == pid

        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        again = _wait(lambda: (s := _status(tmp_path)) and s["services"]["worker1"]["running"]
                      and s["services"]["worker1"]["pid"] != pid and s)
        assert time.time() - killed_at < 5 and again["services"]["worker1"]["restarts"] == 1
        assert again["services"]["daemon"]["restarts"] == 0

        report = subprocess.run([sys.executable, script, "status", "--run-dir", str(tmp_path)],
                                capture_output=True, text=True)
        assert report.returncode == 0 and "worker1" in report.stdout and "restarts 1" in report.stdout

        children = [v["pid"] for v in again["services"].values()]
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=30) == 0
        assert not any(_alive(p) for p in children)
        down = subprocess.run([sys.executable, script, "status", "--run-dir", str(tmp_path)],
                              capture_output=True, text=True)
        assert down.returncode == 1 and "not running" in down.stdout
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()
