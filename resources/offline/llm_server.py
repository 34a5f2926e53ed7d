"""Offline OpenAI-compatible model server. THIS IS A TEST DOUBLE, NOT A LANGUAGE MODEL.

It lets the real ``openai`` client run demos, tests and benchmarks with no network and no key. Every response
carries the header ``x-aiwf-offline: 1`` and ``/v1/models`` lists models ``owned_by: "aiwf-offline-test-double"``.

Endpoints (each also without the ``/v1`` prefix): ``GET /v1/models``, ``POST /v1/chat/completions`` (plain, or
``stream: true`` as SSE chunks ending in ``data: [DONE]``, with a usage chunk when
``stream_options.include_usage``), ``POST /v1/embeddings``, the Batch API's ``files`` and ``batches``
(:mod:`resources.offline.batch_routes`), ``GET /healthz``, and ``GET|POST /_control`` to read
or change the fault configuration at runtime and read the counters.

Counters include ``distinct_bodies`` (request bodies answered, by :func:`digest`) and ``duplicate_bodies`` (answers
to a body already answered once: what a client paid twice), with ``duplicated`` mapping each body hash answered
more than once to its count; ``GET /_control?bodies=1`` adds ``bodies``, the count for every body hash, and
``?arrivals=1`` adds ``arrivals``, the wall-clock time of every request (what a provider's rate limit counts).

Answers are deterministic: the same request body (ignoring ``stream``/``stream_options``) gives the same answer.
Tokens are counted as words (:func:`resources.offline.schema_answer.count_tokens`): ``prompt_tokens`` over all
message contents, ``completion_tokens`` over the answer. Plain answers are extractive (only sentences copied
from the last user message); ``response_format`` ``json_schema`` answers validate against the schema;
``json_object`` answers are ``{"answer": <extractive text>}``; a forced tool call (``tool_choice`` "required" or a
named function) gets arguments built from the tool's parameter schema. The rules are in
:mod:`resources.offline.schema_answer`. Embeddings are a bag-of-words feature hash (unigrams and bigrams, signed
buckets, L2-normalised), so texts sharing words are closer than unrelated texts.

Faults, drawn per request from ``random.Random(seed)`` (a fixed sequence, not per body): ``latency_ms`` +
uniform ``jitter_ms`` (asyncio sleep: concurrent requests overlap), then with ``fail_429_rate`` a 429 with
``Retry-After``/``retry-after-ms`` from ``retry_after_s``, with ``fail_500_rate`` a 500, with ``timeout_rate`` a
``timeout_s`` delay before answering. ``fail_400_on``: a last user message containing that text gets a 400
``context_length_exceeded``. ``require_api_key``: other bearer keys get a 401, which names the key it got when
``echo_key_in_401`` is set (as some providers do: the case aiwf must scrub); keys are never logged.
Latency and faults apply to chat completions and embeddings only.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hmac
import json
import logging
import random
import re
import socket
import struct
import sys
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from resources.offline.batch_routes import BATCH_DEFAULTS, batch_routes, fresh_batch_counters
from resources.offline.schema_answer import answer_chat, count_tokens, digest, embed, last_user

log = logging.getLogger("aiwf.offline.llm_server")
OWNER = "aiwf-offline-test-double"
MODELS = ("aiwf-offline", "gpt-4o-mini", "gpt-4o", "text-embedding-3-small")
DEFAULTS: dict[str, Any] = {
    "latency_ms": 0.0, "jitter_ms": 0.0, "fail_429_rate": 0.0, "fail_500_rate": 0.0, "timeout_rate": 0.0,
    "timeout_s": 30.0, "retry_after_s": 1.0, "seed": 0, "fail_400_on": None, "require_api_key": None,
    "echo_key_in_401": False, "embedding_dim": 384, "answer_sentences": 5,
    **BATCH_DEFAULTS,  # the Batch API (files, batches): resources/offline/batch_routes.py
}
ENDPOINTS = ("chat.completions", "embeddings", "models")


def _fresh_counters() -> dict[str, Any]:
    return {"requests": 0, "answered": dict.fromkeys(ENDPOINTS, 0), "answered_total": 0, "status_400": 0,
            "status_401": 0, "status_429": 0, "status_500": 0, "timeouts": 0, "abandoned": 0, "streamed": 0,
            "prompt_tokens": 0, "completion_tokens": 0, "distinct_bodies": 0, "duplicate_bodies": 0,
            "duplicated": {}, **fresh_batch_counters()}


class _State:
    """Fault configuration, the fault RNG and the counters (shared by the event loop and the test thread)."""

    def __init__(self, **config: Any):
        self.lock = threading.Lock()
        self.config = dict(DEFAULTS)
        self.counters = _fresh_counters()
        self.bodies: dict[str, int] = {}  # body hash -> times answered (kept apart: it grows with every request)
        self.arrivals: list[float] = []  # wall-clock time each request arrived (rate-limit benchmarks)
        self.rng = random.Random(0)
        self.configure(**config)

    def configure(self, reset_counters: bool = False, **changes: Any) -> None:
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown offline server settings: {sorted(unknown)}")
        with self.lock:
            self.config.update(changes)
            if "seed" in changes:
                self.rng = random.Random(self.config["seed"])
            if reset_counters:
                self.counters, self.bodies, self.arrivals = _fresh_counters(), {}, []

    def public_config(self) -> dict[str, Any]:
        return {**self.config, "require_api_key": bool(self.config["require_api_key"])}

    def count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counters[key] += n
            if key == "requests":
                self.arrivals.append(time.time())

    def answered(self, endpoint: str, usage: dict | None = None, body: dict | None = None) -> None:
        with self.lock:
            self.counters["answered"][endpoint] += 1
            self.counters["answered_total"] += 1
            for key in ("prompt_tokens", "completion_tokens"):
                self.counters[key] += (usage or {}).get(key, 0)
            if body is not None:
                self._count_body(f"{endpoint}:{digest(body)}")

    def _count_body(self, key: str) -> None:
        """Count one answer to a body: a second answer to the same body is a duplicate (paid twice)."""
        seen = self.bodies[key] = self.bodies.get(key, 0) + 1
        if seen == 1:
            self.counters["distinct_bodies"] += 1
            return
        self.counters["duplicate_bodies"] += 1
        self.counters["duplicated"][key] = seen

    def draw(self) -> tuple[str | None, float]:
        """(fault, delay in seconds) for the next request; always two draws, so the sequence is fixed."""
        with self.lock:
            c, roll, jitter = self.config, self.rng.random(), self.rng.random()
            delay = (float(c["latency_ms"]) + jitter * float(c["jitter_ms"])) / 1000
            for fault, rate in (("429", c["fail_429_rate"]), ("500", c["fail_500_rate"]), ("timeout", c["timeout_rate"])):
                if roll < rate:
                    return fault, delay
                roll -= rate
            return None, delay


def _error(status: int, message: str, kind: str, code: str | None = None, headers: dict | None = None) -> Response:
    body = {"error": {"message": f"{message} (aiwf offline test double)", "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


class _OfflineHeader:
    """ASGI middleware: stamps every HTTP response as coming from the test double."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def stamped(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-aiwf-offline", b"1")]
                log.debug("%s %s -> %s", scope["method"], scope["path"], message["status"])  # never headers
            await send(message)

        await self.app(scope, receive, stamped if scope["type"] == "http" else send)


