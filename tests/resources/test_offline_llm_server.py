"""The offline OpenAI-compatible test double, driven by the real ``openai`` client over HTTP."""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import logging
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, Optional

import httpx
import openai
import pytest
from pydantic import BaseModel, Field

from pipelines.cli.test_doubles import add_offline_llm_cli as add_cli
from resources.offline.llm_server import OWNER, OfflineLLMServer
from resources.offline.schema_answer import SchemaAnswerer, count_tokens

ARTICLE_PROMPT = (
    "Write a short article about sea otters using these notes:\n\n"
    "- Sea otters hold hands while they sleep.\n"
    "- The stock market closed higher on Tuesday.\n"
    "- Sea otters use rocks as tools to open shellfish. They live in kelp forests!\n"
    "- Kelp forests shelter many fish.\n"
    "- Sea otters have the densest fur of any animal.\n"
    "- Volcanoes erupt lava.\n"
    "- Sea otters were hunted almost to extinction."
)


@pytest.fixture(scope="module")
def server():
    with OfflineLLMServer() as srv:
        yield srv


@pytest.fixture
def fresh():
    """A server of its own, for tests that change faults or read counters."""
    with OfflineLLMServer() as srv:
        yield srv


def client(srv: OfflineLLMServer, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.url, api_key=kw.pop("api_key", "sk-offline"), **kw)


def chat(c: openai.OpenAI, text: str, **kw):
    return c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}], **kw)


