"""Errors safe to keep: configured secret values and secret-shaped strings masked before any text reaches the
quarantine, the ledger, metadata, logs or the console. Providers echo keys back ("Incorrect API key provided:
sk-..."), so every error text that may carry one passes through `scrub` first."""

import os
from collections.abc import Iterable

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