def build_app(state: _State) -> Starlette:
    """The Starlette app serving ``state``'s configuration."""

    async def guarded(request: Request, endpoint: str) -> tuple[dict | None, Response | None]:
        """Counts, checks the key, reads the body and applies faults; returns (body, early response)."""
        state.count("requests")
        key = state.config["require_api_key"]
        sent = request.headers.get("authorization", "")
        if key and not hmac.compare_digest(sent.encode(), f"Bearer {key}".encode()):
            state.count("status_401")
            echoed = f": {sent.removeprefix('Bearer ')}" if state.config["echo_key_in_401"] else ""
            return None, _error(401, f"Incorrect API key provided{echoed}", "invalid_request_error", "invalid_api_key")
        if endpoint == "models":
            return {}, None
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise TypeError("body is not an object")
        except Exception:
            state.count("status_400")
            return None, _error(400, "Request body must be a JSON object", "invalid_request_error")
        fault, delay = state.draw()
        await asyncio.sleep(delay)
        retry = float(state.config["retry_after_s"])
        if fault == "429":
            state.count("status_429")
            headers = {"retry-after": f"{retry:g}", "retry-after-ms": str(int(retry * 1000))}
            return None, _error(429, "Rate limit reached (injected)", "requests", "rate_limit_exceeded", headers)
        if fault == "500":
            state.count("status_500")
            return None, _error(500, "The server had an error (injected)", "server_error")
        if fault == "timeout":
            state.count("timeouts")
            await asyncio.sleep(float(state.config["timeout_s"]))
            if await request.is_disconnected():
                state.count("abandoned")
                return None, Response(status_code=499)
        marker = state.config["fail_400_on"]
        texts = [last_user(body.get("messages") or [])] + [str(x) for x in _inputs(body.get("input"))]
        if marker and any(marker in t for t in texts):
            state.count("status_400")
            return None, _error(400, "This model's maximum context length was exceeded (injected)",
                                "invalid_request_error", "context_length_exceeded")
        return body, None

    async def chat(request: Request) -> Response:
        body, early = await guarded(request, "chat.completions")
        if early is not None:
            return early
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            state.count("status_400")
            return _error(400, "'messages' must be a non-empty list", "invalid_request_error")
        try:
            message, finish, usage = answer_chat(body, int(state.config["answer_sentences"]))
        except Exception as exc:  # a schema or body the double cannot answer: say so, like a server error
            log.exception("offline answer failed")
            state.count("status_500")
            return _error(500, f"offline answer failed: {type(exc).__name__}: {exc}", "server_error")
        key = digest(body)
        head = {"id": f"chatcmpl-offline-{key[:24]}", "created": 1_700_000_000 + int(key[:6], 16),
                "model": body.get("model", MODELS[0]), "system_fingerprint": "aiwf-offline"}
        n = int(body.get("n") or 1)
        state.answered("chat.completions", usage, body)
        if not body.get("stream"):
            choices = [{"index": i, "message": message, "finish_reason": finish, "logprobs": None} for i in range(n)]
            return JSONResponse({**head, "object": "chat.completion", "choices": choices, "usage": usage})
        state.count("streamed")
        return StreamingResponse(_sse(head, message, finish, usage, n, body), media_type="text/event-stream")

    async def embeddings(request: Request) -> Response:
        body, early = await guarded(request, "embeddings")
        if early is not None:
            return early
        texts, dim = _inputs(body.get("input")), body.get("dimensions") or state.config["embedding_dim"]
        if not texts or not isinstance(dim, int) or not 0 < dim <= 8192:
            state.count("status_400")
            return _error(400, "'input' must be a string or list of strings; 'dimensions' in 1..8192",
                          "invalid_request_error")
        vectors = [embed(t, dim) for t in texts]
        if body.get("encoding_format") == "base64":
            vectors = [base64.b64encode(struct.pack(f"<{dim}f", *v)).decode() for v in vectors]
        tokens = sum(count_tokens(t) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        state.answered("embeddings", usage, body)
        data = [{"object": "embedding", "index": i, "embedding": list(v) if isinstance(v, tuple) else v}
                for i, v in enumerate(vectors)]
        return JSONResponse({"object": "list", "data": data, "model": body.get("model", MODELS[-1]), "usage": usage})

    async def models(request: Request) -> Response:
        _, early = await guarded(request, "models")
        if early is not None:
            return early
        state.answered("models")
        data = [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": OWNER} for m in MODELS]
        return JSONResponse({"object": "list", "data": data})

    async def control(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.configure(**(await request.json()))
            except (ValueError, TypeError) as exc:
                return _error(400, str(exc), "invalid_request_error")
        with state.lock:
            reply = {"test_double": True, "config": state.public_config(), "counters": copy.deepcopy(state.counters)}
            if request.query_params.get("bodies"):
                reply["bodies"] = dict(state.bodies)
            if request.query_params.get("arrivals"):
                reply["arrivals"] = list(state.arrivals)
            return JSONResponse(reply)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "test_double": True})

    routes = [Route("/healthz", healthz), Route("/_control", control, methods=["GET", "POST"])]
    for prefix in ("/v1", ""):
        routes += [Route(f"{prefix}/chat/completions", chat, methods=["POST"]),
                   Route(f"{prefix}/embeddings", embeddings, methods=["POST"]),
                   Route(f"{prefix}/models", models, methods=["GET"])]
    routes += batch_routes(state)
    app = Starlette(routes=routes)
    app.add_middleware(_OfflineHeader)
    return app


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))]
    return [v if isinstance(v, str) else " ".join(map(str, v)) for v in value] if isinstance(value, list) else []


