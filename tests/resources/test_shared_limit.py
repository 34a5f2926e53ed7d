"""Rate limits shared across processes (resources/llm/shared_limit.py) on the real local Redis and Postgres."""

import multiprocessing
import time
import uuid

import pytest
from local_services import require_redis, scratch_pg_database

from benchmarks.shared_limit import most_in_window
from resources.llm.shared_limit import SharedLimitUnavailable, SharedRateLimiter


@pytest.fixture(scope="module")
def redis_url():
    return require_redis()


@pytest.fixture(scope="module")
def pg_url():
    with scratch_pg_database("aiwf_rl") as url:
        yield url


@pytest.fixture(params=["redis", "postgres"])
def limit_url(request):
    return request.getfixturevalue("redis_url" if request.param == "redis" else "pg_url")


def endpoint() -> str:
    return f"http://test-{uuid.uuid4().hex[:8]}/v1"  # a fresh budget per test


@pytest.mark.integration
def test_a_refused_request_is_not_charged(limit_url):
    url = endpoint()
    # 1/s, so that a loaded machine's pauses between two calls are small beside the waits the test reads.
    first, other = SharedRateLimiter(limit_url, url, 60), SharedRateLimiter(limit_url, url, 60)  # two "processes"
    assert first.reserve() == 0
    wait = first.reserve()
    assert 0.5 < wait <= 1.11  # the next slot is 1 s away (plus up to 10% jitter)
    for _ in range(5):  # asking again (or dying) while waiting reserves nothing ahead
        assert 0.0 < other.reserve() <= 1.11  # not 2 s: nothing was reserved ahead
    time.sleep(1.0)
    assert other.reserve() == 0 and first.reserve() > 0.5


@pytest.mark.integration
def test_tokens_are_settled_and_models_have_their_own_budget(limit_url):
    url = endpoint()
    limiter = SharedRateLimiter(limit_url, url, None, 600, model_limits={"big": (None, 6000)})  # 10 tok/s
    # Waits are read, not slept; time passing between calls (a loaded machine) only shortens them.
    assert limiter.reserve(tokens=50, model="small") == 0
    assert 4.5 < limiter.reserve(tokens=50, model="small") <= 5.02
    limiter.settle(estimated=50, actual=10, model="small")  # the answer was smaller: 40 tokens come back
    assert 0.5 < limiter.reserve(tokens=50, model="small") <= 1.02
    assert limiter.reserve(tokens=50, model="big") == 0  # its own budget, ten times larger
    assert 0.25 < limiter.reserve(tokens=50, model="big") <= 0.502


@pytest.mark.integration
def test_a_bad_url_is_a_clear_error():
    with pytest.raises(ValueError, match="redis://"):
        SharedRateLimiter("http://127.0.0.1:6379", endpoint(), 60)
    down = SharedRateLimiter("redis://:s3cret-pass@127.0.0.1:1/0", endpoint(), 60)  # nothing listens on port 1
    with pytest.raises(SharedLimitUnavailable, match=r"redis://127\.0\.0\.1:1 failed") as err:
        down.reserve()
    assert "s3cret" not in str(err.value)


def _worker(base_url: str, limit_urls: list, rpm: int, seconds: float, home: str, ready, go, out) -> None:
    """One process calling as fast as it can, once per limit URL in turn (None: its own limiter), each phase
    released by its own `go` event."""
    import os

    os.environ["AIWF_HOME"] = home
    from resources.llm import LLMResource
    from resources.llm.prompts import Prompt

    prompt = Prompt("ping", "1", template="ping {i}")
    sessions = [LLMResource(base_url=base_url, api_key="sk-test", use_cache=False, requests_per_minute=rpm,
                            rate_limit_url=url).session() for url in limit_urls]
    for session in sessions:  # imports and connections before the clock starts, not inside it
        session.complete(prompt, {"i": -1})
    ready.put(os.getpid())
    for session, phase in zip(sessions, go):
        phase.wait(120)
        sent, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            session.complete(prompt, {"i": sent})
            sent += 1
        out.put(sent)


