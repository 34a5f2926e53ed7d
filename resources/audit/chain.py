"""One line of the audit chain: its canonical bytes, its hash (HMAC-SHA256 with the audit key, plain SHA-256
without one) and what is wrong with it, if anything."""

import hashlib
import hmac
import json
import re
from typing import Any

GENESIS = "0" * 64
_SECRET_KEY = re.compile(r"(?i)(?:^|[_-])(?:secret|token|password|passwd|api_?key|apikey|authorization|"
                         r"credentials?|access_?key|private_?key)$")  # "tokens_in" is a count, not a secret


def canonical(obj: Any) -> bytes:
    """The one byte form of an entry: sorted keys, no spaces, UTF-8; what is hashed and what is written."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: dict, key: bytes | None = None) -> str:
    """The entry's hash over everything but itself: keyed when the entry says so (and a key is given)."""
    body = canonical({k: v for k, v in entry.items() if k != "hash"})
    if entry.get("keyed"):
        return hmac.new(key or b"", body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def scrub(value: Any) -> Any:
    """Secrets never reach the audit log: values under secret-like keys and token-shaped strings are masked."""
    if isinstance(value, dict):
        return {k: "[REDACTED]" if _SECRET_KEY.search(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        from resources.safety.pii import redact_secrets

        return redact_secrets(value)
    return value


def line_problem(raw: bytes, line_no: int, prev: str, key: bytes | None) -> str | None:
    """Why line `line_no` does not belong after a line hashed `prev` (None: it does)."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return f"line {line_no} is not valid JSON"
    if not isinstance(entry, dict) or not {"seq", "prev", "hash"} <= entry.keys():
        return f"line {line_no} is not an audit entry"
    if canonical(entry) != raw:
        return f"line {line_no} is not in canonical form (bytes were changed)"
    if entry["seq"] != line_no:
        return f"line {line_no} has sequence number {entry['seq']}: lines were inserted, removed or reordered"
    if entry["prev"] != prev:
        return f"line {line_no} does not link to line {line_no - 1}: the chain was broken"
    if key is not None and not entry.get("keyed"):
        return f"line {line_no} is not signed with the audit key: it was written without the key"
    if key is None and entry.get("keyed"):
        return f"line {line_no} is signed: set AIWF_AUDIT_KEY or the key file to verify this log"
    if not hmac.compare_digest(entry_hash(entry, key), str(entry["hash"])):
        return f"line {line_no} hash mismatch: its content was changed"
    return None