async def _sse(head: dict, message: dict, finish: str, usage: dict, n: int, body: dict):
    """OpenAI-style chat.completion.chunk events, ending with a usage chunk (if asked) and ``[DONE]``."""
    with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    extra = {"usage": None} if with_usage else {}

    def chunk(index: int, delta: dict, reason: str | None = None) -> str:
        event = {**head, "object": "chat.completion.chunk", **extra,
                 "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": reason}]}
        return f"data: {json.dumps(event)}\n\n"

    for i in range(n):
        yield chunk(i, {"role": "assistant", "content": "", "refusal": None})
        for piece in re.findall(r"\S+\s*|\s+", message["content"] or ""):
            yield chunk(i, {"content": piece})
        for k, call in enumerate(message.get("tool_calls") or []):
            yield chunk(i, {"tool_calls": [{"index": k, **call}]})
        yield chunk(i, {}, finish)
    if with_usage:
        yield f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


class OfflineLLMServer:
    """The test double run by uvicorn in a background thread; ``url`` is the ``base_url`` for ``openai.OpenAI``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **fault_config: Any):
        self.host, self.port = host, port
        self.state = _State(**fault_config)
        self.app = build_app(self.state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root_url}/v1"

    def start(self) -> "OfflineLLMServer":
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, backlog=4096)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"aiwf-offline-llm-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("offline LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        self._server = self._thread = None

    def configure(self, **changes: Any) -> None:
        """Change fault settings (keys of ``DEFAULTS``; ``reset_counters=True`` zeroes the counters)."""
        self.state.configure(**changes)

    def counters(self) -> dict[str, Any]:
        with self.state.lock:
            return copy.deepcopy(self.state.counters)

    def bodies(self) -> dict[str, int]:
        """Times each request body was answered, by ``endpoint:digest``."""
        with self.state.lock:
            return dict(self.state.bodies)

    def __enter__(self) -> "OfflineLLMServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(port: int = 8765, host: str = "127.0.0.1", **config: Any) -> None:
    """Run the test double in the foreground until interrupted."""
    app = build_app(_State(**config))
    print(f"aiwf offline LLM server (TEST DOUBLE, not a model) at http://{host}:{port}/v1", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, backlog=4096)
