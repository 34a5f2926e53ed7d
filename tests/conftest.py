"""Shared fixtures: every test gets its own AIWF_HOME; model calls go over HTTP to the offline test double."""

import pytest
from local_services import scratch_pg_database


def isolate(monkeypatch, home, scratch) -> None:
    """AIWF_HOME at `home`, no DAGSTER_HOME, Postgres, audit key, OpenAI credentials, cassette or tracing from the
    environment, so nothing leaks between tests."""
    monkeypatch.setenv("AIWF_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("AIWF_PG_URL", raising=False)
    monkeypatch.delenv("AIWF_AUDIT_KEY", raising=False)  # unkeyed unless a test sets a key
    monkeypatch.setenv("AIWF_AUDIT_KEY_FILE", str(scratch / "no-audit.key"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AIWF_CASSETTE", "AIWF_CASSETTE_MODE", "AIWF_SHOP_URL"):
        monkeypatch.delenv(var, raising=False)
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "AIWF_OTEL_CAPTURE_CONTENT"):  # tracing only where a test asks
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(autouse=True)
def aiwf_home(tmp_path, monkeypatch):
    """An empty AIWF_HOME per test, and no real OpenAI credentials, so nothing leaks between tests."""
    home = tmp_path / "aiwf"
    isolate(monkeypatch, home, tmp_path)
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """One `aiwf demo --json` on an empty home for the whole session (tests/demo_home.py), recorded to a cassette,
    with a counting test-double shop as AIWF_SHOP_URL. Under pytest-xdist the first worker that asks runs it and the
    others reuse it (`built_once`; one that asks while it is being built runs its own rather than wait); each worker
    gets its own copy of home, cassette and shop state, with its own shop serving that state. Tests copy the home
    (`copy_to`) and never change it; a test that watches a demo run on purpose (faults, traces, leaks) runs its own."""
    import json
    import os
    import shutil
    from pathlib import Path

    from demo_home import CountingApp, DemoHome, built_once, materialized, run_demo_json, tree_key

    from resources.offline.shop_server import ShopServer

    def build(folder):
        server = ShopServer(state_path=folder / "shop.json")
        counting = server.app = CountingApp(server.app)
        with server, pytest.MonkeyPatch.context() as patch:  # the environment is the test's again after the demo
            isolate(patch, folder / "aiwf", folder)
            patch.setenv("DAGSTER_HOME", str(folder / "aiwf" / "dagster"))  # the demo exports it: restored too
            patch.setenv("AIWF_CASSETTE", str(folder / "demo.jsonl"))
            patch.setenv("AIWF_CASSETTE_MODE", "record")
            patch.setenv("AIWF_SHOP_URL", server.url)
            code, summary, stdout = run_demo_json()
            done = {"exit": code, "summary": summary, "stdout": stdout, "materialized": materialized(),
                    "shop_requests": list(counting.requests)}
        (folder / "done.json").write_text(json.dumps(done))

    root = Path(__file__).resolve().parents[1]
    shared = (tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER")
              else tmp_path_factory.mktemp("demo_build"))  # xdist: the session's folder, above each worker's
    built = built_once(shared, tree_key(root), build, tmp_path_factory.mktemp("demo_build"))
    scratch = tmp_path_factory.mktemp("demo_home")
    shutil.copytree(built / "aiwf", scratch / "aiwf", symlinks=True)
    for name in ("demo.jsonl", "shop.json"):
        if (built / name).exists():
            shutil.copy(built / name, scratch / name)
    done = json.loads((built / "done.json").read_text())
    server = ShopServer(state_path=scratch / "shop.json")  # the shop as the demo left it
    counting = server.app = CountingApp(server.app)
    with server:
        yield DemoHome(home=scratch / "aiwf", exit=done["exit"], summary=done["summary"], stdout=done["stdout"],
                       tape=scratch / "demo.jsonl", materialized=done["materialized"], shop_url=server.url,
                       shop=counting, shop_requests_by_demo=done["shop_requests"])


@pytest.fixture(scope="session")
def offline_server_process():
    """One offline OpenAI-compatible server for the session (for each pytest-xdist worker)."""
    from resources.offline.llm_server import OfflineLLMServer

    server = OfflineLLMServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def offline_server(offline_server_process):
    """The session's offline server with its settings back at the server's defaults (no faults, no latency) and
    its counters at zero: a test sees the same server whichever tests ran before it on its worker; it sets its
    own faults with .configure()."""
    from resources.offline.llm_server import DEFAULTS

    offline_server_process.configure(reset_counters=True, **DEFAULTS)
    return offline_server_process


@pytest.fixture
def offline_llm(offline_server):
    """The offline server with faults and latency cleared, and an LLMResource pointed at it."""
    from resources.llm import LLMResource

    offline_server.configure(latency_ms=0, jitter_ms=0, fail_429_rate=0, fail_500_rate=0, timeout_rate=0,
                             retry_after_s=0.01, fail_400_on=None, require_api_key=None, echo_key_in_401=False, seed=0,
                             reset_counters=True)
    return LLMResource(base_url=offline_server.url, api_key="sk-test-secret-key", backoff_base_s=0.01,
                       backoff_max_s=0.05)


@pytest.fixture
def pg_url():
    """A scratch Postgres database for one test."""
    with scratch_pg_database() as url:
        yield url