def test_plain_answer_is_deterministic_extractive_and_labelled(server):
    c = client(server)
    raw = c.chat.completions.with_raw_response.create(
        model="any-model-name", messages=[{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": ARTICLE_PROMPT}])
    assert raw.headers["x-aiwf-offline"] == "1"
    first = raw.parse()
    again = chat(c, ARTICLE_PROMPT)  # a different body (no system message) may differ; the same body may not
    repeat = c.chat.completions.create(model="any-model-name", messages=[{"role": "system", "content": "Be brief."},
                                                                          {"role": "user", "content": ARTICLE_PROMPT}])
    answer = first.choices[0].message.content
    assert answer == repeat.choices[0].message.content and first.id == repeat.id
    assert again.choices[0].message.content  # non-empty
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", answer) if s]
    assert sentences and all(s in ARTICLE_PROMPT for s in sentences)
    assert "Sea otters hold hands while they sleep." in answer
    assert "Volcanoes" not in answer and "stock market" not in answer  # off-topic notes are left out
    assert first.model == "any-model-name" and first.choices[0].finish_reason == "stop"
    assert first.usage.prompt_tokens == count_tokens("Be brief.") + count_tokens(ARTICLE_PROMPT)
    assert first.usage.completion_tokens == count_tokens(answer)

    short = chat(c, ARTICLE_PROMPT, max_tokens=5)
    assert short.usage.completion_tokens <= 5 and short.choices[0].finish_reason == "length"


def test_separator_marks_the_sources(server):
    text = "Summarise the sources below about bees.\nKeep it short.\n---\nBees make honey. Wasps sting."
    answer = chat(client(server), text).choices[0].message.content
    assert answer == "Bees make honey. Wasps sting."


def test_streaming_matches_plain_answer_and_ends_with_done(server):
    c = client(server)
    plain = chat(c, ARTICLE_PROMPT)
    stream = chat(c, ARTICLE_PROMPT, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == plain.usage.total_tokens
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"

    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "Hello there. Bye."}]}
    raw = httpx.post(f"{server.url}/chat/completions", json=body).text
    events = [line for line in raw.splitlines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)
    assert json.loads(events[0][6:])["object"] == "chat.completion.chunk"


class Topic(enum.Enum):
    WILDLIFE = "wildlife"
    FINANCE = "finance"
    NEEDS_REVIEW = "needs_review"


class Claim(BaseModel):
    text: str
    source_index: int = Field(ge=1, le=7)


class Review(BaseModel):
    title: str = Field(max_length=30)
    sentiment: Literal["positive", "negative", "neutral"]
    topic: Topic
    confidence: float = Field(ge=0, le=1)
    approved: bool
    published: dt.date
    claims: list[Claim] = Field(min_length=2)
    tags: list[str]
    note: Optional[str]


def test_json_schema_answer_parses_into_pydantic_model(server):
    c = client(server)
    prompt = "Review the article.\n---\n" + ARTICLE_PROMPT + "\nOverall a negative story that needs review."
    result = c.chat.completions.parse(model="gpt-4o-mini", response_format=Review,
                                      messages=[{"role": "user", "content": prompt}])
    review = result.choices[0].message.parsed
    assert isinstance(review, Review)
    assert review.sentiment == "negative" and review.topic is Topic.NEEDS_REVIEW  # named in the message
    assert 0.6 <= review.confidence <= 0.99 and review.approved is True
    assert len(review.claims) == 2 and all(cl.text in prompt for cl in review.claims)
    assert len(review.title) <= 30 and len(review.tags) == 1 and review.note is not None
    again = c.chat.completions.parse(model="gpt-4o-mini", response_format=Review,
                                     messages=[{"role": "user", "content": prompt}])
    assert again.choices[0].message.content == result.choices[0].message.content


def test_enum_falls_back_to_a_seeded_choice(server):
    class Pick(BaseModel):
        colour: Literal["red", "green", "blue"]

    c = client(server)
    got = {c.chat.completions.parse(model="m", response_format=Pick,
                                    messages=[{"role": "user", "content": f"Pick any {i}."}]).choices[0].message.parsed.colour
           for i in range(12)}
    assert got <= {"red", "green", "blue"} and len(got) > 1


class TreeNode(BaseModel):
    name: str
    children: list["TreeNode"]
    parent: Optional["TreeNode"]


def test_recursive_model_terminates_and_validates(server):
    parsed = client(server).chat.completions.parse(
        model="m", response_format=TreeNode, messages=[{"role": "user", "content": "Root. Leaf."}])
    node = parsed.choices[0].message.parsed
    assert isinstance(node, TreeNode) and node.name in ("Root.", "Leaf.")


SCHEMA = {
    "type": "object",
    "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer", "exclusiveMinimum": 3,
                                                               "exclusiveMaximum": 6}},
                        "required": ["x"], "additionalProperties": False}},
    "properties": {
        "point": {"$ref": "#/$defs/Point"},
        "maybe": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/Point"}]},
        "either": {"oneOf": [{"type": "string", "minLength": 500}, {"type": "integer"}]},
        "kind": {"const": "fixed"},
        "when": {"type": "string", "format": "date-time"},
        "site": {"type": "string", "format": "uri"},
        "mail": {"type": "string", "format": "email"},
        "code": {"type": "string", "minLength": 3, "maxLength": 3},
        "ratio": {"type": "number", "minimum": -2.5, "maximum": -2.4},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
        "levels": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "maxItems": 3,
                   "uniqueItems": True},
        "empty": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
        "nothing": {"type": "null"},
        "flags": {"type": "object", "additionalProperties": {"type": "boolean"}, "minProperties": 2},
        "multi": {"type": ["null", "number"]},
    },
    "required": ["point", "maybe", "either", "kind", "levels"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("seed", range(5))
def test_generated_values_validate_against_a_json_schema(seed):
    jsonschema = pytest.importorskip("jsonschema")
    value = SchemaAnswerer(SCHEMA, "Some text. More text here.", seed).answer()
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(value)
    assert value["kind"] == "fixed" and value["maybe"] is not None


def test_raw_json_schema_and_json_object_over_http(server):
    c = client(server)
    fmt = {"type": "json_schema", "json_schema": {"name": "s", "schema": SCHEMA, "strict": True}}
    content = chat(c, "Anything.", response_format=fmt).choices[0].message.content
    assert json.loads(content)["kind"] == "fixed"
    obj = json.loads(chat(c, "One. Two.", response_format={"type": "json_object"}).choices[0].message.content)
    assert isinstance(obj, dict) and obj


def test_forced_tool_call_gets_schema_valid_arguments(server):
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "maximum": 5}},
        "required": ["query", "limit"], "additionalProperties": False}}}
    resp = chat(client(server), "Find otters.", tools=[tool], tool_choice="required")
    call = resp.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    assert call.function.name == "lookup" and resp.choices[0].finish_reason == "tool_calls"
    assert args["query"] == "Find otters." and 1 <= args["limit"] <= 5


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b))