def run_workers(server, limit_urls: list, rpm: int, seconds: float, tmp_path, n: int = 3) -> list[list[float]]:
    """`n` warmed-up processes calling as fast as they can through LLMSession, all released at once, one phase per
    limit URL (the processes are started once for all phases); per phase, the server's arrival times of the requests
    sent after its release."""
    import httpx

    server.configure(latency_ms=0, jitter_ms=0, fail_429_rate=0, fail_500_rate=0, timeout_rate=0, reset_counters=True)
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Queue(), [ctx.Event() for _ in limit_urls], ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(server.url, limit_urls, rpm, seconds, str(tmp_path / f"w{i}"),
                                                ready, go, out)) for i in range(n)]
    for p in procs:
        p.start()
    for _ in procs:  # a loaded machine may take seconds to start a process: the clock starts when all are up
        ready.get(timeout=180)
    phases = []
    for phase in go:
        server.configure(reset_counters=True)  # the warm-up requests and the phase before are not counted
        phase.set()
        sent = [out.get(timeout=120) for _ in procs]
        arrivals = httpx.get(f"{server.root_url}/_control?arrivals=1").json()["arrivals"]
        assert len(arrivals) == sum(sent)
        phases.append(sorted(arrivals))
    for p in procs:
        p.join(30)
    return phases


# A request is charged by the limiter, then built, sent and received: a loaded machine may deliver a few of them
# late together. Counted at the server, a window holds what the limiter let through in the window plus this much.
DELIVERY_SLACK_S = 0.5


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["redis", "postgres"])
def test_three_processes_share_one_budget(offline_server, backend, tmp_path, request):
    limit_url = request.getfixturevalue("redis_url" if backend == "redis" else "pg_url")
    rate, seconds, window = 20, 4.0, 3.0  # 1200 requests/min shared by three processes
    # The same three processes, first through the shared limiter, then each with its own.
    times, alone = run_workers(offline_server, [limit_url, None], rate * 60, seconds, tmp_path)
    # Any 3 s at the server hold at most one burst request + 20/s x (3 s + the delivery slack).
    assert most_in_window(times, window) <= 1 + rate * (window + DELIVERY_SLACK_S)
    assert len(times) >= 0.75 * rate * seconds  # and the budget is used, not starved
    # Without the shared limiter each process has its own 20/s: together about three times as many.
    assert most_in_window(alone, window) >= 2 * (1 + rate * (window + DELIVERY_SLACK_S))


def test_per_process_limiter_has_per_model_budgets_too():
    from resources.llm.rate_limit import RateLimiter, model_limits

    limits = model_limits({"big": 6000}, {"small": 600})
    assert limits == {"big": (6000, None), "small": (None, 600)}
    limiter = RateLimiter(requests_per_minute=60, model_limits=limits)  # 1/s shared by unnamed models
    assert limiter.reserve(model="other") == 0 and 0.75 < limiter.reserve(model="other") <= 1.0
    assert limiter.reserve(model="big") == 0  # its own 100/s budget
    assert limiter.reserve(tokens=10, model="small") == 0  # 1/s requests (the default) and 10 tokens/s of its own
    assert 0.75 < limiter.reserve(tokens=10, model="small") <= 1.0


@pytest.mark.integration
def test_the_resource_chooses_the_shared_limiter_by_url(redis_url):
    from resources.llm import LLMResource
    from resources.llm.rate_limit import RateLimiter

    local = LLMResource(base_url=endpoint(), requests_per_minute=60).session()
    shared = LLMResource(base_url=endpoint(), requests_per_minute=60, rate_limit_url=redis_url).session()
    assert isinstance(local.limiter, RateLimiter) and local.limiter.reserves_ahead
    assert isinstance(shared.limiter, SharedRateLimiter) and not shared.limiter.reserves_ahead
