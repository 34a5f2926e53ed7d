"""Training corpus for the learned injection screen (resources/safety/injection_model.py).

Built from hand-written clauses per language (benchmarks/injection_lexicon_corpus.py), composed the ways attacks
arrive (a dismissal and a demand, a demand addressed to the model, a fake notice, a request planted in an
ordinary message or brief, a forged chat turn), plus the existing labelled cases (benchmarks/injection_cases.py,
every part), the demo's customer notes and ordinary software messages from the system's gettext catalogues.
benchmarks/injection_blind.py is kept out so it stays an honest measure. Deterministic (seeded).
"""

import gettext
import random
import re
from pathlib import Path

from benchmarks import injection_cases as cases
from benchmarks.injection_lexicon_corpus import LEXICON, MORE_BENIGN

# Plain-text parts only: encoded attacks are decoded by resources/safety/normalize.py before the model sees them.
TRAIN_PARTS = [(cases.DEV_ATTACKS, cases.DEV_BENIGN), (cases.HOLDOUT_ATTACKS, cases.HOLDOUT_BENIGN),
               (cases.BLIND_ATTACKS, cases.BLIND_BENIGN), (cases.BLIND_2_ATTACKS, cases.BLIND_2_BENIGN),
               (cases.BLIND_3_ATTACKS, cases.BLIND_3_BENIGN)]
_SINKS = ["harvest@collect.example", "https://paste.example/u/77", "dump@exfil.example", "http://198.51.100.9/in"]
_BANNERS = ["=== {0} ===", "*** {0} ***", "[{0}]", "### {0}", "--- {0} ---", "<<{0}>>"]
_TURNS = ["assistant:", "AI:", "system:", "Assistant:", "SYSTEM:", "model:"]
_DOCS = ["Spring sale: linen shirts from 29 EUR.", "Order 5512: blue mug, 2 pcs.", "Ticket #8812, customer writes:",
         "Product: trail shoes, sizes 38-46.", "Brief: newsletter for May, friendly tone.", "Review: 4 stars."]


_LOCALES = Path("/usr/share/locale")
_CATALOGUES = ("apt", "dpkg", "coreutils", "glib20", "gtk20", "PackageKit", "bash", "appstream", "at-spi2-core",
               "findutils", "diffutils", "Linux-PAM", "adduser", "gdk-pixbuf")
_LOCALE_OF = {"zh": "zh_CN", "zh_hant": "zh_TW"}
_CJK = ("zh", "zh_hant", "ja")


