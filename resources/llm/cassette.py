"""Replay cassettes: record every model request and answer of a run, then serve them back with no network.

`AIWF_CASSETTE=PATH` with `AIWF_CASSETTE_MODE=record` appends one JSON line per answered request (chat and
embeddings) to PATH; `replay` answers from PATH and never opens a connection. The hook is openai's documented
`http_client=` argument: an httpx client whose transport forwards-and-appends (record) or looks up (replay), so
the official client, its retries and error classes are untouched.

A request is keyed by the SHA-256 of its method, endpoint path (relative to the base URL, so a replay may point
anywhere) and canonical JSON body with PII redacted (resources/safety/pii.py): a run that redacts and one that
does not (the offline double) key the same request alike; the stored request and the text of stored answers are
redacted too, so a cassette holds no PII that pii.py finds (a replayed answer that echoed PII says [EMAIL] where
the recorded run's said the address). Request headers (the API key, auth) are never stored; of the answer only
its status, content type, the offline marker and body are. Lines are appended with O_APPEND under an exclusive
lock, one write each, so the forked step processes of a run can record into one file.

A request missing from the cassette is answered 404 with code `cassette_miss` and a message naming the request
hash: openai raises its NotFoundError, which is final (not retried), and the session's error names the model and
prompt@version, so llm_map quarantines the row with all three. Every entry is sealed when recorded (an HMAC with
the audit key, else a digest) and checked for shape before it answers (resources/llm/cassette_seal.py): a
changed, unsealed or malformed entry is the same `cassette_miss`, naming the cassette, line and request hash.
A replayed answer carries the header `x-aiwf-replayed: 1` (REPLAYED_HEADER): it was a real answer once, and is
not one now, so the engine counts it apart and never caches it.

Only chat and embedding requests are recorded. Batch API traffic (file uploads, batch status) passes through
unrecorded in record mode and is refused in replay mode with a clear message: a replayed run answers its rows
synchronously (`mode: sync` in the batch asset's run config).
"""

import fcntl
import hashlib
import json
import os
from pathlib import Path

import httpx2 as httpx  # the HTTP library openai>=3.57 is built on: its transports are what `http_client` takes

from resources.llm.cassette_seal import KEPT_HEADERS, entry_problem, seal
from resources.llm.cassette_vectors import composed_answer, vectors_by_text

MODES = ("record", "replay")
ENV_PATH, ENV_MODE = "AIWF_CASSETTE", "AIWF_CASSETTE_MODE"
MISS_CODE = "cassette_miss"
REPLAYED_HEADER = "x-aiwf-replayed"  # on every answer served from a cassette
RECORDED = ("/chat/completions", "/embeddings")  # endpoint paths a cassette holds


class CassetteError(ValueError):
    """A cassette that cannot be used as configured (unknown mode, missing file to replay)."""


def configured(path: str | None = None, mode: str | None = None) -> tuple[str, str] | None:
    """(path, mode) from the arguments, else AIWF_CASSETTE / AIWF_CASSETTE_MODE; None when no cassette is set.
    A path without a mode replays (the mode that cannot reach the network)."""
    path = path or os.environ.get(ENV_PATH) or None
    mode = (mode or os.environ.get(ENV_MODE) or "replay").strip().lower()
    if path is None:
        return None
    if mode not in MODES:
        raise CassetteError(f"{ENV_MODE}={mode!r}: expected one of {', '.join(MODES)}")
    if mode == "replay" and not Path(path).is_file():
        raise CassetteError(f"cassette {path} does not exist: record it first ({ENV_MODE}=record)")
    return path, mode


def replaying(path: str | None = None, mode: str | None = None) -> bool:
    """Whether model answers come from a cassette (so no model endpoint is needed)."""
    cfg = configured(path, mode)
    return cfg is not None and cfg[1] == "replay"


