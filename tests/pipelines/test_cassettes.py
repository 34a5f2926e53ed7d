"""`aiwf demo` recorded to a cassette, then replayed on a fresh home with the model endpoint at a closed port."""

import json
import socket

import pytest
from demo_home import materialized

from pipelines import cli
from resources.llm.cassette import load

COMPARED = ("assets_materialized", "asset_checks_passed", "asset_checks_failed", "runs_failed", "offline",
            "side_effects")


def closed_port_url() -> str:
    """An address where nothing listens (bound, then released): any request to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def demo_json(capsys) -> dict:
    code = cli.main(["demo", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return {"exit": code, **json.loads(out[-1]), "stdout": "\n".join(out[:-1])}


@pytest.fixture
def recorded(demo_home, monkeypatch):
    """The session's demo, recorded to its cassette on an empty home (tests/conftest.py)."""
    monkeypatch.setenv("AIWF_CASSETTE", str(demo_home.tape))
    first = {"exit": demo_home.exit, **demo_home.summary, "stdout": demo_home.stdout}
    return demo_home.tape, first, demo_home.materialized


def test_demo_replays_from_a_cassette_with_no_model_endpoint(recorded, tmp_path, monkeypatch, capsys):
    tape, first, first_assets = recorded
    assert first["exit"] == 0 and first["llm_calls"] > 0
    entries = load(str(tape))
    assert entries and {e["request"]["path"] for e in entries.values()} >= {"/chat/completions", "/embeddings"}

    monkeypatch.setenv("AIWF_HOME", str(tmp_path / "fresh"))  # a fresh home: empty cache, ledger and tables
    monkeypatch.setenv("AIWF_CASSETTE_MODE", "replay")
    monkeypatch.setenv("OPENAI_BASE_URL", closed_port_url())
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    second = demo_json(capsys)

    assert "replayed from cassette" in second["stdout"] and "OFFLINE test-double model" not in second["stdout"]
    assert {k: second.get(k) for k in COMPARED} == {k: first.get(k) for k in COMPARED}
    # replayed answers were paid for once, when recorded: counted apart, at no cost. They never enter the response
    # cache, so a request the recording answered from its cache is replayed too: every request of the run is
    # answered by the cassette or the cache, as many as the recording answered by the model or the cache.
    assert (second["llm_calls"], second["tokens"], second["cost_usd"]) == (0, 0, 0)
    assert second["replayed"] >= first["llm_calls"] > 0 and first["cost_usd"] > 0
    assert second["replayed"] + second["cache_hits"] == first["llm_calls"] + first["cache_hits"]
    assert f"{second['replayed']} replayed from a cassette (not billed)" in second["stdout"]
    assert second["exit"] == 0 and second["llm_retries"] == 0  # a refused connection would have been retried
    assert materialized() == first_assets
