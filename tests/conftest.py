"""Shared fixtures: every test gets its own AIWF_HOME; model calls go over HTTP to the offline test double."""

import pytest
from local_services import scratch_pg_database


@pytest.fixture(autouse=True)
def aiwf_home(tmp_path, monkeypatch):
    """An empty AIWF_HOME per test, and no real OpenAI credentials, so nothing leaks between tests."""
    home = tmp_path / "aiwf"
    monkeypatch.setenv("AIWF_HOME", str(home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("AIWF_PG_URL", raising=False)
    monkeypatch.delenv("AIWF_AUDIT_KEY", raising=False)  # unkeyed unless a test sets a key
    monkeypatch.setenv("AIWF_AUDIT_KEY_FILE", str(tmp_path / "no-audit.key"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AIWF_CASSETTE", "AIWF_CASSETTE_MODE"):
        monkeypatch.delenv(var, raising=False)
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "AIWF_OTEL_CAPTURE_CONTENT"):  # tracing only where a test asks
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    return home


@pytest.fixture(scope="session")
def offline_server():
    """One offline OpenAI-compatible server for the session; tests reset its faults with .configure()."""
    from resources.offline.llm_server import OfflineLLMServer

    server = OfflineLLMServer()
    server.start()
    yield server
    server.stop()


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
