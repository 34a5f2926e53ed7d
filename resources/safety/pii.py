"""Sensitive-data filter: find and redact PII and secrets before text leaves for an external model.

Types: email (also "name [at] domain [dot] com", "arobase"/"punkt" spellings and fullwidth forms), phone
(libphonenumber's numbering plans), card (Luhn and issuer prefix, any separators), iban (mod-97 and country
length, any case or grouping), ssn (US ranges; dashed, spaced, dotted), ip (IPv4 and IPv6, also defanged:
"192[.]168[.]1[.]1", "10 . 0 . 0 . 1"), dob (a date after a birth word), address (street addresses in any case, European
forms, PO boxes), secret (API key shapes, JWTs, private keys, credentials in URLs, key=value secrets,
high-entropy strings) and person (best effort, resources/safety/names.py). Wide patterns
(resources/safety/pii_patterns.py) find candidates; validators (resources/safety/validators.py) and context
words reject look-alikes such as order ids, SKUs, tracking numbers, versions and timestamps. Text is read
NFKC-normalised without invisible characters, and every span points into the original text. Findings carry type
and span, never the value. Measured by benchmarks/pii.py.
"""

import functools
import re
from dataclasses import dataclass
from typing import Any

from resources.safety import pii_patterns as pat
from resources.safety.addresses import find_addresses
from resources.safety.credentials import find_secrets
from resources.safety.injection import detect_injection, looks_like_injection  # noqa: F401  (re-exported)
from resources.safety.names import find_names
from resources.safety.normalize import pii_view
from resources.safety.validators import (  # noqa: F401  (luhn_ok, iban_ok, entropy re-exported)
    IBAN_LENGTHS,
    card_ok,
    entropy,
    iban_ok,
    ip_ok,
    luhn_ok,
    phone_ok,
    plausible_birth_year,
    ssn_ok,
)

TYPES = ("secret", "card", "iban", "ssn", "email", "ip", "dob", "phone", "address", "person")  # strongest first


@dataclass(frozen=True)
class Finding:
    """Where one sensitive value sits in a text: its type and span (the value itself is never kept)."""

    type: str
    start: int
    end: int


# Words before " at " that make "name at domain dot com" ordinary prose: "read about it at example dot com".
_COMMON_WORDS = frozenset("it me us him her them you this that here there home work look be is was read about "
                          "stay meet arrive arrived back lunch noon night".split())


def _before(text: str, start: int, width: int = 30) -> str:
    return text[max(0, start - width):start]


def _emails(text: str):
    at_sign = "@" in text or "＠" in text
    for m in pat.EMAIL.finditer(text) if at_sign else ():
        if m.group(1).lower() not in pat.FILE_TLDS:
            yield m.span()
    for pattern in (pat.EMAIL_SPACED_AT, pat.EMAIL_BRACKETED) if at_sign else (pat.EMAIL_BRACKETED,):
        yield from (m.span() for m in pattern.finditer(text))
    low = text.lower()
    for m in pat.EMAIL_WORDS.finditer(text) if any(w in low for w in pat.AT_WORD_HINTS) else ():
        local = m.group("local")
        shouted = m.group("at").isupper() and (m.group("dot") or "DOT").isupper()
        spelled = m.group("at").lower() != "at"  # "arobase", "chiocciola": nobody writes these in prose
        deliberate = bool(re.search(rf"[._\d-]|\s(?:{pat._DOT_WORD})\s", local, re.I)) or shouted or spelled
        if local.lower() not in _COMMON_WORDS and (deliberate or pat.EMAIL_CONTEXT.search(_before(text, m.start()))):
            yield m.span()



def _phones(text: str):
    pos = 0
    while m := pat.PHONE.search(text, pos):
        span = _phone_span(text, m)
        pos = span[1] if span else m.end()
        if span:
            yield span


