"""A cassette entry's seal and shape: what makes a recorded answer fit to replay.

Each entry is sealed when it is recorded: an HMAC-SHA256 with the audit key (resources/audit/keys.py) when one is
configured, else a plain SHA-256 digest, over the canonical JSON of everything but the seal. A digest catches
an entry changed by hand or by a tool that does not know the format; only the keyed seal stops someone who
recomputes it. Where the audit key is configured, only an HMAC seal counts. Before an entry answers, its
request hash must match its stored request, and its answer must have the shape of a chat or embeddings answer
with non-negative integer token counts, so an edited usage cannot drive the ledger's cost below zero.
"""

import hashlib
import hmac
import json
from typing import Any

KEPT_HEADERS = ("content-type", "x-aiwf-offline")
_USAGE = ("prompt_tokens", "completion_tokens", "total_tokens")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def seal(entry: dict, key: bytes | None) -> str:
    """The seal of an entry (its `seal` field left out): `hmac:` with the audit key, `sha256:` without."""
    body = _canonical({k: v for k, v in entry.items() if k != "seal"})
    if key:
        return "hmac:" + hmac.new(key, b"aiwf-cassette\0" + body, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def entry_problem(entry: Any, key: bytes | None) -> str | None:
    """Why this entry may not answer (None: it may): a missing or wrong seal, a request hash that is not its
    request's, or an answer that is not a well-formed chat or embeddings answer."""
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        return "it is not a cassette entry"
    found = entry.get("seal")
    if not isinstance(found, str) or not found:
        return "it has no seal (recorded before cassettes were sealed, or written by hand)"
    if not hmac.compare_digest(found, seal(entry, key)):
        held = "only an HMAC seal with the audit key counts here" if key else "no audit key is configured here"
        return f"its seal does not match ({held}): the entry was changed after it was recorded"
    if hashlib.sha256(_canonical(entry["request"])).hexdigest() != entry.get("hash"):
        return "its request hash is not the hash of its stored request: the entry was moved"
    return _response_problem(entry.get("response"))


def _response_problem(response: Any) -> str | None:
    if not isinstance(response, dict):
        return "its response is not an object"
    status, headers, body = response.get("status"), response.get("headers"), response.get("body")
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status < 300:
        return f"its response status {status!r} is not a 2xx answer"
    if not isinstance(headers, dict) or not all(k in KEPT_HEADERS and isinstance(v, str) for k, v in headers.items()):
        return f"its response headers are not among {', '.join(KEPT_HEADERS)}"
    if not isinstance(body, dict):
        return "its response body is not a JSON object"
    if not isinstance(body.get("choices"), list) and not isinstance(body.get("data"), list):
        return "its response body has neither choices (chat) nor data (embeddings)"
    for choice in body.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("content"), (str, type(None))):
            return "a choice has no message with text content"
    usage = body.get("usage")
    if usage is not None:
        if not isinstance(usage, dict):
            return "its usage is not an object"
        for name in _USAGE:
            value = usage.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return f"usage.{name} must be a non-negative integer, got {value!r}"
    return None
