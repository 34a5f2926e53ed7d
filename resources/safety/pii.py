"""Sensitive-data filter: find and redact PII and secrets before text leaves for an external model.

Types: email, phone, card (Luhn-checked, known issuer prefixes), iban (mod-97 and per-country length),
address (street addresses, PO boxes), secret (API keys, bearer tokens, AWS keys, JWTs, key=value secrets,
generic high-entropy strings). Regexes find candidates; validators reject look-alikes (order numbers, dates,
UUIDs, hashes). Findings carry type and span, never the sensitive value. Measured by benchmarks/pii.py.
Prompt-injection detection for data lives in resources/injection.py and is re-exported here.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from resources.safety.injection import detect_injection, looks_like_injection  # noqa: F401  (re-exported)

TYPES = ("secret", "card", "iban", "email", "phone", "address")  # overlap priority, strongest first
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:order|invoice|ref(?:erence)?|sku|tracking|account|acct|id|no\.?|number|#|isbn|serial|case|ticket|"
    r"iban|card|version|v)\W{0,3}$")
_FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico", "pdf", "txt", "py"}
_IIN = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)|35)")
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}
_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
           r"Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Cir|Trail|Row|Gardens|Grove|Mews|Hill|Loop|Alley|Plaza|Esplanade|Pike)")
_NAME = r"(?:[A-Z][a-zA-Z'’-]+|\d+(?:st|nd|rd|th))"
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|#)\.?\s*[\w-]+)?"
_CITY = r"(?:,\s*[A-Z][a-z]+(?:[\s-][A-Z][a-z]+){0,2})?"
_REGION = r"(?:,?\s+(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}))?"
_EU_STREET = r"[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan|gracht|straat)"
_FR_STREET = r"(?:rue|avenue|boulevard|bd|place|chemin|allée|quai|impasse|calle|via|viale|piazza|avenida|plaza)"
_EU_CITY = r"(?:,?\s+\d{4,5}\s+[A-ZÀ-Ý][a-zà-ÿ]+(?:[\s-][A-ZÀ-Ý][a-zà-ÿ]+)?)?"

PATTERNS: dict[str, list[re.Pattern]] = {
    "email": [re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,24})(?![\w-])")],
    "phone": [
        re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(0?\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,5}){1,4}(?![\w])"),
        re.compile(r"(?<![\w])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w])"),
        re.compile(r"(?<![\w])0\d{1,4}[\s/-]?\d{3,4}[\s-]?\d{3,4}(?![\w])"),
        re.compile(r"(?<![\w])0\d(?:[\s.]\d{2}){4}(?![\w])"),
    ],
    "card": [re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")],
    "iban": [re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}")],
    "address": [
        re.compile(rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+)?(?:{_NAME}\s+){{1,3}}{_SUFFIX}\b\.?(?:\s(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}{_CITY}{_REGION}"),
        re.compile(rf"\b{_EU_STREET}\s+\d{{1,4}}[a-z]?\b{_EU_CITY}"),
        re.compile(rf"(?i:\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+{_FR_STREET})\s+(?:[\w'’-]+\s){{0,3}}[\w'’-]+{_EU_CITY}"),
        re.compile(rf"(?i:\b{_FR_STREET})\s+[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?,?\s+\d{{1,4}}\b{_EU_CITY}"),
        re.compile(r"\bP\.?\s?O\.?\s+Box\s+\d+\b" + _CITY + _REGION, re.I),
    ],
    "secret": [
        re.compile(r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}"),
        re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{16,}=*"),
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"),
        re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
        re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
        re.compile(r"(?i)(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?key|token|passw(?:or)?d|pwd)\"?\s*[:=]\s*"
                   r"[\"']?(?P<value>[^\s\"',;]{8,})"),
        _GENERIC_SECRET := re.compile(r"(?<![\w/+=-])(?P<value>[A-Za-z0-9_+/-]{24,}={0,2})(?![\w/+=-])"),
    ],
}


@dataclass(frozen=True)
class Finding:
    """Where one sensitive value sits in a text: its type and span (the value itself is never kept)."""

    type: str
    start: int
    end: int


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """ISO 13616: the country's length and mod-97 of the rearranged number equal to 1."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def entropy(s: str) -> float:
    counts = {ch: s.count(ch) for ch in set(s)}
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _accept(kind: str, m: re.Match, text: str) -> tuple[int, int] | None:
    """Validate one regex candidate; return the span to redact, or None for a look-alike."""
    start, end = m.span()
    value = m.group(0)
    if kind == "email":
        return None if m.group(1).lower() in _FILE_TLDS else (start, end)
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if not 8 <= len(digits) <= 15 or _NOT_PHONE_CONTEXT.search(text[max(0, start - 16):start]):
            return None
        longer_number = re.search(r"\d[\s.-]?$", text[max(0, start - 2):start]) or re.match(r"[\s.-]?\d", text[end:])
        return None if longer_number else (start, end)
    if kind == "card":
        digits = re.sub(r"\D", "", value)
        return (start, end) if 13 <= len(digits) <= 19 and _IIN.match(digits) and luhn_ok(digits) else None
    if kind == "iban":
        return _iban_span(value, start)
    if kind == "secret" and "value" in m.groupdict():
        return _secret_value_span(m)
    return start, end


def _iban_span(value: str, start: int) -> tuple[int, int] | None:
    """Cut the candidate at its country's length (it may have run into the next word) and check mod-97."""
    want = IBAN_LENGTHS.get(value[:2])
    if not want:
        return None
    count = 0
    for i, ch in enumerate(value):
        count += ch != " "
        if count == want:
            rest = value[i + 1:]
            if rest[:1].isalnum():
                return None
            return (start, start + i + 1) if iban_ok(value[: i + 1].replace(" ", "")) else None
    return None


def _secret_value_span(m: re.Match) -> tuple[int, int] | None:
    value = m.group("value")
    if re.search(r"<|>|\*{3}|(?i:x{4}|your[_-]|placeholder|changeme|redacted)|example|\$\{|environ|getenv", value):
        return None
    if m.re is _GENERIC_SECRET:  # the generic high-entropy rule: need mixed classes and real randomness
        classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
        digits = sum(ch.isdigit() for ch in value)
        if classes < 3 or digits < 2 or entropy(value) < 4.0 or re.search(r"[a-z]{6,}", value):
            return None
    return m.span("value")


def find(text: str, types: tuple[str, ...] | None = None) -> list[Finding]:
    """All sensitive values in `text`, non-overlapping, stronger types winning overlaps, in text order."""
    candidates = []
    for priority, kind in enumerate(TYPES):
        if types and kind not in types:
            continue
        for pattern in PATTERNS[kind]:
            for m in pattern.finditer(text):
                span = _accept(kind, m, text)
                if span:
                    candidates.append((priority, span[0] - span[1], Finding(kind, *span)))
    chosen: list[Finding] = []
    for _, _, f in sorted(candidates, key=lambda c: (c[0], c[1])):
        if all(f.end <= c.start or f.start >= c.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)


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
    return [{**msg, "content": _redact_content(msg.get("content"), types)} for msg in messages]


def _redact_content(content: Any, types) -> Any:
    if isinstance(content, str):
        return redact(content, types)[0]
    if isinstance(content, list):
        return [{**part, "text": redact(part["text"], types)[0]} if isinstance(part, dict) and
                isinstance(part.get("text"), str) else part for part in content]
    return content
