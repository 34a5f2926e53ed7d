"""Errors safe to keep: configured secret values and secret-shaped strings masked before any text reaches the
quarantine, the ledger, metadata, logs or the console. Providers echo keys back ("Incorrect API key provided:
sk-..."), so every error text that may carry one passes through `scrub` first."""

import hashlib
import os
from collections.abc import Iterable
from urllib.parse import urlsplit

from resources.safety.pii import redact_secrets

MASK = "[SECRET]"
# Variables whose values are secrets whatever they look like.
SECRET_VARIABLES = ("OPENAI_API_KEY", "AIWF_FALLBACK_API_KEYS", "AIWF_AUDIT_KEY", "AIWF_REVIEW_SECRET",
                    "AIWF_REVIEW_TOKENS")


def configured_secrets(extra: Iterable[str | None] = ()) -> list[str]:
    """The secret values this process holds: its secret variables (each token of a list) and `extra`."""
    values = [v for v in extra if v]
    for name in SECRET_VARIABLES:
        raw = os.environ.get(name) or ""
        values += [raw] + [part.split(":", 1)[0] for part in raw.split(",")]
    return sorted({v.strip() for v in values if v and len(v.strip()) >= 6}, key=len, reverse=True)


def scrub(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` with every configured secret value and every secret-shaped string replaced by [SECRET]."""
    for value in configured_secrets(known):
        text = text.replace(value, MASK)
    return redact_secrets(text)


def safe_url(url: str | None) -> str:
    """An endpoint as it may be stored or shown: scheme, host, port and path only. Userinfo (`user:key@`), query
    (`?api-key=...`) and fragment are dropped and a secret-shaped path segment is masked, so limiter keys, ledger
    rows, spans and error texts never hold a credential that came inside a base URL."""
    if not url:
        return ""
    try:
        parts = urlsplit(url if "://" in url else "//" + url)
        host, port = parts.hostname or "", parts.port
    except ValueError:  # not a URL (a bad port, a stray bracket): nothing of it is safe to keep
        return "endpoint-" + hashlib.sha256(url.encode()).hexdigest()[:16]
    host = f"[{host}]" if ":" in host else host
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return f"{scheme}{host}{f':{port}' if port else ''}{redact_secrets(parts.path)}"
