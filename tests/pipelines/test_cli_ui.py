"""`aiwf ui` and `make ui PORT=...`: dagster dev on the port asked for, inside the seeded DAGSTER_HOME (so Dagster
does not warn that a dagster.yaml "will not be used"), with the test doubles when nothing is configured."""

import signal
import subprocess
from pathlib import Path

from pipelines.cli import main, ui
from resources.state.home import PROJECT_ROOT


class FakeDev:
    """Stands in for the `dagster dev` process: records how it was started and exits at once."""

    started: dict = {}

    def __init__(self, args, cwd, env):
        FakeDev.started = {"args": args, "cwd": Path(cwd), "env": dict(env)}

    def wait(self, timeout=None):
        return 0

    def send_signal(self, sig):
        pass


def test_ui_runs_dagster_dev_in_the_seeded_home_with_the_test_doubles(monkeypatch, aiwf_home, capsys):
    monkeypatch.setattr(ui.subprocess, "Popen", FakeDev)
    term = signal.getsignal(signal.SIGTERM)
    assert main(["ui", "--port", "3001"]) == 0
    assert signal.getsignal(signal.SIGTERM) is term  # the forwarding to dagster dev ends with it
    started = FakeDev.started
    assert started["args"][-4:] == ["-p", "3001", "-h", "127.0.0.1"]
    assert started["args"][started["args"].index("-w") + 1] == str(PROJECT_ROOT / "workspace.yaml")
    assert started["cwd"] == Path(started["env"]["DAGSTER_HOME"]) == aiwf_home.resolve() / "dagster"
    assert (started["cwd"] / "dagster.yaml").read_text() == (PROJECT_ROOT / "dagster.yaml").read_text()
    assert started["env"]["AIWF_HOME"] == str(aiwf_home.resolve())
    assert started["env"]["OPENAI_BASE_URL"].startswith("http://127.0.0.1:") and started["env"]["AIWF_SHOP_URL"]
    out = capsys.readouterr().out
    assert "OFFLINE test-double model" in out and "TEST-DOUBLE shop" in out


def test_make_ui_passes_the_port():
    plan = subprocess.run(["make", "-n", "ui", "PORT=3001"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert "aiwf ui --port 3001" in plan