def test_embeddings_are_deterministic_normalised_and_semantic_ish(server):
    c = client(server)
    texts = ["Sea otters use rocks as tools", "Otters use tools like rocks", "The stock market closed higher"]
    vecs = [d.embedding for d in c.embeddings.create(model="text-embedding-3-small", input=texts).data]  # base64
    floats = c.embeddings.create(model="x", input=texts, encoding_format="float").data
    assert all(len(v) == 384 and math.isclose(cosine(v, v), 1.0, rel_tol=1e-5) for v in vecs)
    assert all(math.isclose(a, b, abs_tol=1e-6) for d, v in zip(floats, vecs) for a, b in zip(d.embedding, v))
    assert cosine(vecs[0], vecs[1]) > 0.3 > abs(cosine(vecs[0], vecs[2]))
    single = c.embeddings.create(model="x", input=texts[0], dimensions=64, encoding_format="float")
    assert len(single.data[0].embedding) == 64 and single.usage.prompt_tokens == count_tokens(texts[0])
    assert single.data[0].embedding == c.embeddings.create(model="y", input=texts[0], dimensions=64,
                                                           encoding_format="float").data[0].embedding


def test_models_listing_and_paths_without_v1(server):
    models = client(server).models.list().data
    assert models and all(m.owned_by == OWNER for m in models)
    r = httpx.post(f"{server.root_url}/chat/completions",
                   json={"model": "m", "messages": [{"role": "user", "content": "Hi."}]})
    assert r.status_code == 200 and r.headers["x-aiwf-offline"] == "1"
    assert httpx.get(f"{server.root_url}/healthz").json()["ok"] is True


def test_429_carries_retry_after_and_counters_add_up(fresh):
    c = client(fresh, max_retries=0)
    chat(c, "Fine.")
    fresh.configure(fail_429_rate=1.0, retry_after_s=2)
    r = httpx.post(f"{fresh.url}/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 429 and r.headers["retry-after"] == "2" and r.headers["retry-after-ms"] == "2000"
    assert r.json()["error"]["code"] == "rate_limit_exceeded" and r.headers["x-aiwf-offline"] == "1"
    with pytest.raises(openai.RateLimitError):
        chat(c, "Blocked.")
    httpx.post(f"{fresh.root_url}/_control", json={"fail_429_rate": 0, "fail_500_rate": 1.0})
    with pytest.raises(openai.InternalServerError):
        chat(c, "Broken.")
    fresh.configure(fail_500_rate=0, fail_400_on="TOO LONG")
    with pytest.raises(openai.BadRequestError) as err:
        chat(c, "This is TOO LONG for you.")
    assert err.value.code == "context_length_exceeded"
    c.embeddings.create(model="e", input=["a", "b"])
    c.models.list()
    counters = httpx.get(f"{fresh.root_url}/_control").json()["counters"]
    assert counters == fresh.counters()
    assert counters["requests"] == 7 and counters["answered_total"] == 3
    assert counters["answered"] == {"chat.completions": 1, "embeddings": 1, "models": 1}
    assert (counters["status_429"], counters["status_500"], counters["status_400"]) == (2, 1, 1)
    with pytest.raises(ValueError):
        fresh.configure(no_such_setting=1)


def test_retrying_client_gets_through_and_fault_sequence_is_seeded():
    with OfflineLLMServer(fail_429_rate=0.5, retry_after_s=0.01, seed=7) as a, \
            OfflineLLMServer(fail_429_rate=0.5, retry_after_s=0.01, seed=7) as b:
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        codes = [[httpx.post(f"{s.url}/chat/completions", json=body).status_code for _ in range(12)] for s in (a, b)]
        assert codes[0] == codes[1] and {200, 429} == set(codes[0])
        a.configure(reset_counters=True)
        answers = [chat(client(a, max_retries=20), f"Question {i}.") for i in range(5)]
        assert len(answers) == a.counters()["answered"]["chat.completions"] == 5


def test_latency_overlaps_across_concurrent_requests():
    with OfflineLLMServer(latency_ms=200) as srv:
        c = client(srv)
        start = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda i: chat(c, f"Item {i}."), range(20)))
        elapsed = time.perf_counter() - start
    assert len(results) == 20 and 0.2 <= elapsed < 2.0