# --- keys ------------------------------------------------------------------------------------------------------
def _redacted(body):
    """The body with the text of chat messages and embedding inputs redacted."""
    from resources.safety.pii import redact, redact_messages

    if not isinstance(body, dict):
        return body
    out = dict(body)
    if isinstance(out.get("messages"), list):
        out["messages"] = redact_messages(out["messages"])
    if isinstance(out.get("input"), str):
        out["input"] = redact(out["input"])[0]
    elif isinstance(out.get("input"), list):
        out["input"] = [redact(t)[0] if isinstance(t, str) else t for t in out["input"]]
    return out


def _redacted_answer(body):
    """A chat answer with PII redacted in its message text (string values only, for a JSON answer, so that a
    structured answer stays valid JSON). Against a real provider the session already redacted the request, so
    this only matters where the model saw raw text (the offline double, redaction off) and echoed it."""
    from resources.safety.pii import redact

    def walk(value):
        if isinstance(value, str):
            return redact(value)[0]
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        message = choice.get("message") or {}
        text = message.get("content")
        if not isinstance(text, str):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            message["content"] = redact(text)[0]
            continue
        clean = walk(value)
        if clean != value:
            message["content"] = json.dumps(clean, ensure_ascii=False)
    return body


def _body(content: bytes):
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return {"sha256": hashlib.sha256(content).hexdigest()}  # not JSON: keyed by its bytes, never stored


def endpoint(path: str, base_path: str) -> str:
    """The request path relative to the client's base URL (`/v1/chat/completions` -> `/chat/completions`)."""
    base = base_path.rstrip("/")
    return path[len(base):] if base and path.startswith(base + "/") else path


def request_key(method: str, path: str, body) -> tuple[str, dict]:
    """(hash, stored request): the canonical hash of method + endpoint + redacted JSON body."""
    stored = {"method": method.upper(), "path": path, "body": _redacted(body)}
    canonical = json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest(), stored


# --- the file --------------------------------------------------------------------------------------------------
def append(path: str, entry: dict) -> None:
    """One line, one write, O_APPEND under an exclusive lock: safe from several processes at once."""
    line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)  # closing releases the lock


def load(path: str) -> dict[str, dict]:
    """hash -> entry; the last answer recorded for a hash wins. A torn last line (a recorder killed mid-write)
    is skipped, any other unreadable line is an error naming it."""
    return {digest: entry for digest, (_, entry) in load_numbered(path).items()}


def load_numbered(path: str) -> dict[str, tuple[int, dict]]:
    """hash -> (line number, entry), as `load`; the line number names an entry that fails its checks."""
    entries: dict[str, tuple[int, dict]] = {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if number == len(lines):
                continue
            raise CassetteError(f"cassette {path} line {number} is not JSON") from None
        if isinstance(entry, dict) and isinstance(entry.get("hash"), str):
            entries[entry["hash"]] = (number, entry)
    return entries


_LOADED: dict[tuple[str, float, int], dict] = {}


def _entries(path: str) -> dict[str, tuple[int, dict]]:
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_mtime, stat.st_size)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_numbered(path)
    return _LOADED[key]


