"""A provider that echoes the API key in its 401 must not get the key into any file, log or console line."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from resources.offline.llm_server import OfflineLLMServer
from resources.safety.secrets import scrub
from resources.state.quarantine import Quarantine
from resources.state.store import Store


def _files_holding(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_an_echoed_key_reaches_no_file_log_or_console(tmp_path):
    key = f"sk-leakcheck-{secrets.token_hex(12)}"
    home = tmp_path / "home"
    with OfflineLLMServer(require_api_key="the-right-key", echo_key_in_401=True) as server:
        env = {**os.environ, "AIWF_HOME": str(home), "OPENAI_API_KEY": key, "OPENAI_BASE_URL": server.url}
        env.pop("DAGSTER_HOME", None)
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "demo", "--json"], env=env,
                              capture_output=True, timeout=600)
        assert server.counters()["status_401"] > 0  # the provider did answer with the key in its message
    assert done.returncode != 0  # every model call was refused
    summary = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert summary["runs_failed"] > 0
    assert key.encode() not in done.stdout and key.encode() not in done.stderr
    assert _files_holding(home, key.encode()) == []  # AIWF_HOME holds DAGSTER_HOME (runs, event logs, compute logs)
    reasons = [r["reason"] for r in Quarantine(Store(str(home / "aiwf.db"), home)).rows()]
    assert any("Incorrect API key provided" in r for r in reasons)  # the reason is kept, the key is not


def test_scrub_masks_configured_values_and_secret_shapes(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "plainvalue-without-shape")
    text = "key plainvalue-without-shape, sk-proj-Abc123Def456Ghi789Jkl0, postgresql://u:hunter2@db/x"
    cleaned = scrub(text, ["extra-known-secret"]) + scrub("extra-known-secret", ["extra-known-secret"])
    for leaked in ("plainvalue-without-shape", "sk-proj-Abc123", "hunter2", "extra-known-secret"):
        assert leaked not in cleaned
