"""Street addresses in any case: "221B Baker Street", "1234 MAIN ST", "hauptstrasse 5", "12 rue de la Paix".

Case alone no longer separates "42 wallaby way, sydney" from "3 miles down the road", so a candidate must also
read as a street name: no prose or unit words in it, one casing throughout, and, when written all in lower or
upper case, a strong street word, a city or postcode, or an address cue before it.
"""

import re

from resources.safety import pii_patterns as pat

_STRONG = set(pat.SUFFIX_STRONG.split("|"))
_ALL_SUFFIXES = _STRONG | set(pat.SUFFIX_WEAK.split("|"))
_CITY_STOP = frozenset("then and please call contact thanks asap today tomorrow instead or but if so for to the "
                       "when where with before after by".split())
_CASE_SENSITIVE_EU = {"weg", "ring", "damm", "ufer", "steeg", "kade", "laan"}
_AMBIGUOUS_LEADS = {"place", "via", "cours", "largo", "corso", "plaza", "paseo", "chemin", "quai", "bd"}


def _casing(words: list[str]) -> str:
    letters = [w for w in words if w[:1].isalpha()]
    if all(w.isupper() for w in letters):
        return "upper"
    if all(w.islower() for w in letters):
        return "lower"
    return "title" if all(w[0].isupper() for w in letters) else "mixed"


def _city_end(m: re.Match) -> int:
    """Where the match ends once a "city" that is really the next sentence ("then call me") is cut off."""
    city = m.group("city")
    if city and any(w.lower().strip(",") in _CITY_STOP for w in city.split()):
        return m.start("city")
    return m.end()


def _street(text: str, m: re.Match) -> tuple[int, int] | None:
    names = m.group("name").split()
    words = [w.lower().strip(".") for w in names]
    if any(w in pat.NOT_STREET_WORDS for w in words) or all(w in _ALL_SUFFIXES for w in words):
        return None
    if pat.RANK_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
        return None
    casing = _casing(names + [m.group("suffix")])
    if casing == "mixed":
        return None
    before = text[max(0, m.start() - 30):m.start()]
    cued = bool(m.group("region") or m.group("city") or pat.ADDRESS_CONTEXT.search(before))
    if casing != "title" and m.group("suffix").lower() not in _STRONG and not cued:
        return None
    return m.start(), _city_end(m)


def _eu_street(m: re.Match) -> tuple[int, int] | None:
    if m.group("suffix").lower() in _CASE_SENSITIVE_EU and not m.group("name")[0].isupper():
        return None
    return m.span()


def _romance(text: str, m: re.Match) -> tuple[int, int] | None:
    ambiguous = m.group("lead").lower().rstrip(".") in _AMBIGUOUS_LEADS
    cued = m.group("city") or m.group("name")[0].isupper() or pat.ADDRESS_CONTEXT.search(text[:m.start()][-30:])
    return m.span() if not ambiguous or cued else None


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Spans of street addresses and PO boxes in `text`."""
    spans = [_street(text, m) for m in pat.STREET.finditer(text)]
    spans += [_eu_street(m) for m in pat.EU_STREET.finditer(text)]
    spans += [_romance(text, m) for p in (pat.ROMANCE_NUMBER_FIRST, pat.ROMANCE_NAME_FIRST) for m in p.finditer(text)]
    spans += [m.span() for m in pat.PO_BOX.finditer(text)]
    spans += [m.span() for m in pat.EU_POSTAL.finditer(text) if not re.match(r"(?:19|20)\d\d$", m.group("postcode"))]
    return [s for s in spans if s]