def _phone_span(text: str, m: re.Match) -> tuple[int, int] | None:
    """The longest run of the candidate's digit groups that is a phone number in its context."""
    before = _before(text, m.start(), 24)
    if pat.NOT_PHONE_CONTEXT.search(before) or pat.ID_TOKEN_BEFORE.search(before):
        return None
    if pat.DATE_SHAPE.match(m.group(0)) or pat.IBAN_HEAD_BEFORE.search(before):
        return None  # a date, or the digits of an IBAN
    cues = bool(pat.PHONE_CONTEXT.search(before))
    groups = list(re.finditer(r"\(?\+?\d+\)?", m.group(0)))
    for k in range(len(groups), 0, -1):
        raw = m.group(0)[:groups[k - 1].end()]
        digits = re.sub(r"\D", "", raw)
        formatted = raw.startswith(("+", "00", "(")) or k > 1
        if not formatted and not cues and not (len(digits) == 10 and digits[0] in "23456789"):
            continue  # a bare digit run needs a cue, or the 10-digit US shape
        rest = m.group(0)[len(raw):].strip(" .-/")
        if rest and not _is_phone(rest, cues):
            continue  # a prefix of a longer number (a tracking id), not a phone followed by another
        if _is_phone(raw, cues, formatted):
            return m.start(), m.start() + len(raw)
    return None


def _is_phone(raw: str, cues: bool, formatted: bool = True) -> bool:
    """Enough digits (7 with a country code, 8 without) and a valid number; a possible one if cued."""
    digits = len(re.sub(r"\D", "", raw))
    if not (7 if raw.lstrip().startswith("+") else 8) <= digits <= 15:
        return False
    return phone_ok(raw) or (formatted and cues and phone_ok(raw, loose=True))


def _cards(text: str):
    for m in pat.CARD.finditer(text):
        if not pat.IBAN_HEAD_BEFORE.search(_before(text, m.start(), 6)) and card_ok(re.sub(r"\D", "", m.group(0))):
            yield m.span()


def _ibans(text: str):
    for m in pat.IBAN.finditer(text):
        want = IBAN_LENGTHS.get(m.group(0)[:2].upper())
        count = 0
        for i, ch in enumerate(m.group(0)):
            count += ch.isalnum()
            if want and count == want:
                value, rest = m.group(0)[:i + 1], m.group(0)[i + 1:]
                if not rest[:1].isalnum() and iban_ok(re.sub(r"[^A-Za-z0-9]", "", value)):
                    yield m.start(), m.start() + i + 1
                break


def _ssns(text: str):
    for m in pat.SSN.finditer(text):
        context = pat.SSN_CONTEXT.search(_before(text, m.start()))
        vetoed = pat.NOT_PHONE_CONTEXT.search(_before(text, m.start(), 16)) and not context
        if ssn_ok(m.group(1), m.group(3), m.group(4)) and not vetoed and (m.group(2) == "-" or context):
            yield m.span()
    for m in pat.SSN_BARE.finditer(text):
        if ssn_ok(*m.groups()) and pat.SSN_CONTEXT.search(_before(text, m.start())):
            yield m.span()
    for m in pat.SSN_SPACED_DIGITS.finditer(text):  # "7 1 2 - 4 4 - 0 9 8 1", only after an SSN word
        parts = [g.replace(" ", "") for g in m.groups()]
        if ssn_ok(*parts) and pat.SSN_CONTEXT.search(_before(text, m.start())):
            yield m.span()


def _ips(text: str):
    for pattern in (pat.IPV4, pat.IPV6):
        for m in pattern.finditer(text):
            before = _before(text, m.start(), 20)
            if not ip_ok(m.group(0)) or pat.NOT_IP_CONTEXT.search(before):
                continue
            small = pattern is pat.IPV4 and all(int(o) <= 31 for o in m.group(0).split("."))
            if small and not pat.IP_CONTEXT.search(before):
                continue  # "python 3.12.1.0": small numbers with no network word read as a version
            yield m.span()
    yield from _defanged_ips(text)


