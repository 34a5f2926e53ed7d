"""Request claims: sessions of different runs/processes sending the same request at once pay for it once."""

import subprocess
import sys
import threading
import time

import pytest
from aiwf_state import local_store

from resources.llm import LLMResource
from resources.llm.claims import PREFIX
from resources.llm.ledger import CallLedger
from resources.llm.prompts import Prompt
from resources.state.leases import Leases
from resources.state.resource import StateResource

PROMPT = Prompt("claims", "1", "Summarise.\n---\n{text}")
TEXT = "Two runs asked the same question at the same time. Only one of them should pay for the answer."


def _llm(server, state: StateResource | None = None, **changes) -> LLMResource:
    return LLMResource(base_url=server.url, api_key="sk-test", backoff_base_s=0.01, backoff_max_s=0.05,
                       state=state, **changes)


def _together(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant."""
    start, results = threading.Barrier(n), [None] * n

    def run(i):
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _assert_paid_once(server, answers) -> None:
    counters = server.counters()
    assert counters["answered"]["chat.completions"] == 1, counters
    assert (counters["distinct_bodies"], counters["duplicate_bodies"]) == (1, 0)
    assert sorted(a.cached for a in answers) == [False] + [True] * (len(answers) - 1)
    assert len({a.text for a in answers}) == 1
    assert len({a.answer_cost_usd for a in answers}) == 1 and answers[0].answer_cost_usd > 0


def test_sessions_sending_the_same_request_at_once_send_it_once(offline_server, offline_llm):
    offline_server.configure(latency_ms=300)
    answers = _together(4, lambda i: offline_llm.session().complete(PROMPT, {"text": TEXT}))
    _assert_paid_once(offline_server, answers)
    paid = [r for r in CallLedger(local_store()).rows() if not r["cache_hit"]]
    assert len(paid) == 1 and Leases(local_store()).holder(PREFIX + paid[0]["request_hash"]) is None  # released


CHILD = """
import pathlib, sys, time, json
from resources.llm import LLMResource
from resources.llm.prompts import Prompt
here = pathlib.Path(sys.argv[1])
llm = LLMResource(base_url=sys.argv[2], api_key="sk-test")
ai = llm.session()
ai.cache  # the store is open: only the request itself is left to race
(here / f"ready-{sys.argv[3]}").touch()
while not (here / "go").exists():
    time.sleep(0.002)
answer = ai.complete(Prompt("claims", "1", "Summarise.\\n---\\n{text}"), {"text": sys.argv[4]})
print(json.dumps({"cached": answer.cached, "text": answer.text}))
"""


def test_two_processes_on_one_sqlite_file_make_one_http_call(offline_server, offline_llm, tmp_path):
    offline_server.configure(latency_ms=300)
    sync = tmp_path / "sync"
    sync.mkdir()
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(sync), offline_server.url, str(i), TEXT],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    deadline = time.time() + 60
    while not all((sync / f"ready-{i}").exists() for i in (1, 2)) and time.time() < deadline:
        time.sleep(0.01)
    (sync / "go").touch()
    outputs = [child.communicate(timeout=60) for child in children]
    assert [c.returncode for c in children] == [0, 0], [err for _, err in outputs]
    cached = sorted('"cached": true' in out for out, _ in outputs)
    assert cached == [False, True]
    counters = offline_server.counters()
    assert counters["answered"]["chat.completions"] == 1 and counters["duplicate_bodies"] == 0


def test_a_crashed_claimers_claim_expires_and_a_waiter_takes_over(offline_server, offline_llm):
    ai = offline_llm.session()
    call = ai.request_for(PROMPT, {"text": TEXT})
    Leases(local_store()).take(PREFIX + call.hash, "dead-run/host/1/abcd", ttl_s=0.4)  # it never answers
    started = time.monotonic()
    answer = ai.complete(PROMPT, {"text": TEXT})
    assert not answer.cached and 0.3 < time.monotonic() - started < 5
    assert offline_server.counters()["answered_total"] == 1 and ai.metadata()["llm_shared_waits"] == 1


def test_the_wait_is_bounded_even_for_a_live_claim(offline_server):
    llm = _llm(offline_server, claim_wait_s=0.3)
    ai = llm.session()
    call = ai.request_for(PROMPT, {"text": TEXT})
    Leases(local_store()).take(PREFIX + call.hash, "slow-run/host/1/abcd", ttl_s=600)
    started = time.monotonic()
    assert not ai.complete(PROMPT, {"text": TEXT}).cached
    assert 0.3 <= time.monotonic() - started < 5


def test_a_failed_claimer_lets_the_waiter_send(offline_server, offline_llm):
    offline_server.configure(fail_400_on="REJECT", latency_ms=200)
    text = "REJECT " + TEXT

    def ask(i):
        try:
            return offline_llm.session().complete(PROMPT, {"text": text})
        except Exception as exc:  # noqa: BLE001 - both must fail the same way, neither may hang
            return type(exc).__name__

    assert _together(2, ask) == ["LLMRequestRejected", "LLMRequestRejected"]
    assert offline_server.counters()["status_400"] in (1, 2)  # the second sent only after the first gave up


def test_embeddings_being_sent_by_another_session_are_waited_for(offline_server, offline_llm):
    offline_server.configure(latency_ms=300)
    vectors = _together(3, lambda i: offline_llm.session().embed(["cold brew ratio", "burr grinder care"]))
    assert vectors[0] == vectors[1] == vectors[2]
    counters = offline_server.counters()  # each text is embedded once, whichever session claimed it
    assert counters["duplicate_bodies"] == 0 and counters["prompt_tokens"] == 3 + 3


@pytest.mark.integration
def test_claims_hold_on_postgres(offline_server, pg_url):
    offline_server.configure(latency_ms=300, reset_counters=True)
    state = StateResource(pg_url=pg_url)
    answers = _together(4, lambda i: _llm(offline_server, state).session().complete(PROMPT, {"text": TEXT}))
    _assert_paid_once(offline_server, answers)


def dead_owner() -> str:
    """An owner name whose process (on this host) has ended."""
    import socket

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return f"killed-run/abcd@{socket.gethostname()}:{child.stdout.strip()}"


def test_a_claim_whose_process_is_gone_is_taken_at_once(offline_server, offline_llm):
    ai = offline_llm.session()
    call = ai.request_for(PROMPT, {"text": TEXT})
    Leases(local_store()).take(PREFIX + call.hash, dead_owner(), ttl_s=600)  # SIGKILLed mid-request
    started = time.monotonic()
    assert not ai.complete(PROMPT, {"text": TEXT}).cached and time.monotonic() - started < 2


def test_one_transaction_reads_the_cache_and_claims_a_miss_and_the_answer_ends_the_claim():
    """`claim` looks in the cache and takes a miss together; the answer is stored as the claim ends, so a second
    sender sees the claim (and waits) or the answer (and pays nothing), never neither."""
    from resources.llm.cache import ResponseCache
    from resources.llm.claims import RequestClaims

    store = local_store()
    cache = ResponseCache(store)
    mine = RequestClaims(store, "run-a@elsewhere:1", 60, 1, cache=cache)
    other = RequestClaims(store, "run-b@elsewhere:2", 60, 1, cache=cache)
    assert mine.claim("h1") == (None, None) and "h1" in mine.taken
    holder, entry = other.claim("h1")
    assert entry is None and holder.owner == "run-a@elsewhere:1" and "h1" not in other.taken

    def store_answer(cur):
        cache.put_in(cur, "h1", "m", {"text": "x"}, 1, 2, 0.5)
        return mine.release_in(cur, "h1")

    assert store.transact(store_answer) is True
    mine.forget("h1")
    assert Leases(store).holder(PREFIX + "h1") is None
    holder, entry = other.claim("h1")
    assert holder is None and entry["response"] == {"text": "x"} and entry["cost_usd"] == 0.5
    assert "h1" not in other.taken and Leases(store).holder(PREFIX + "h1") is None  # a hit keeps no claim


def test_answers_written_through_a_sink_commit_together_and_are_never_paid_twice_meanwhile(offline_server,
                                                                                             offline_llm):
    """llm_map hands a session its checkpoint writer: the answer, its ledger row and the end of its claim wait
    for the writer's next group commit; until then the same request is answered from memory, not sent again."""
    import asyncio

    class Sink:
        def __init__(self):
            self.queued = []

        def also(self, work, done=None):
            self.queued.append((work, done))

        def flush(self, store):
            with store.transaction() as cur:
                for work, _ in self.queued:
                    work(cur)
            for _, done in self.queued:
                done()
            self.queued = []

    store, sink = local_store(), Sink()
    session = offline_llm.session()
    session.write_with(sink)

    async def twice():
        first = await session.acomplete(PROMPT, {"text": TEXT})
        return first, await session.acomplete(PROMPT, {"text": TEXT})

    first, second = asyncio.run(twice())
    assert (first.cached, second.cached, second.text) == (False, True, first.text)
    assert offline_server.counters()["answered"]["chat.completions"] == 1
    assert len(sink.queued) == 1 and [r["cache_hit"] for r in CallLedger(store).rows()] == [1]  # paid row waits
    assert Leases(store).holder(PREFIX + first.request_hash) is not None  # still claimed: others wait
    sink.flush(store)
    assert sorted(r["cache_hit"] for r in CallLedger(store).rows()) == [0, 1]
    assert Leases(store).holder(PREFIX + first.request_hash) is None and not session.caching.unflushed
    assert offline_llm.session().complete(PROMPT, {"text": TEXT}).cached  # another session: from the cache
    assert offline_server.counters()["answered"]["chat.completions"] == 1


@pytest.mark.parametrize("status, waits", [("FAILURE", 0), ("STARTED", 1)])
def test_a_claim_of_a_run_that_ended_is_taken_over_at_once(offline_server, offline_llm, status, waits):
    from types import SimpleNamespace

    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from resources.llm.claims import finished_runs, new_owner

    offline_llm.model_copy(update={"use_cache": False}).session().complete(PROMPT, {"text": TEXT})
    request_hash = CallLedger(local_store()).rows()[0]["request_hash"]
    with dg.instance_for_test() as instance:
        other = instance.add_run(DagsterRun(job_name="earlier", run_id="e" * 36, status=DagsterRunStatus[status]))
        Leases(local_store()).take(PREFIX + request_hash, new_owner(other.run_id), ttl_s=600)  # left behind
        llm = offline_llm.model_copy(update={"claim_wait_s": 0.3})  # a live holder is waited for, briefly here
        ai = llm.session()  # as a step's session is given its context (the run's Dagster instance)
        ai.claims.finished = finished_runs(SimpleNamespace(instance=instance))
        answer = ai.complete(PROMPT, {"text": TEXT})
    assert not answer.cached and ai.claims.waited == waits  # an ended run's claim: sent here, without waiting
    assert offline_server.counters()["answered"]["chat.completions"] == 2
