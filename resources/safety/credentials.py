"""Secrets: API key shapes, bearer and basic credentials, JWTs, private keys, passwords in URLs or in words.

Known key shapes are taken as they are; `key=value` and high-entropy candidates must not look like a
placeholder ("<your-token>", "${API_KEY}", "os.environ[...]", "********").
"""

import re

from resources.safety import pii_patterns as pat
from resources.safety.validators import entropy

_PLACEHOLDER = re.compile(r"<|>|\*{3}|(?i:x{4}|your[_-]|placeholder|changeme|redacted)|example|\$\{|environ|getenv")


def find_secrets(text: str):
    """Spans of secrets in `text` (just the value where a pattern names it: `password=<value>`)."""
    for pattern in pat.SECRETS:
        for m in pattern.finditer(text):
            if "value" not in m.groupdict():
                yield m.span()
            elif value_ok(m.group("value"), generic=pattern is pat.GENERIC_SECRET):
                yield m.span("value")


def value_ok(value: str, generic: bool) -> bool:
    """Not a placeholder; for the generic high-entropy rule also mixed classes and real randomness."""
    if _PLACEHOLDER.search(value):
        return False
    if generic:
        classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
        digits = sum(ch.isdigit() for ch in value)
        return classes == 3 and digits >= 2 and entropy(value) >= 4.0 and not re.search(r"[a-z]{6,}", value)
    return True
