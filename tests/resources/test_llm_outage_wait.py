"""A provider outage at the last provider is waited out for AIWF_MODEL_OUTAGE_WAIT_S (resources/llm/retrying.py):
the request is answered once the provider is back, the endpoint sees one probe per cooldown meanwhile, an outage
longer than the wait still fails with the cause first, and auth errors or a provider with a failover after it do
not wait."""

import threading
import time

import pytest

from resources.llm import LLMResource
from resources.llm.prompts import Prompt
from resources.llm.providers import ProviderConfig
from resources.offline.llm_server import OfflineLLMServer
from resources.llm.retry import CircuitOpen, LLMError
from resources.llm.retrying import Outage, outage_wait_s

PROMPT = Prompt("outage_wait", "1", "Say something about {topic}.")


def _resource(offline_llm, **fields) -> LLMResource:
    return offline_llm.model_copy(update={"max_attempts": 2, "breaker_failures": 2, "breaker_cooldown_s": 0.5,
                                          "use_cache": False, **fields})


def _outage(server, seconds: float) -> None:
    server.configure(fail_500_rate=1.0)
    threading.Timer(seconds, lambda: server.configure(fail_500_rate=0.0)).start()


def test_an_outage_shorter_than_the_wait_is_answered_with_one_probe_per_cooldown(offline_llm, offline_server,
                                                                                monkeypatch):
    monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", "30")
    ai = _resource(offline_llm).session()
    _outage(offline_server, 2.0)
    started = time.monotonic()
    answer = ai.complete(PROMPT, {"topic": "kettles"})
    waited = time.monotonic() - started
    assert answer.text and waited >= 1.5
    failed = offline_server.counters()["status_500"]
    assert failed <= 2 + waited / 0.5 + 1  # the breaker's threshold, then one probe per cooldown, not a hammering


def test_without_the_wait_the_open_circuit_fails_the_request_as_before(offline_llm, offline_server, monkeypatch):
    monkeypatch.delenv("AIWF_MODEL_OUTAGE_WAIT_S", raising=False)
    ai = _resource(offline_llm).session()
    offline_server.configure(fail_500_rate=1.0)
    errors = []
    for topic in ("a", "b"):
        with pytest.raises(LLMError) as caught:
            ai.complete(PROMPT, {"topic": topic})
        errors.append(caught.value)
    assert isinstance(errors[-1], CircuitOpen) and "500" in str(errors[-1]).splitlines()[0]


def test_an_outage_longer_than_the_wait_fails_with_the_cause_first(offline_llm, offline_server, monkeypatch):
    monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", "1.5")
    ai = _resource(offline_llm).session()
    offline_server.configure(fail_500_rate=1.0)
    started = time.monotonic()
    with pytest.raises(CircuitOpen) as caught:
        ai.complete(PROMPT, {"topic": "down"})
    assert 1.5 <= time.monotonic() - started < 15
    assert "500" in str(caught.value).splitlines()[0]


def test_auth_errors_are_not_waited_out(offline_llm, offline_server, monkeypatch):
    monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", "30")
    offline_server.configure(require_api_key="sk-the-right-key")
    started = time.monotonic()
    with pytest.raises(LLMError):
        _resource(offline_llm).session().complete(PROMPT, {"topic": "auth"})
    assert time.monotonic() - started < 10


def test_a_provider_with_a_failover_after_it_is_left_at_once(offline_llm, offline_server, monkeypatch):
    monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", "60")
    with OfflineLLMServer(fail_500_rate=1.0) as down:
        llm = _resource(offline_llm, base_url=down.url, fallbacks=[
            ProviderConfig(base_url=offline_server.url, api_key="sk-test-secret-key", cheap_model="gpt-4o-mini")])
        started = time.monotonic()
        answer = llm.session().complete(PROMPT, {"topic": "failover"})
    assert answer.text and time.monotonic() - started < 10
    assert offline_server.counters()["answered_total"] == 1


def test_the_wait_is_configured_and_checked(monkeypatch):
    monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", "90")
    assert outage_wait_s() == 90.0
    for bad in ("soon", "-1"):
        monkeypatch.setenv("AIWF_MODEL_OUTAGE_WAIT_S", bad)
        with pytest.raises(ValueError, match="AIWF_MODEL_OUTAGE_WAIT_S"):
            outage_wait_s()
    now = [0.0]
    outage = Outage(10.0, clock=lambda: now[0])
    assert not outage.waits("auth") and not outage.waits("rate_limit") and outage.since is None
    assert outage.waits("server_error") and outage.pause(1.0) == 1.0
    now[0] = 9.5
    assert outage.waits("connection") and outage.pause(1.0) == 0.5
    now[0] = 10.0
    assert not outage.waits("timeout")
