"""Replay cassettes (resources/llm/cassette.py): record over real HTTP, replay with no endpoint, misses are clear."""

import asyncio
import json
import multiprocessing
import socket

import pytest
from pydantic import BaseModel

from resources.llm import LLMResource
from resources.llm.cassette import CassetteError, append, load
from resources.llm.prompts import Prompt
from resources.llm.retry import LLMRequestRejected

PROMPT = Prompt("summary", "3", "Summarise for {who}.\n---\n{text}", system="Be brief.")
NOTE = "Call me on +44 20 7946 0958 or mail jane.doe@example.com about the cracked lid."
KEY = "sk-test-secret-key-1234567890abcdef"


class Triage(BaseModel):
    route: str
    confidence: float


def closed_port_url() -> str:
    """An address where nothing listens: any request to it fails to connect."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def resource(url, tape, mode, **kw) -> LLMResource:
    return LLMResource(base_url=url, api_key=KEY, cassette=str(tape), cassette_mode=mode, backoff_base_s=0.01,
                       backoff_max_s=0.02, max_attempts=2, use_cache=False, **kw)


def calls(llm: LLMResource):
    ai = llm.session()
    plain = ai.complete(PROMPT, {"who": "ops", "text": NOTE}).text
    structured = ai.complete(PROMPT, {"who": "triage", "text": NOTE}, response_model=Triage).parsed
    concurrent = asyncio.run(_both(llm))
    vectors = ai.embed(["cracked lid", NOTE])
    return plain, structured, concurrent, vectors


async def _both(llm):
    ai = llm.session()
    try:
        return await asyncio.gather(*(ai.acomplete(PROMPT, {"who": w, "text": NOTE}) for w in ("a", "b")))
    finally:
        await ai.aclose()


def test_recorded_calls_replay_identically_with_no_network(offline_server, tmp_path):
    offline_server.configure(reset_counters=True, fail_429_rate=0, fail_500_rate=0, fail_400_on=None)
    tape = tmp_path / "run.jsonl"
    recorded = calls(resource(offline_server.url, tape, "record"))
    sent = offline_server.counters()["answered_total"]
    assert sent == 5 and len(load(str(tape))) == 5

    replayed = calls(resource(closed_port_url(), tape, "replay", redact_pii=True))
    assert [r.text for r in replayed[2]] == [r.text for r in recorded[2]]
    assert replayed[0] == recorded[0] and replayed[1] == recorded[1] and replayed[3] == recorded[3]
    assert offline_server.counters()["answered_total"] == sent  # nothing reached the server


def test_cassette_keeps_no_key_no_headers_and_redacted_requests(offline_server, tmp_path):
    tape = tmp_path / "run.jsonl"
    calls(resource(offline_server.url, tape, "record", redact_pii=False))  # the double got the raw note
    text = tape.read_text()
    assert KEY not in text and "authorization" not in text.lower() and "bearer" not in text.lower()
    assert "jane.doe@example.com" not in text and "7946 0958" not in text
    entry = json.loads(text.splitlines()[0])
    assert set(entry) == {"hash", "request", "response", "seal"} and entry["request"]["path"] == "/chat/completions"
    assert set(entry["response"]["headers"]) <= {"content-type", "x-aiwf-offline"}


def test_missing_request_is_a_final_error_naming_prompt_version_and_hash(offline_server, tmp_path):
    tape = tmp_path / "run.jsonl"
    resource(offline_server.url, tape, "record").session().complete(PROMPT, {"who": "ops", "text": "hello there"})
    ai = resource(closed_port_url(), tape, "replay").session()
    with pytest.raises(LLMRequestRejected) as err:
        ai.complete(PROMPT, {"who": "ops", "text": "a request never recorded"})
    message = str(err.value)
    assert "summary@3" in message and "request hash " in message and str(tape) in message
    assert err.value.error_class == "cassette_miss" and err.value.attempts == 1  # not retried


def test_bad_configuration_is_refused(tmp_path):
    with pytest.raises(CassetteError, match="record it first"):
        resource(closed_port_url(), tmp_path / "none.jsonl", "replay").session().complete(PROMPT, {"who": "a",
                                                                                                     "text": "b"})
    with pytest.raises(CassetteError, match="expected one of record, replay"):
        resource(closed_port_url(), tmp_path / "x.jsonl", "rewind").cassette_config()


def _writer(path, n):
    for i in range(n):
        append(path, {"hash": f"{n}-{i}", "request": {}, "response": {"body": "x" * 200_000}})


def test_appends_from_several_processes_never_interleave(tmp_path):
    path = str(tmp_path / "shared.jsonl")
    procs = [multiprocessing.get_context("fork").Process(target=_writer, args=(path, n)) for n in (20, 21, 22)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert len(load(path)) == 63


# --- round 3: a tampered cassette is a miss that names the entry; replayed answers say they are replayed --------
def _tamper(tape, change, reseal: bool = False):
    """Rewrite the first structured answer's entry with `change(entry)`; `reseal` recomputes a plain digest seal
    as someone without the audit key can."""
    import hashlib

    lines = tape.read_text().splitlines()
    for i, line in enumerate(lines):
        entry = json.loads(line)
        if "confidence" in json.dumps(entry["response"]["body"]):
            change(entry)
            if reseal:
                body = {k: v for k, v in entry.items() if k != "seal"}
                canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                entry["seal"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
            lines[i] = json.dumps(entry, sort_keys=True, ensure_ascii=False)
            tape.write_text("\n".join(lines) + "\n")
            return entry["hash"]
    raise AssertionError("no structured answer recorded")


def _auto_refund(entry):
    message = entry["response"]["body"]["choices"][0]["message"]
    message["content"] = json.dumps({"route": "auto_refund", "confidence": 0.99})


def _negative_usage(entry):
    entry["response"]["body"]["usage"] = {"prompt_tokens": -90000, "completion_tokens": -5000, "total_tokens": -95000}


def _replay_structured(tape):
    ai = resource(closed_port_url(), tape, "replay").session()
    return ai.complete(PROMPT, {"who": "triage", "text": NOTE}, response_model=Triage)


@pytest.mark.parametrize("change, reseal, keyed, problem", [
    (_auto_refund, False, False, "seal does not match"),
    (_auto_refund, True, True, "seal does not match"),  # a recomputed digest is no use against the key
    (_negative_usage, True, False, "usage.prompt_tokens must be a non-negative integer"),
])
def test_a_tampered_entry_is_a_miss_that_names_it(offline_server, tmp_path, monkeypatch, change, reseal, keyed,
                                                  problem):
    if keyed:
        monkeypatch.setenv("AIWF_AUDIT_KEY", "cassette-test-key-0123456789")
    tape = tmp_path / "run.jsonl"
    resource(offline_server.url, tape, "record").session().complete(PROMPT, {"who": "triage", "text": NOTE},
                                                                     response_model=Triage)
    digest = _tamper(tape, change, reseal)
    with pytest.raises(LLMRequestRejected) as err:
        _replay_structured(tape)
    assert err.value.error_class == "cassette_miss" and err.value.attempts == 1
    assert digest in str(err.value) and "line 1" in str(err.value) and problem in str(err.value)


def test_an_entry_without_a_seal_is_refused(offline_server, tmp_path):
    tape = tmp_path / "run.jsonl"
    resource(offline_server.url, tape, "record").session().complete(PROMPT, {"who": "triage", "text": NOTE},
                                                                     response_model=Triage)
    _tamper(tape, lambda entry: entry.pop("seal", None))
    with pytest.raises(LLMRequestRejected, match="no seal"):
        _replay_structured(tape)


def test_replayed_answers_carry_the_replayed_header(offline_server, tmp_path):
    import httpx2 as httpx

    from resources.llm.cassette import REPLAYED_HEADER, _Cassette

    tape = tmp_path / "run.jsonl"
    resource(offline_server.url, tape, "record").session().complete(PROMPT, {"who": "ops", "text": "hello"})
    [entry] = load(str(tape)).values()
    request = httpx.Request("POST", "http://anywhere.test/v1/chat/completions", json=entry["request"]["body"])
    answer = _Cassette(str(tape), "replay", "/v1").answer(request)
    assert answer.status_code == 200 and answer.headers[REPLAYED_HEADER] == "1"
    assert REPLAYED_HEADER == "x-aiwf-replayed"
    assert REPLAYED_HEADER not in json.dumps(entry)  # what was recorded was a real answer; the replay says so


def test_an_embedding_batched_differently_is_answered_from_its_recorded_vectors(tmp_path):
    """Recorded as one request of three texts, replayed as a request of one: answered from the sealed vectors; a
    text never embedded is still a miss, and a tampered entry contributes no vector."""
    from resources.llm.cassette import request_key
    from resources.llm.cassette_seal import seal
    from resources.llm.cassette_vectors import composed_answer, vectors_by_text

    body = {"model": "emb-x", "input": ["a", "b", "c"]}
    digest, stored = request_key("POST", "/embeddings", body)
    entry = {"hash": digest, "request": stored, "response": {"status": 200, "headers": {}, "body": {
        "data": [{"index": i, "embedding": [float(i), 1.0]} for i in range(3)], "usage": {"prompt_tokens": 6}}}}
    entry["seal"] = seal(entry, None)
    from resources.llm.cassette_seal import entry_problem

    found = vectors_by_text([(1, entry)], lambda e: entry_problem(e, None))
    answer = composed_answer({"model": "emb-x", "input": ["b"]}, found)
    assert answer["data"] == [{"object": "embedding", "index": 0, "embedding": [1.0, 1.0]}]
    assert answer["usage"]["prompt_tokens"] == 2
    assert composed_answer({"model": "emb-x", "input": ["b", "zzz"]}, found) is None
    assert composed_answer({"model": "emb-y", "input": ["b"]}, found) is None  # another model's vectors never
    tampered = {**entry, "response": {**entry["response"], "body": {**entry["response"]["body"], "usage": {
        "prompt_tokens": -5}}}}
    assert vectors_by_text([(1, tampered)], lambda e: entry_problem(e, None)) == {}
