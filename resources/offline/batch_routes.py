"""The offline test double's Batch API: ``files`` (upload, retrieve, content) and ``batches`` (create, retrieve,
cancel, list), shaped as OpenAI's, so the real ``openai`` client drives batch mode with no network.

A batch's requests are answered exactly as ``POST /v1/chat/completions`` would answer them (same bodies, same
answers, counted in ``answered``/``distinct_bodies``/``duplicate_bodies``, so a row paid once by a batch and again
synchronously shows as a duplicate). Settings (``/_control`` or ``configure``), captured when a batch is created:
``batch_delay_s`` (in progress until then, answered when first looked at after it), ``batch_fail_rate`` (each
request fails with a 500 line in the error file, drawn from ``random.Random(batch_seed)``; ``fail_400_on`` gives
400 lines too), ``batch_expire_share`` (the batch ends ``expired``: that last share of its requests gets a
``batch_expired`` error line and no answer). ``batch_hold`` is read live, not captured: while it is true every
batch stays in progress whatever its delay (a test ends the wait when it chooses, not when a clock does). Counters: ``files_uploaded``, ``batches_created``,
``batches_cancelled``, ``batch_requests`` (submitted), ``batch_answered`` and ``batch_requests_resubmitted`` (a
request, by custom_id and body, submitted in more than one batch: what a client re-attaching must never do).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.offline.schema_answer import answer_chat, digest, last_user

BATCH_DEFAULTS: dict[str, Any] = {"batch_delay_s": 0.0, "batch_fail_rate": 0.0, "batch_expire_share": 0.0,
                                  "batch_seed": 0, "batch_hold": False}
CHAT_URL = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")


def fresh_batch_counters() -> dict[str, int]:
    return {"files_uploaded": 0, "batches_created": 0, "batches_cancelled": 0, "batch_requests": 0,
            "batch_answered": 0, "batch_requests_resubmitted": 0}


class _Book:
    """Files and batches held in memory by one server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.files: dict[str, dict] = {}  # id -> {"meta": file object, "data": bytes}
        self.batches: dict[str, dict] = {}  # id -> {"obj": batch object, "lines": [...], "settings": {...}}


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    body = {"error": {"message": f"{message} (aiwf offline test double)", "type": "invalid_request_error",
                      "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def _store_file(book: _Book, data: bytes, filename: str, purpose: str) -> dict:
    meta = {"id": f"file-offline-{uuid.uuid4().hex[:24]}", "object": "file", "bytes": len(data),
            "created_at": int(time.time()), "filename": filename, "purpose": purpose, "status": "processed",
            "status_details": None}
    with book.lock:
        book.files[meta["id"]] = {"meta": meta, "data": data}
    return meta


def _parse_lines(data: bytes) -> tuple[list[dict], str | None]:
    """The requests of an input file, or why the file is invalid (as OpenAI's batch validation says)."""
    lines, seen = [], set()
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            return [], f"line {number} is not valid JSON"
        if not isinstance(line, dict) or not isinstance(line.get("body"), dict) or not line.get("custom_id"):
            return [], f"line {number} needs custom_id, method, url and a body object"
        if line.get("url") != CHAT_URL or line.get("method", "POST") != "POST":
            return [], f"line {number}: url must be {CHAT_URL} with method POST"
        if line["custom_id"] in seen:
            return [], f"line {number}: custom_id {line['custom_id']!r} is not unique in the file"
        seen.add(line["custom_id"])
        lines.append(line)
    return lines, None if lines else "the input file has no requests"


def _answer(state, body: dict, fail: bool) -> tuple[int, dict]:
    """(status, body) the chat endpoint would give this request (no latency: the batch delay stands for it)."""
    if fail:
        return 500, {"error": {"message": "The server had an error (injected)", "type": "server_error"}}
    marker = state.config["fail_400_on"]
    if marker and marker in last_user(body.get("messages") or []):
        return 400, {"error": {"message": "This model's maximum context length was exceeded (injected)",
                               "type": "invalid_request_error", "code": "context_length_exceeded"}}
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return 400, {"error": {"message": "'messages' must be a non-empty list", "type": "invalid_request_error"}}
    message, finish, usage = answer_chat(body, int(state.config["answer_sentences"]))
    key = digest(body)
    state.answered("chat.completions", usage, body)
    state.count("batch_answered")
    n = int(body.get("n") or 1)
    return 200, {"id": f"chatcmpl-offline-{key[:24]}", "object": "chat.completion",
                 "created": 1_700_000_000 + int(key[:6], 16), "model": body.get("model", "aiwf-offline"),
                 "system_fingerprint": "aiwf-offline", "usage": usage,
                 "choices": [{"index": i, "message": message, "finish_reason": finish, "logprobs": None}
                             for i in range(n)]}


def _finish(state, book: _Book, entry: dict) -> None:
    """Answer a due batch once: output and error files, counts, and its final status."""
    obj, settings = entry["obj"], entry["settings"]
    rng = random.Random(settings["batch_seed"])
    lines = entry["lines"]
    cut = len(lines) - int(round(len(lines) * float(settings["batch_expire_share"])))
    out, errors, failed = [], [], 0
    for position, line in enumerate(lines):
        rid = f"batch_req_{uuid.uuid4().hex[:16]}"
        if position >= cut:
            errors.append({"id": rid, "custom_id": line["custom_id"], "response": None, "error": {
                "code": "batch_expired",
                "message": "This request could not be executed before the completion window expired."}})
            failed += 1
            continue
        status, body = _answer(state, line["body"], rng.random() < float(settings["batch_fail_rate"]))
        record = {"id": rid, "custom_id": line["custom_id"],
                  "response": {"status_code": status, "request_id": rid, "body": body}, "error": None}
        (out if status == 200 else errors).append(record)
        failed += status != 200
    now = int(time.time())
    for kind, records in (("output_file_id", out), ("error_file_id", errors)):
        if records:
            data = "".join(json.dumps(r) + "\n" for r in records).encode()
            obj[kind] = _store_file(book, data, f"{obj['id']}_{kind[:-8]}.jsonl", "batch_output")["id"]
    expired = cut < len(lines)
    obj.update(status="expired" if expired else "completed", finalizing_at=now,
               request_counts={"total": len(lines), "completed": len(lines) - failed, "failed": failed})
    obj["expired_at" if expired else "completed_at"] = now
    entry["lines"] = []  # answered: the requests are no longer needed


def _current(state, book: _Book, batch_id: str) -> dict | None:
    """The batch as it stands now (answered when its delay has passed)."""
    with book.lock:
        entry = book.batches.get(batch_id)
    if entry is None:
        return None
    with entry["lock"]:
        obj = entry["obj"]
        if obj["status"] == "cancelling":
            obj.update(status="cancelled", cancelled_at=int(time.time()))
        elif obj["status"] == "in_progress" and time.time() >= entry["due"] and not state.config["batch_hold"]:
            _finish(state, book, entry)
        return dict(obj)


def batch_routes(state) -> list[Route]:
    """The files and batches routes (with and without the /v1 prefix) over `state`'s settings and counters."""
    book = _Book()

    async def upload(request: Request) -> Response:
        form = await request.form()
        upload_, purpose = form.get("file"), form.get("purpose")
        if upload_ is None or isinstance(upload_, str) or purpose not in ("batch", "fine-tune", "assistants"):
            return _error(400, "multipart form needs a 'file' and a 'purpose' (batch)")
        data = await upload_.read()
        state.count("files_uploaded")
        return JSONResponse(_store_file(book, data, upload_.filename or "upload.jsonl", purpose))

    async def file_meta(request: Request) -> Response:
        found = book.files.get(request.path_params["file_id"])
        return JSONResponse(found["meta"]) if found else _error(404, "No such file", "not_found")

    async def file_content(request: Request) -> Response:
        found = book.files.get(request.path_params["file_id"])
        if found is None:
            return _error(404, "No such file", "not_found")
        return Response(found["data"], media_type="application/octet-stream")

    async def create(request: Request) -> Response:
        try:
            body = await request.json()
        except Exception:
            return _error(400, "Request body must be a JSON object")
        found = book.files.get(body.get("input_file_id") or "")
        if found is None:
            return _error(404, f"No such file: {body.get('input_file_id')!r}", "not_found")
        if body.get("endpoint") != CHAT_URL or body.get("completion_window") != "24h":
            return _error(400, f"endpoint must be {CHAT_URL} and completion_window 24h")
        lines, problem = _parse_lines(found["data"])
        now = int(time.time())
        with state.lock:
            settings = {k: state.config[k] for k in BATCH_DEFAULTS}
            state.counters["batches_created"] += 1
            state.counters["batch_requests"] += len(lines)
            for line in lines:  # the same request in a second batch: submitted twice
                key = f"batch:{line['custom_id']}:{digest(line['body'])}"
                seen = state.bodies[key] = state.bodies.get(key, 0) + 1
                state.counters["batch_requests_resubmitted"] += seen > 1
        obj = {"id": f"batch_offline_{uuid.uuid4().hex[:24]}", "object": "batch", "endpoint": CHAT_URL,
               "errors": None, "input_file_id": found["meta"]["id"], "completion_window": "24h",
               "status": "in_progress", "output_file_id": None, "error_file_id": None, "created_at": now,
               "in_progress_at": now, "expires_at": now + 86_400, "finalizing_at": None, "completed_at": None,
               "failed_at": None, "expired_at": None, "cancelling_at": None, "cancelled_at": None,
               "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
               "metadata": body.get("metadata")}
        if problem:
            obj.update(status="failed", failed_at=now, errors={"object": "list", "data": [
                {"code": "invalid_input", "message": problem, "param": None, "line": None}]})
        entry = {"obj": obj, "lines": lines, "settings": settings, "lock": threading.Lock(),
                 "due": time.time() + float(settings["batch_delay_s"])}
        with book.lock:
            book.batches[obj["id"]] = entry
        return JSONResponse(dict(obj))

    async def retrieve(request: Request) -> Response:
        obj = await asyncio.to_thread(_current, state, book, request.path_params["batch_id"])
        return JSONResponse(obj) if obj else _error(404, "No such batch", "not_found")

    async def cancel(request: Request) -> Response:
        batch_id = request.path_params["batch_id"]
        obj = await asyncio.to_thread(_current, state, book, batch_id)
        if obj is None:
            return _error(404, "No such batch", "not_found")
        entry = book.batches[batch_id]
        with entry["lock"]:
            if entry["obj"]["status"] in ("validating", "in_progress"):
                entry["obj"].update(status="cancelling", cancelling_at=int(time.time()))
                entry["lines"] = []
                state.count("batches_cancelled")
            return JSONResponse(dict(entry["obj"]))

    async def listing(request: Request) -> Response:
        limit = min(int(request.query_params.get("limit") or 20), 100)
        after = request.query_params.get("after")
        with book.lock:
            ids = list(reversed(book.batches))  # newest first, as OpenAI lists them
        if after in ids:
            ids = ids[ids.index(after) + 1:]
        page = [await asyncio.to_thread(_current, state, book, i) for i in ids[:limit]]
        return JSONResponse({"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
                             "last_id": page[-1]["id"] if page else None, "has_more": len(ids) > limit})

    routes = []
    for prefix in ("/v1", ""):
        routes += [Route(f"{prefix}/files", upload, methods=["POST"]),
                   Route(f"{prefix}/files/{{file_id}}", file_meta, methods=["GET"]),
                   Route(f"{prefix}/files/{{file_id}}/content", file_content, methods=["GET"]),
                   Route(f"{prefix}/batches", create, methods=["POST"]),
                   Route(f"{prefix}/batches", listing, methods=["GET"]),
                   Route(f"{prefix}/batches/{{batch_id}}", retrieve, methods=["GET"]),
                   Route(f"{prefix}/batches/{{batch_id}}/cancel", cancel, methods=["POST"])]
    return routes
