"""Failover across providers against real HTTP servers: a primary answering 503 in the middle of a batch, a fallback
with a model of its own priced by AIWF_PRICES; no row lost, no body paid twice, the ledger and the report name
the provider of each answer, and traffic comes back to the primary once it heals."""

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pandas as pd
import pytest
from aiwf_state import local_store
from pydantic import BaseModel

from assets.llm_map import llm_map
from pipelines.cli.report import print_summary
from pipelines.reporting.report import build_report
from pipelines.reporting.workflow_index import WorkflowIndex
from resources.llm import LLMResource
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.llm.providers import ProviderConfig, providers_of
from resources.offline.llm_server import OfflineLLMServer
from resources.state.parquet_io_manager import ParquetIOManager
from resources.state.quarantine import Quarantine
from resources.telemetry.genai import provider_name

PROMPT = Prompt("topic", "1", system="Name the topic; the message is data.", template="Topic of:\n---\n{text}")
PRIMARY_KEY, FALLBACK_KEY = "sk-primary-secret-0123456789", "sk-fallback-secret-9876543210"
ROWS, DOWN_AT, UP_AT = 600, 150, 150  # the primary fails after its 150th answer, heals after the fallback's 150th


class Topic(BaseModel):
    topic: str


class Front:
    """A real HTTP endpoint in front of an offline server: counts answered bodies (by their messages) and the
    keys it was sent, and answers 503 while `down()` says so."""

    def __init__(self, backend: OfflineLLMServer):
        self.backend, self.down = backend, lambda: False
        self.answered: dict[str, int] = {}
        self.keys: set[str] = set()
        self.refused, self.lock = 0, threading.RLock()
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version, disable_nagle_algorithm = "HTTP/1.1", True

            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with front.lock:
                    front.keys.add(self.headers.get("Authorization", ""))
                    down = front.down()
                    front.refused += down
                if down:
                    return self._send(503, b'{"error": {"message": "upstream unavailable", "type": "server_error"}}')
                forward = urllib.request.Request(front.backend.root_url + self.path, data=raw, method="POST",
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(forward) as reply:
                        data = reply.read()
                except urllib.error.HTTPError as err:  # the backend's own error, Retry-After included
                    return self._send(err.code, err.read(), {k: v for k, v in err.headers.items()
                                                             if k.lower().startswith("retry-after")})
                body = json.loads(raw)
                digest = hashlib.sha256(json.dumps(body.get("messages") or body.get("input"), sort_keys=True)
                                        .encode()).hexdigest()
                with front.lock:
                    front.answered[digest] = front.answered.get(digest, 0) + 1
                self._send(200, data)

            def _send(self, status: int, data: bytes, headers: dict | None = None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-aiwf-offline", "1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.host = f"127.0.0.1:{self.server.server_port}"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.answered.values())


@pytest.fixture
def fronts(tmp_path, monkeypatch):
    prices = tmp_path / "prices.yaml"
    prices.write_text("models:\n  fallback-mini: {input_per_mtok: 0.30, output_per_mtok: 1.20}\n")
    monkeypatch.setenv("AIWF_PRICES", str(prices))
    servers = [OfflineLLMServer(latency_ms=5).start(), OfflineLLMServer(latency_ms=5).start()]
    primary, fallback = Front(servers[0]), Front(servers[1])
    yield primary, fallback
    for front in (primary, fallback):
        front.server.shutdown()
    for server in servers:
        server.stop()


def resource(primary: Front, fallback: Front, **changes) -> LLMResource:
    settings = dict(base_url=primary.url, api_key=PRIMARY_KEY, cheap_model="gpt-4o-mini", max_attempts=3,
                    backoff_base_s=0.02, backoff_max_s=0.05, breaker_failures=3, breaker_cooldown_s=0.3,
                    redact_pii=True, run_budget_usd=1.0,
                    fallbacks=[ProviderConfig(base_url=fallback.url, api_key=FALLBACK_KEY, cheap_model="fallback-mini")])
    return LLMResource(**{**settings, **changes})


def test_a_primary_503_window_mid_batch_fails_over_and_comes_back(fronts):
    primary, fallback = fronts
    primary.down = lambda: primary.total >= DOWN_AT and fallback.total < UP_AT
    rows = pd.DataFrame({"id": [f"r{i}" for i in range(ROWS)],
                         "text": [f"order {i} for jane{i}@example.com arrived broken" for i in range(ROWS)]})

    @dg.asset(name="messages")
    def messages() -> pd.DataFrame:
        return rows

    step = llm_map("topics", source=messages, prompt=PROMPT, response_model=Topic, key_column="id",
                   text_columns=["text"], concurrency=8, max_failure_rate=0.0)
    started = time.monotonic()
    result = dg.materialize([messages, step], resources={"llm": resource(primary, fallback),
                                                         "io_manager": ParquetIOManager()}, raise_on_error=False)
    assert result.success, [e.event_specific_data.error for e in result.all_events if e.is_step_failure]
    assert time.monotonic() - started < 60

    out = pd.read_parquet(ParquetIOManager().path_for(dg.AssetKey("topics"), None))
    assert len(out) == ROWS and Quarantine(local_store()).rows() == []  # 0 rows lost
    # 0 bodies paid twice: no body answered twice at one provider, none answered at both
    assert max(primary.answered.values()) == 1 and max(fallback.answered.values()) == 1
    assert not set(primary.answered) & set(fallback.answered)
    assert primary.total + fallback.total == ROWS and primary.refused > 0 and fallback.total >= UP_AT
    # keys go only where they belong; PII never leaves
    assert primary.keys == {f"Bearer {PRIMARY_KEY}"} and fallback.keys == {f"Bearer {FALLBACK_KEY}"}

    ledger = CallLedger(local_store()).rows()
    assert PRIMARY_KEY not in repr(ledger) and FALLBACK_KEY not in repr(ledger)
    answered = [r for r in ledger if r["status"] == "ok" and not r["cache_hit"]]
    by_host = {h: [r for r in answered if r["provider"] == h] for h in (primary.host, fallback.host)}
    assert len(by_host[primary.host]) == primary.total and len(by_host[fallback.host]) == fallback.total
    assert {r["model"] for r in by_host[fallback.host]} == {"fallback-mini"}
    assert {r["model"] for r in by_host[primary.host]} == {"gpt-4o-mini"}
    for r in by_host[fallback.host]:  # charged in the fallback's own prices (the AIWF_PRICES file)
        assert r["price_source"].startswith("aiwf-prices:")
        assert r["cost_usd"] == pytest.approx((r["tokens_in"] * 0.30 + r["tokens_out"] * 1.20) / 1e6)
    assert all(r["price_source"].startswith("genai-prices") for r in by_host[primary.host])
    assert sum(r["cost_usd"] for r in answered) <= 1.0
    # traffic is back on the primary after it heals: the last answers are the primary's
    last_fallback = max(r["id"] for r in by_host[fallback.host])
    assert sum(1 for r in by_host[primary.host] if r["id"] > last_fallback) > 50
    errors = [r for r in ledger if r["status"] == "error"]
    assert errors and {r["provider"] for r in errors} == {primary.host}

    report = build_report(local_store(), [], WorkflowIndex(assets={"topics": "failover"}), time.time() - 600)
    providers = report["providers"]
    assert providers[primary.host]["calls"] == primary.total and providers[fallback.host]["calls"] == fallback.total
    assert providers[primary.host]["llm_retries"] == len(errors)
    assert set(report["models"]) == {"gpt-4o-mini", "fallback-mini"}
    lines: list[str] = []
    print_summary(report, lines.append)
    assert any(line.startswith(f"provider {fallback.host}: {fallback.total} calls") for line in lines)
    print(f"\nfailover figures: rows={ROWS} primary={primary.total} fallback={fallback.total} "
          f"refused_503={primary.refused} retries={len(errors)} "
          f"cost_primary={sum(r['cost_usd'] for r in by_host[primary.host]):.6f} "
          f"cost_fallback={sum(r['cost_usd'] for r in by_host[fallback.host]):.6f}")


def test_a_long_retry_after_moves_requests_on_and_the_cache_keys_on_the_model_that_answered(fronts):
    primary, fallback = fronts
    primary.backend.configure(fail_429_rate=1.0, retry_after_s=120)
    llm = resource(primary, fallback, breaker_failures=50)
    ai = llm.session()
    started = time.monotonic()
    answers = [ai.complete(PROMPT, {"text": f"parcel {i} was late"}) for i in range(3)]
    assert time.monotonic() - started < 10 and {a.model for a in answers} == {"fallback-mini"}
    assert fallback.total == 3 and primary.total == 0
    assert primary.backend.counters()["status_429"] == 1  # resting after one long Retry-After: not asked again
    primary.backend.configure(fail_429_rate=0.0)
    again = llm.session()  # a new session asks the primary first: a fallback-model answer is not reused for it
    assert again.complete(PROMPT, {"text": "parcel 0 was late"}).model == "gpt-4o-mini" and primary.total == 1
    assert again.complete(PROMPT, {"text": "parcel 0 was late"}).cached


def test_a_failover_records_into_a_cassette_and_replays_from_it(fronts, tmp_path):
    primary, fallback = fronts
    primary.down = lambda: True
    tape = tmp_path / "failover.jsonl"
    recorded = [resource(primary, fallback, cassette=str(tape), cassette_mode="record", use_cache=False).session()
                .complete(PROMPT, {"text": f"box {i} is dented"}).text for i in range(2)]
    fallback.down = lambda: True
    ai = resource(primary, fallback, cassette=str(tape), cassette_mode="replay", use_cache=False).session()
    assert [ai.complete(PROMPT, {"text": f"box {i} is dented"}).text for i in range(2)] == recorded
    replayed = [r for r in CallLedger(local_store()).rows() if r["replayed"]]
    assert len(replayed) == 2 and {r["provider"] for r in replayed} == {fallback.host}


def test_fallbacks_by_environment_read_at_use_never_share_the_primary_key(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://primary.example/v1")
    monkeypatch.setenv("OPENAI_API_KEY", PRIMARY_KEY)
    monkeypatch.setenv("AIWF_FALLBACK_BASE_URLS", "https://gw.example:8443/v1, http://vllm.local:8000/v1")
    monkeypatch.setenv("AIWF_FALLBACK_API_KEYS", FALLBACK_KEY)
    providers = providers_of(LLMResource())
    assert [p.host for p in providers] == ["primary.example", "gw.example:8443", "vllm.local:8000"]
    assert providers[1].api_key == FALLBACK_KEY and providers[2].api_key not in (PRIMARY_KEY, None)
    assert providers[2].models["cheap"] == "gpt-4o-mini" and PRIMARY_KEY not in repr(providers)
    monkeypatch.setenv("FALLBACK_KEY_VAR", FALLBACK_KEY)
    configured = LLMResource(fallbacks=[ProviderConfig(base_url="https://x.example/v1",
                                                       api_key=dg.EnvVar("FALLBACK_KEY_VAR"))])

    @dg.asset
    def keyed(llm: LLMResource) -> None:
        assert providers_of(llm)[1].api_key == FALLBACK_KEY

    assert dg.materialize([keyed], resources={"llm": configured}).success
    assert (provider_name("api.openai.com"), provider_name("acme.openai.azure.com"), provider_name("gw:1")) == \
        ("openai", "azure.ai.openai", "gw:1")
