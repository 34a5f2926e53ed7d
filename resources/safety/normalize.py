"""Normalise text before screening it, so that what a pattern sees is what a model reads.

Attackers hide instructions from patterns, not from models: fullwidth or mathematical letters, zero-width and
other invisible characters, Cyrillic or Greek lookalikes, leetspeak, s p a c e d letters and encoded spans all
still read as the same words to a model. `views(text)` returns the readings worth screening; `pii_view(text)`
gives a normalised text plus, for each of its characters, the offset it came from in the original.
"""

import base64
import binascii
import codecs
import html
import re
import unicodedata
import urllib.parse
from typing import NamedTuple

# Cyrillic and Greek letters that render like Latin ones (a small table is enough: NFKC folds the rest of the
# lookalike alphabets, fullwidth and mathematical letters, to ASCII).
CONFUSABLES = str.maketrans({
    **dict(zip("аеорсухіјѕԁһӏԛԝвкмнтгпьАВЕКМНОРСТУХІЈЅ", "aeopcyxijsdhlqwbkmhtrnbABEKMHOPCTYXIJS")),
    **dict(zip("αβεικνορτυχωΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "abeikvoptuxwABEZHIKMNOPTYX")),
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢғ", "abcdefghijklmnopqrstuvwyzf")),  # small capitals
    **dict(zip(_ARMENIAN := "օսոհցզաԳՍՕՏ", "ounhgqwqUOS")),
    **dict(zip(_CHEROKEE := "ᎪᎬᎡᎢᏚᎠᏀᏔᏢᎫᎻᎷᏟᏞᏴᏦᏙᏃᏒᎥᏂ", "AERTSDGWPJHMCLBKVZSIN")),
    "ı": "i", "ɑ": "a", "ɡ": "g", "ℓ": "l", "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"',
})
LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s", "!": "i",
        "|": "l", "+": "t", "€": "e"}
_LEET_TOKEN = re.compile(r"[A-Za-z0-9@$!|+€]+")
_SEP = r"[ \t.\-_*·/|\u2190-\u2bff\U0001f000-\U0001faff]"  # spaces, dots, dashes, arrows, symbols, emoji
_SPACED_RUN = re.compile(rf"(?<![^\W_])(?:[^\W_]{_SEP}{{1,3}}){{3,}}[^\W_](?![^\W_])")
_B64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_B32 = re.compile(r"\b[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9+/])")
_MARKUP = re.compile(r"&(?:#\d{2,7}|#x[0-9a-f]{2,6}|[a-z]{2,8});|<[a-z!/][^<>]{0,200}>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|br|div|li|ul|ol|tr|td|th|h[1-6]|table|section|article|blockquote)\b[^<>]*>", re.I)
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[\s:]?){8,}")
_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}){3,}")


class View(NamedTuple):
    """One reading of a text: how it was obtained (`plain`, `leet`, `spaced`, `base64`, ...) and its text."""

    how: str
    text: str


def is_invisible(ch: str) -> bool:
    """Zero-width, bidi, soft hyphen, tag and other format characters, and control characters but line breaks."""
    cat = unicodedata.category(ch)
    return cat == "Cf" or (cat == "Cc" and ch not in "\t\n\r") or ch in "\u034f\u115f\u1160\u3164\uffa0"


_LOOKALIKES = frozenset("аеорсухіјѕԁһӏԛԝвкмнтгпьАВЕКМНОРСТУХІЈЅαβεικνορτυχωΑΒΕΖΗΙΚΜΝΟΡΤΥΧıɑɡℓ"
                        "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢғ" + _ARMENIAN + _CHEROKEE)


def disguised(text: str) -> bool:
    """Whether `text` holds invisible characters or Cyrillic/Greek lookalikes (folding changes what it reads)."""
    return any(ch in _LOOKALIKES or is_invisible(ch) for ch in text)


_KANA_MARKS = "\u3099\u309a"


def strip_accents(text: str) -> str:
    """Combining accents dropped; kana voicing marks kept and Hangul syllables recomposed ("ガ", "프" stay)."""
    out = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch) or ch in _KANA_MARKS)
    return out if out.isascii() else unicodedata.normalize("NFC", out)


