"""The layers of a model call: a provider that is down trips the endpoint's breaker, answers are scrubbed of the
key, embeddings are redacted, the shared rate limit survives run config, and the answer names its prompt."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from aiwf_state import local_store

from resources.llm import LLMResource
from resources.llm.budget import Budget
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.llm.request import ChatRequest
from resources.llm.retry import BudgetExceeded, CircuitOpen
from resources.llm.session import limiter_for

PROMPT = Prompt("layers", "3", "Say something about {topic}.")
KEY = "sk-layers-secret-key-1234567890"


class _Provider(BaseHTTPRequestHandler):
    status, text, bodies = 200, "", []

    def do_POST(self):  # noqa: N802 - http.server's name
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        if self.status != 200:
            body = {"error": {"message": "the service is temporarily unavailable", "type": "server_error"}}
        elif self.path.endswith("/embeddings"):
            body = {"object": "list", "model": "e", "usage": {"prompt_tokens": 3, "total_tokens": 3},
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]}
        else:
            body = {"id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": self.text}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
        data = json.dumps(body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    handler = type("Provider", (_Provider,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_a_provider_answering_503_trips_the_breaker_fast_with_the_cause_first(provider):
    handler, url = provider
    handler.status = 503
    llm = LLMResource(base_url=url, api_key=KEY, backoff_base_s=0.5, backoff_max_s=20, breaker_cooldown_s=30)
    ai, started = llm.session(), time.monotonic()
    errors = []
    for i in range(3):  # a sequential step keeps asking: the open circuit answers at once
        with pytest.raises(Exception) as caught:
            ai.complete(PROMPT, {"topic": f"t{i}"})
        errors.append(caught.value)
    assert time.monotonic() - started < 30 and len(handler.bodies) <= 10
    assert isinstance(errors[-1], CircuitOpen)
    first_line = str(errors[0]).splitlines()[0]
    assert "503" in first_line and url in str(errors[-1]).splitlines()[0] and "503" in str(errors[-1])
    assert all(KEY not in str(e) for e in errors)


def test_the_open_circuit_probes_after_its_cooldown_and_closes(provider):
    handler, url = provider
    handler.status, handler.text = 503, "fine"
    llm = LLMResource(base_url=url, api_key=KEY, max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.01,
                      breaker_failures=2, breaker_cooldown_s=0.3)
    ai = llm.session()
    with pytest.raises(Exception):
        ai.complete(PROMPT, {"topic": "a"})
    with pytest.raises(CircuitOpen):
        ai.complete(PROMPT, {"topic": "b"})
    sent = len(handler.bodies)
    handler.status = 200
    time.sleep(0.35)
    assert ai.complete(PROMPT, {"topic": "c"}).text == "fine" and len(handler.bodies) == sent + 1


def test_the_api_key_in_an_answer_reaches_no_answer_cache_or_ledger(provider):
    handler, url = provider
    handler.text = f"Sure. Your key is {KEY} and another is sk-proj-abcdefghijklmnopqrstuvwxyz012345."
    llm = LLMResource(base_url=url, api_key=KEY)
    answer = llm.session().complete(PROMPT, {"topic": "keys"})
    assert KEY not in answer.text and "sk-proj-abcdefghijklmnopqrstuvwxyz012345" not in answer.text
    cached = llm.session().complete(PROMPT, {"topic": "keys"})
    assert cached.cached and KEY not in cached.text
    store = local_store()
    assert KEY not in repr(store.query("SELECT * FROM llm_cache")) and KEY not in repr(CallLedger(store).rows())


def test_embedding_inputs_are_pii_redacted(provider):
    handler, url = provider
    llm = LLMResource(base_url=url, api_key=KEY, redact_pii=True)
    llm.session().embed(["write to jane.doe@example.com about the order"])
    assert "jane.doe@example.com" not in json.dumps(handler.bodies)


def test_the_answer_names_the_prompt_version_that_answered(provider):
    handler, url = provider
    handler.text = "ok"
    answer = LLMResource(base_url=url, api_key=KEY).session().complete(PROMPT, {"topic": "x"}, max_tokens=50)
    assert (answer.prompt_ref, answer.prompt_version, answer.usage.output) == ("layers@3", "3", 7)


def test_one_budget_gate_reserves_before_sending_and_settles_after():
    request = ChatRequest("chat", "gpt-4o-mini", "h", est_tokens_in=100, max_tokens_out=50)
    budget = Budget(run_tokens=300)
    usd, tokens = budget.estimate(request)
    assert tokens == 150 and usd > 0
    budget.reserve(usd, tokens, "first")
    budget.reserve(usd, tokens, "second")  # 300 in flight: at the cap, not past it
    with pytest.raises(BudgetExceeded, match="run budget of 300 tokens would be passed.*; third"):
        budget.reserve(usd, tokens, "third")
    budget.settle((usd, tokens), usd, 40, tokens_out=20)  # answered smaller: later estimates follow it
    assert budget.estimate(request)[1] == 120 and budget.spent_run[1] == 40


def test_the_shared_rate_limit_survives_run_config_that_sets_a_rate(monkeypatch):
    """`requests_per_minute` in run config rebuilds the resource with rate_limit_url None: the env still applies."""
    monkeypatch.setenv("AIWF_RATE_LIMIT_URL", "redis://127.0.0.1:1/0")
    bound = LLMResource(base_url="http://limits.test/v1", rate_limit_url=dg.EnvVar("AIWF_RATE_LIMIT_URL"))
    seen = {}

    @dg.asset
    def probe(context, llm: LLMResource):
        seen["limiter"] = type(limiter_for(llm)).__name__
        seen["rpm"] = llm.requests_per_minute

    config = {"resources": {"llm": {"config": {"base_url": "http://limits.test/v1", "requests_per_minute": 300}}}}
    assert dg.materialize([probe], resources={"llm": bound}, run_config=config).success
    assert seen == {"limiter": "SharedRateLimiter", "rpm": 300}
    assert type(limiter_for(LLMResource(base_url="http://limits.test/v1", requests_per_minute=300))).__name__ == \
        "SharedRateLimiter"
    monkeypatch.delenv("AIWF_RATE_LIMIT_URL")
    assert type(limiter_for(LLMResource(base_url="http://limits.test/v1", requests_per_minute=301))).__name__ == \
        "RateLimiter"