def test_slow_answer_times_out_the_client_and_is_counted(fresh):
    fresh.configure(timeout_rate=1.0, timeout_s=0.5)
    with pytest.raises(openai.APITimeoutError):
        chat(client(fresh, max_retries=0, timeout=0.1), "Slow.")
    deadline = time.monotonic() + 3
    while fresh.counters()["abandoned"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    counters = fresh.counters()
    assert counters["timeouts"] == 1 and counters["abandoned"] == 1 and counters["answered_total"] == 0


def test_api_key_is_required_when_set_and_never_logged(caplog, capfd):
    secret = "sk-very-secret-offline-key-123"
    caplog.set_level(logging.DEBUG)
    with OfflineLLMServer(require_api_key=secret) as srv:
        with pytest.raises(openai.AuthenticationError) as err:
            chat(client(srv, api_key="sk-wrong", max_retries=0), "Hello.")
        assert secret not in json.dumps(err.value.body) and "sk-wrong" not in json.dumps(err.value.body)
        assert chat(client(srv, api_key=secret), "Hello.").choices[0].message.content == "Hello."
        control = httpx.get(f"{srv.root_url}/_control").json()
        assert control["config"]["require_api_key"] is True and control["counters"]["status_401"] == 1
    server_records = [r for r in caplog.records if r.name.startswith(("aiwf", "uvicorn"))]
    assert any(r.name.startswith("aiwf") for r in server_records)  # the capture did see the server's logging
    logged = "\n".join(r.getMessage() for r in server_records) + "".join(capfd.readouterr())
    assert secret not in logged and "sk-wrong" not in logged and "Bearer" not in logged


def test_add_cli_registers_offline_llm():
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["offline-llm", "--port", "9999", "--latency-ms", "100", "--fail-429", "0.1",
                              "--retry-after", "2", "--seed", "3"])
    assert (args.port, args.latency_ms, args.fail_429, args.retry_after, args.seed) == (9999, 100.0, 0.1, 2.0, 3)
    assert callable(args.func)


def test_a_body_answered_twice_is_counted_as_a_duplicate(fresh):
    c = client(fresh)
    chat(c, "Same question.")
    chat(c, "Same question.", stream=True).close()  # the same body streamed is the same request
    chat(c, "Other question.")
    c.embeddings.create(model="e", input=["a"])
    counters = fresh.counters()
    assert (counters["distinct_bodies"], counters["duplicate_bodies"]) == (3, 1)
    [(key, times)] = counters["duplicated"].items()
    assert key.startswith("chat.completions:") and times == 2
    everything = httpx.get(f"{fresh.root_url}/_control", params={"bodies": 1}).json()["bodies"]
    assert everything == fresh.bodies() and sorted(everything.values()) == [1, 1, 2]
    fresh.configure(reset_counters=True)
    assert fresh.bodies() == {} and fresh.counters()["duplicate_bodies"] == 0