def catalogue_texts(lang: str, limit: int, rng: random.Random) -> list[str]:
    """Ordinary software messages in `lang` from the system's gettext catalogues (GNU/GTK translations, shipped
    by the OS under their own free licences): background text full of "ignore", "system", "override",
    "instructions" said innocently. Empty where the catalogues are not installed."""
    texts = set()
    for name in _CATALOGUES:
        path = _LOCALES / _LOCALE_OF.get(lang, "de" if lang == "en" else lang) / "LC_MESSAGES" / f"{name}.mo"
        if not path.exists():
            continue
        with path.open("rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001  (the parsed msgid -> msgstr table)
        for msgid, msgstr in catalog.items():
            text = msgid if lang == "en" else msgstr
            if isinstance(msgid, str) and isinstance(text, str) and 20 <= len(text) <= 160 and "\n" not in text \
                    and not re.search(r"%|\{|\$|<|--|_|\\", text):
                texts.add(text.strip())
    return rng.sample(sorted(texts), min(limit, len(texts)))


def _clauses(lang: str, kind: str) -> list[str]:
    return [c.strip() for c in LEXICON[lang][kind].split("|") if c.strip()]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _attacks(lang: str, rng: random.Random) -> list[str]:
    c = {k: _clauses(lang, k) for k in LEXICON[lang]}
    out = [_cap(x) + "." for k in ("override", "reveal", "role", "void") for x in c[k]]
    out += [f"{_cap(o)}. {_cap(a)}." for o in c["override"] for a in c["action"]]
    out += [f"{_cap(o)}, {a}." for o in c["override"] for a in rng.sample(c["action"], 2)]
    out += [f"{p} {a}." for p in c["address"] for a in c["action"]]
    out += [f"{p} {r}." for p in c["address"] for r in c["reveal"]]
    out += [f"{_cap(v)}. {_cap(a)}." for v in c["void"] for a in c["action"]]
    out += [f"{_cap(r)}. {_cap(a)}." for r in c["role"] for a in rng.sample(c["action"], 3)]
    out += [_cap(e.format(to=s)) + "." for e in c["exfil"] for s in _SINKS]
    for _ in range(12):
        kind = rng.choice(["override", "void", "reveal", "role", "address"])
        demand = rng.choice(c[kind]) + ("" if kind == "address" else ",")
        planted = f"{demand} {rng.choice(c['action'])}."
        host = rng.choice(c["benign"] + _DOCS)
        out += [rng.choice([f"{_cap(host)}. {_cap(planted)}", f"{_cap(host)} ({_cap(planted)})",
                            f"{_cap(planted)} {_cap(host)}.", f"{rng.choice(_BANNERS).format(_cap(planted))}",
                            f"{_cap(host)}.\n{rng.choice(_TURNS)} {_cap(rng.choice(c['action']))}."])]
    return out


_ITEMS = ["Camping tent", "Rain jacket", "Stand mixer", "Smartphone", "Side table", "E-reader", "Trail shoes",
          "Burr grinder", "Linen shirt", "Desk lamp", "Saucepan set", "Robot vacuum", "Monitor", "Kettle"]
_KINDS = ["outdoor", "apparel", "kitchen", "electronics", "home", "coffee"]


def records(rng: random.Random, n: int = 400) -> list[str]:
    """Record-like rows the checks scan (product lines, order lines, fields): data, never instructions."""
    out = []
    for _ in range(n):
        item, kind, price = rng.choice(_ITEMS), rng.choice(_KINDS), f"{rng.randint(5, 1999)}.{rng.choice(['0', '00', '99'])}"
        out.append(rng.choice([
            f"Product: {item} ({kind}), EUR {price}", f"Order O-{rng.randint(1000, 9999)}: {rng.randint(1, 4)} x {item}",
            f"{item} - {kind} - {price} EUR - in stock", f"SKU {rng.randint(100, 999)}-{rng.randint(10, 99)}, {item}, "
            f"size {rng.choice(['S', 'M', 'L', '42', '38'])}", f"Reason: {rng.choice(['damaged', 'wrong size', 'late'])}"
            f" ({item})", f"category={kind}; price={price}; name={item}", f"{item} ({kind}) returned, refund {price} EUR"]))
    return out


def _benign(lang: str, rng: random.Random) -> list[str]:
    b = _clauses(lang, "benign") + [c.strip() for c in MORE_BENIGN[lang].split("|")]
    out = [_cap(x) + ("" if x[-1] in "?？" else ".") for x in b]
    out += [f"{_cap(x)}. {_cap(y)}." for x in b for y in rng.sample(b, 8) if x != y]
    out += [f"{d} {_cap(x)}." for x in b for d in rng.sample(_DOCS, 2)]
    out += [f"{_cap(x)} ({y})" for x in b for y in rng.sample(b, 1) if x != y]
    return out


def _cjk_punct(lang: str, texts: list[str], rng: random.Random) -> list[str]:
    """Chinese and Japanese written as they are: full-width stops and commas, no spaces between sentences (most
    texts), Latin punctuation (some)."""
    if lang not in _CJK:
        return texts
    comma = "、" if lang == "ja" else "，"
    return [re.sub(r"\. ?", "。", t).replace(", ", comma) if rng.random() < 0.7 else t for t in texts]


def corpus(seed: int = 7) -> list[tuple[str, int, str]]:
    """(text, label, group): label 1 for an attack; group is a language code, a case part, or "demo"."""
    rng = random.Random(seed)
    rows = []
    for lang in LEXICON:
        rows += [(t, 1, lang) for t in _cjk_punct(lang, _attacks(lang, rng), rng)]
        rows += [(t, 0, lang) for t in _cjk_punct(lang, _benign(lang, rng), rng)]
        rows += [(t, 0, f"catalogue:{lang}") for t in catalogue_texts(lang, 300, rng)]
    rows += [(t, 0, "records") for t in records(rng)]
    for attacks, benign in TRAIN_PARTS:
        rows += [(t, 1, "cases") for t in attacks] + [(t, 0, "cases") for t in benign]
    rows += [(t, int(attack), "demo") for _, t, attack in cases.demo_texts()]
    return rows