# --- transports ------------------------------------------------------------------------------------------------
class _Cassette:
    def __init__(self, path: str, mode: str, base_path: str = ""):
        from resources.audit.keys import load_key

        self.path, self.mode, self.base_path = path, mode, base_path
        self.key_bytes = load_key()  # seals entries as they are recorded, checks them before they answer
        self._vectors: tuple = (None, {})  # (which loaded entries, recorded vectors by text) for composed answers

    def key(self, request: httpx.Request) -> tuple[str, dict]:
        return request_key(request.method, endpoint(request.url.path, self.base_path), _body(request.content))

    def recorded(self, request: httpx.Request) -> bool:
        return endpoint(request.url.path, self.base_path) in RECORDED

    def answer(self, request: httpx.Request) -> httpx.Response:
        if not self.recorded(request):
            return _miss(request, f"cassette {self.path} replays chat and embedding requests only, not "
                                  f"{request.method} {endpoint(request.url.path, self.base_path)}: run batch assets "
                                  "with mode: sync to replay")
        digest, stored = self.key(request)
        found = _entries(self.path).get(digest)
        if found is None and stored["path"] == "/embeddings":
            composed = self._composed(stored["body"])
            if composed is not None:
                return httpx.Response(200, headers={"content-type": "application/json", REPLAYED_HEADER: "1"},
                                      content=json.dumps(composed).encode(), request=request)
        if found is None:
            return _miss(request, f"cassette {self.path} has no answer for {stored['method']} {stored['path']} "
                                  f"(request hash {digest}); record it again with {ENV_MODE}=record")
        number, entry = found
        problem = entry_problem(entry, self.key_bytes)
        if problem:
            return _miss(request, f"cassette {self.path} line {number} (request hash {digest}) is not replayed: "
                                  f"{problem}; record it again with {ENV_MODE}=record")
        answer = entry["response"]
        return httpx.Response(answer["status"], headers={**answer["headers"], REPLAYED_HEADER: "1"},
                              content=json.dumps(answer["body"]).encode(), request=request)

    def _composed(self, body) -> dict | None:
        """An embeddings answer assembled from vectors recorded in other requests (resources/llm/cassette_vectors.py)."""
        entries = _entries(self.path)
        if self._vectors[0] is not entries:  # the file changed since the vectors were gathered
            self._vectors = (entries, vectors_by_text(entries.values(), lambda e: entry_problem(e, self.key_bytes)))
        return composed_answer(body, self._vectors[1])

    def keep(self, request: httpx.Request, response: httpx.Response, content: bytes) -> None:
        if not 200 <= response.status_code < 300 or not self.recorded(request):
            return  # failed attempts are retried by the session; only chat and embedding answers are replayed
        digest, stored = self.key(request)
        headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        entry = {"hash": digest, "request": stored,
                 "response": {"status": response.status_code, "headers": headers,
                              "body": _redacted_answer(json.loads(content))}}
        append(self.path, {**entry, "seal": seal(json.loads(json.dumps(entry, default=str)), self.key_bytes)})


def _miss(request: httpx.Request, message: str) -> httpx.Response:
    """The answer openai raises as a final NotFoundError with code `cassette_miss`."""
    return httpx.Response(404, json={"error": {"message": message, "type": "invalid_request_error",
                                               "code": MISS_CODE}}, request=request)


class CassetteTransport(httpx.BaseTransport):
    """Sync transport: replay from the cassette, or forward to `inner` and record the answer."""

    def __init__(self, cassette: _Cassette, inner: httpx.BaseTransport | None = None):
        self.cassette, self.inner = cassette, inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cassette.mode == "replay":
            return self.cassette.answer(request)
        response = self.inner.handle_request(request)
        content = response.read()
        self.cassette.keep(request, response, content)
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions, request=request)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


class AsyncCassetteTransport(httpx.AsyncBaseTransport):
    """Async transport: replay from the cassette, or forward to `inner` and record the answer."""

    def __init__(self, cassette: _Cassette, inner: httpx.AsyncBaseTransport | None = None):
        self.cassette, self.inner = cassette, inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.cassette.mode == "replay":
            return self.cassette.answer(request)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.cassette.keep(request, response, content)
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


def http_client(asynchronous: bool, path: str, mode: str, base_url: str, timeout: float):
    """The httpx client to hand openai as `http_client=`: its transport records into or replays from `path`."""
    import openai

    cassette = _Cassette(path, mode, httpx.URL(base_url).path)
    limits = openai.DEFAULT_CONNECTION_LIMITS
    if asynchronous:
        inner = None if mode == "replay" else httpx.AsyncHTTPTransport(limits=limits)
        return openai.DefaultAsyncHttpxClient(transport=AsyncCassetteTransport(cassette, inner), timeout=timeout)
    inner = None if mode == "replay" else httpx.HTTPTransport(limits=limits)
    return openai.DefaultHttpxClient(transport=CassetteTransport(cassette, inner), timeout=timeout)
