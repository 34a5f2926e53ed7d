"""HTTP guards of the review app: refusals as status codes, a body limit checked before parsing, safe headers.

`BodyLimit` answers 413 from the Content-Length header before the app runs, and stops a body sent without one
(or larger than it claimed) as soon as the bytes read pass the limit, so no form or JSON parser ever sees it.
"""

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

MAX_BODY_BYTES = 1024 * 1024
_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class Refused(Exception):
    """A request refused with an HTTP status and a reason; answered as JSON under /api, as text elsewhere."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def refusal(path: str, exc: Refused) -> Response:
    if path.startswith("/api/"):
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)
    return PlainTextResponse(exc.message, status_code=exc.status, headers=exc.headers)


async def refused_handler(request: Request, exc: Refused) -> Response:
    return refusal(request.url.path, exc)


def ascii_text(value, what: str) -> str:
    """A value the server issued (session id, CSRF token) as text; anything else is a malformed request (400)."""
    if not isinstance(value, str) or not value.isascii():
        raise Refused(400, f"malformed {what}")
    return value


def strict_json(text: str) -> Any:
    """JSON as the standard has it: NaN, Infinity and numbers too large for a float are a ValueError, as are
    lone surrogates that could not be stored; Python's parser would let them through to the store."""
    value = json.loads(text, parse_constant=_refuse_constant)
    if not _finite(value):
        raise ValueError("a number is too large to be finite")
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate fails here, not later in the store
    return value


def json_safe(value: Any) -> Any:
    """A value any JSON client can read: non-finite floats (from rows written before the API refused them) as
    the strings "NaN", "Infinity" and "-Infinity", so one bad row cannot break a list for everyone."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, from the declared length and from the bytes streamed."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.strip().isdigit():
            return await refusal(scope["path"], Refused(400, "malformed Content-Length"))(scope, receive, send)
        if declared is not None and int(declared) > self.max_bytes:
            return await refusal(scope["path"], self._too_large())(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # raised inside the route, answered by its exception handler
                raise self._too_large()
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> Refused:
        return Refused(413, f"the request body is over {self.max_bytes} bytes", {"Connection": "close"})


class SecurityHeaders:
    """No framing, no inline scripts or styles, no sniffing, no referrer leaks, and nothing cached but the CSS."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                cache = b"no-store" if not scope["path"].startswith("/static/") else b"public, max-age=300"
                message = {**message, "headers": [*headers, *_HEADERS, (b"cache-control", cache)]}
            await send(message)

        await self.app(scope, receive, with_headers)
