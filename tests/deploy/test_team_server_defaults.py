"""deploy/supervise.py gives its services the team server's defaults (a model outage waited out) unless the
operator set the variable."""

import os
import subprocess
import sys
import time

from conftest import REPO

PRINT = f"{sys.executable} -c 'import os; print(os.environ.get(\"AIWF_MODEL_OUTAGE_WAIT_S\"), flush=True)'"


def _seen_by_a_service(run_dir, env: dict) -> str:
    sup = subprocess.Popen([sys.executable, str(REPO / "deploy" / "supervise.py"), "run", "--run-dir", str(run_dir),
                            f"probe={PRINT}"], env=env, stdout=subprocess.DEVNULL)
    log = run_dir / "probe.log"
    try:
        for _ in range(200):
            if log.exists() and log.read_text().strip():
                return log.read_text().splitlines()[0]
            time.sleep(0.1)
    finally:
        sup.terminate()
        sup.wait(timeout=30)
    raise AssertionError("the service printed nothing")


def test_services_wait_out_a_model_outage_unless_the_operator_says_otherwise(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AIWF_MODEL_OUTAGE_WAIT_S"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _seen_by_a_service(tmp_path / "a", env) == "300"
    assert _seen_by_a_service(tmp_path / "b", {**env, "AIWF_MODEL_OUTAGE_WAIT_S": "0"}) == "0"