def fold(text: str, squeeze: bool = True) -> str:
    """NFKC, invisibles dropped, lookalikes folded to Latin, accents stripped, lower case, spaces squeezed."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not is_invisible(ch))
    text = strip_accents(text.translate(CONFUSABLES)).lower()
    return re.sub(r"[ \t\u00a0\u2000-\u200a\u3000]+", " ", text) if squeeze else text


def unleet(text: str, one: str = "i") -> str:
    """Digits and symbols read as letters inside words that mix them with letters ("1gn0r3" -> "ignore").
    `one` is what "1" reads as: "i", "l", or "auto" (l between two vowels, as in "ru1es", else i)."""
    table = {**LEET, "1": "i" if one == "auto" else one}

    def word(m: re.Match) -> str:
        token = m.group(0).rstrip("!")
        if not re.search(r"[a-z]", token, re.I) or not re.search(r"[0-9@$!|+€]", token):
            return m.group(0)
        mapped = [table.get(ch, ch) for ch in token]
        if one == "auto":
            mapped = ["l" if ch == "1" and 0 < i < len(token) - 1 and mapped[i - 1] in "aeiou" and mapped[i + 1]
                      in "aeiou" else c for i, (ch, c) in enumerate(zip(token, mapped))]
        return "".join(mapped) + m.group(0)[len(token):]

    return _LEET_TOKEN.sub(word, text)


def collapse_spaced(text: str) -> str:
    """Letters spaced or dotted apart joined into words ("i g n o r e   a l l" -> "ignore all")."""
    def join(m: re.Match) -> str:
        words = re.split(r"[ \t.\-_*·]{2,}|\s*[/|]\s*", m.group(0))
        return " ".join(re.sub(_SEP, "", w) for w in words)

    return _SPACED_RUN.sub(join, text)


def _printable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(ch.isalpha() for ch in text)
    ok = sum(ch.isprintable() or ch in "\n\t" for ch in text)
    return text if text and ok == len(text) and letters >= 0.6 * len(text.replace(" ", "")) - 2 else None


def decoded_spans(text: str) -> list[View]:
    """Base64, hex, URL-encoded and escaped spans that decode to readable text, and the text's rot13."""
    found = [View("rot13", codecs.decode(text, "rot13"))]
    for m in _B64.finditer(text):
        span = m.group(0)
        try:
            raw = base64.b64decode(span + "=" * (-len(span) % 4), altchars=b"-_" if "-" in span or "_" in span
                                   else None, validate=True)
        except (binascii.Error, ValueError):
            continue
        if (decoded := _printable(raw)) and re.search(r"[a-zA-Z]{3}", decoded):
            found.append(View("base64", decoded))
    for m in _B32.finditer(text):
        try:
            raw = base64.b32decode(m.group(0) + "=" * (-len(m.group(0).rstrip("=")) % 8 if "=" not in m.group(0)
                                                      else 0))
        except (binascii.Error, ValueError):
            continue
        if (decoded := _printable(raw)) and re.search(r"[a-zA-Z]{3}", decoded):
            found.append(View("base32", decoded))
    if _MARKUP.search(text):
        found.append(View("markup", unmarked(text)))
    for m in _HEX.finditer(text):
        if decoded := _printable(bytes.fromhex(re.sub(r"[\s:]", "", m.group(0)))):
            found.append(View("hex", decoded))
    if re.search(r"%[0-9a-fA-F]{2}", text):
        found.append(View("url-encoded", urllib.parse.unquote(text)))
    if _ESCAPES.search(text):
        found.append(View("escaped", _ESCAPES.sub(lambda m: m.group(0).encode().decode("unicode_escape"), text)))
    return found


def unmarked(text: str) -> str:
    """HTML as a model reads it: entities decoded, comments and tags dropped (block tags become spaces), so
    "Dis<b></b>regard" and "&#73;gnore" read as words."""
    text = re.sub(r"<!--[\s\S]*?-->", "", html.unescape(html.unescape(text)))
    return re.sub(r"<[a-z/][^<>]{0,200}>", "", _BLOCK_TAG.sub(" ", text), flags=re.I)


def hidden_tags(text: str) -> str:
    """Text written in Unicode tag characters (U+E0020-E007E): invisible on screen, readable by a model."""
    return "".join(chr(ord(ch) - 0xE0000) for ch in text if 0xE0020 <= ord(ch) <= 0xE007E)


def views(text: str, depth: int = 2) -> list[View]:
    """Every reading worth screening: plain (folded), de-leeted, de-spaced, decoded, hidden."""
    plain = fold(text)
    spaced = fold(collapse_spaced(fold(text, squeeze=False)))
    out = [View("plain", plain), View("spaced", spaced)]
    if re.search(r"[0-9@$!|+€]", plain):
        out += [View("leet", unleet(t, one)) for t in {plain, spaced} for one in ("i", "l", "auto")]
    out.append(View("reversed", plain[::-1]))
    if re.search("[\u0400-\u04ff]", text):  # Cyrillic: also read it unfolded, as Russian
        out.append(View("cyrillic", strip_accents(unicodedata.normalize("NFKC", text)).lower()))
    if hidden := hidden_tags(text):
        out += [View("hidden", fold(hidden))]
    if depth:
        for how, decoded in decoded_spans(unicodedata.normalize("NFKC", text)):
            nested = [fold(decoded)] if how == "rot13" else [v.text for v in views(decoded, depth - 1)]
            out += [View(how, t) for t in nested]
    seen, unique = set(), []
    for v in out:
        if v.text not in seen:
            seen.add(v.text)
            unique.append(v)
    return unique


def pii_view(text: str) -> tuple[str, list[int]]:
    """`text` NFKC-normalised with invisibles dropped, and for each character the index it came from."""
    chars, index = [], []
    for i, ch in enumerate(text):
        if is_invisible(ch):
            continue
        norm = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        chars.append(norm)
        index += [i] * len(norm)
    return "".join(chars), index