def _defanged_ips(text: str):
    """IPs written so they do not link: "192[.]168[.]1[.]1", "10 . 0 . 0 . 1", "2001[:]db8[:]:1". Bracketed forms
    are deliberate; spaced forms ("10 . 0 . 0 . 1", "192 dot 168 ...") need a network word or a large octet."""
    if not pat.DEFANG_HINT.search(text):
        return
    for m in pat.IPV4_DEFANGED.finditer(text):
        raw = m.group(0)
        if "." in raw and not re.search(r"[\s\[({]|dot", raw, re.I):
            continue  # plain dotted: IPV4 above
        octets = re.findall(r"\d+", raw)
        before = re.sub(r"\s+(?:is|was|at|on)\s*$", " ", _before(text, m.start(), 20))
        if not ip_ok(".".join(octets)) or pat.NOT_IP_CONTEXT.search(before):
            continue
        bracketed = bool(re.search(r"[\[({]", raw))
        if bracketed or pat.IP_CONTEXT.search(before) or any(int(o) > 31 for o in octets[:2]):
            yield m.span()
    for m in pat.IPV6_DEFANGED.finditer(text) if "[:]" in text else ():
        if "[:]" in m.group(0) and ip_ok(m.group(0).replace("[:]", ":")):
            yield m.span()


def _dobs(text: str):
    for m in pat.DOB.finditer(text):
        year = m.group("year") or m.group("iso") or m.group("tyear") or m.group("myear") or m.group("short")
        if plausible_birth_year(year):
            yield m.span("date")


_FINDERS = {"secret": find_secrets, "card": _cards, "iban": _ibans, "ssn": _ssns, "email": _emails, "ip": _ips,
            "dob": _dobs, "phone": _phones, "address": find_addresses, "person": find_names}


def find(text: str, types: tuple[str, ...] | None = None) -> list[Finding]:
    """All sensitive values in `text`, non-overlapping, stronger types winning overlaps, in text order."""
    if not isinstance(text, str) or not text:
        return []
    view, index = _view(text)
    candidates = []
    for priority, kind in enumerate(TYPES):
        if types and kind not in types:
            continue
        for start, end in _FINDERS[kind](view):
            if end > start:
                candidates.append((priority, start - end, Finding(kind, index[start], index[end - 1] + 1)))
    chosen: list[Finding] = []
    for _, _, f in sorted(candidates, key=lambda c: (c[0], c[1])):
        if all(f.end <= c.start or f.start >= c.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)


_ASCII_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _view(text: str) -> tuple[str, Any]:
    """`pii_view`, without its per-character walk for plain ASCII (most rows): NFKC leaves ASCII as it is and
    its only invisible characters are control characters, so such a text is its own view, offsets unchanged."""
    if text.isascii() and not _ASCII_INVISIBLE.search(text):
        return text, range(len(text))
    return pii_view(text)


def redact(text: str, types: tuple[str, ...] | None = None) -> tuple[str, list[Finding]]:
    """Replace each sensitive value with a placeholder such as [EMAIL]; returns the text and the findings."""
    findings = find(text, types)
    out, pos = [], 0
    for f in findings:
        out += [text[pos:f.start], f"[{f.type.upper()}]"]
        pos = f.end
    return "".join(out) + text[pos:], findings


def redact_secrets(text: str) -> str:
    """Only secrets masked: what logs and the audit trail need."""
    return redact(text, ("secret",))[0] if len(text) >= 16 else text


def redact_messages(messages: list[dict], types: tuple[str, ...] | None = None) -> list[dict]:
    """Chat messages with PII redacted in their text (plain or multi-part content); the input is not changed."""
    types = tuple(types) if types else None
    return [{**msg, "content": _redact_content(msg.get("content"), types)} for msg in messages]


def _redact_content(content: Any, types) -> Any:
    if isinstance(content, str):
        return _redacted(content, types)
    if isinstance(content, list):
        return [{**part, "text": _redacted(part["text"], types)} if isinstance(part, dict) and
                isinstance(part.get("text"), str) else part for part in content]
    return content


@functools.lru_cache(maxsize=4096)
def _redacted(text: str, types: tuple[str, ...] | None) -> str:
    """Redacted text, remembered: a batch sends the same system prompt with every row."""
    return redact(text, types)[0]
