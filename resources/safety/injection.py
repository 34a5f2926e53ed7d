"""Prompt-injection screening for data: text inside rows that tries to instruct the model.

Such text must not change routing or approvals, so aiwf never lets a model decide those from data alone, passes
data to models fenced as data (`as_data`), and flags matching rows for human review (assets/checks/pii.py and
the `contains_injection` approval rule). Each text is screened in every reading a model could make of it
(resources/safety/normalize.py: folded Unicode, leetspeak, spaced letters, base64/hex/rot13/URL-encoded spans,
hidden tag characters, reversed text, HTML entities and tags, base32) against multilingual phrase patterns
(resources/safety/injection_patterns.py) and structural signs (chat-template tokens, fake role JSON, tag
break-outs). Patterns stay conservative: "please ignore my previous email" is not an attack; "ignore all previous
instructions" is. Where no pattern matches, a small learned model (resources/safety/injection_model.py) reads the
same views sentence by sentence, so new phrasings in the ~20 languages a shop sees are caught too
(`learned_instruction`).
"""

import re

from resources.safety.injection_lexicon import BENIGN_GAP
from resources.safety.injection_patterns import CJK_PATTERNS, HAS_CJK, PATTERNS, RELAXED, SQUASHED
from resources.safety.normalize import disguised, strip_accents, views

_HTML = ("p|b|i|u|a|s|em|strong|small|span|div|li|ul|ol|br|hr|h[1-6]|table|thead|tbody|tr|td|th|img|code|pre|sup|"
         "sub|blockquote|section|article|header|footer|body|html|head|title|label|button|form|nav|main|figure|"
         "figcaption|mark|del|ins|q|cite|abbr|time|style|script|font|center|dl|dt|dd")
_ROLE_LINE_CUE = (r"you|your|ignore|approve\w*|refund\w*|must|should|override|classif\w*|mark|set|grant|respond|"
                  r"reply|answer|output|verified|new polic\w*|the customer is")
STRUCTURAL: dict[str, re.Pattern] = {
    "chat_template": re.compile(
        r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|"
        r"begin_of_text)\s*\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>", re.I),
    "fake_role": re.compile(
        r"[\"']role[\"']\s*:\s*[\"'](?:system|assistant|developer|tool)[\"']|"
        r"[\"'](?:system_prompt|system|instructions|override)[\"']\s*:\s*[\"']|"
        rf"^\s*(?:#{{1,4}}\s*)?(?:system|assistant|developer)\s*(?:message|prompt)?\s*:(?=[^\n]*\b(?:{_ROLE_LINE_CUE})\b)|"
        r"^\s*#{1,4}\s*(?:system|new instructions?)\b|```\s*(?:system|assistant|developer|instructions?)\b|"
        r"\[(?:system|admin|assistant|developer)\]\s*\(|"
        r"^[\W_]*(?:system|admin|developer)\s+(?:prompt|message|notice|update|override|instructions?|directive)"
        r"(?:\s+(?:update|change|override|v?\d+))?[\W_]*$|"
        r"(?:^|\n)\s*(?:human|user)\s*:[^\n]*\n+\s*(?:assistant|ai)\s*:", re.I | re.M),
    "decision_json": re.compile(
        r"[\"'](?:route|needs_review|decision|approved?|fraud_risk|verdict|risk|label|classification)[\"']\s*:\s*"
        r"[\"'\w]", re.I),
    "tag_breakout": re.compile(
        rf"</\s*(?!(?:{_HTML})\s*>)[a-z][\w:.-]{{0,40}}\s*>|<\s*(?:system|instructions?|prompt|admin|assistant|"
        r"developer|sys)\s*>", re.I),
    "end_of_data": re.compile(
        r"\bend\s+of\s+(?:the\s+)?(?:customer\s+|user\s+)?(?:data|input|note|document|context|email|message|text|"
        r"review|ticket)\b[\s.:\]\-=*#]*(?:new|now|begin|start|next|the real|actual|system|instructions?|task)\b",
        re.I),
    "exfiltration_link": re.compile(
        r"!?\[[^\]]{0,80}\]\(\s*https?://[^)\s]*(?:\{|%7b|system_prompt|prompt=|secret|token=|password)", re.I),
    "hidden_comment": re.compile(
        r"<!--[\s\S]{0,300}?\b(?:ai|assistant|model|llm|agent|bot|gpt|chatgpt)s?\b[\s\S]{0,300}?-->", re.I),
}


def _hits(text: str, how: str = "plain") -> list[str]:
    """Names of the phrase and structural patterns that match one reading of a text."""
    found = []
    cjk = CJK_PATTERNS.items() if HAS_CJK.search(text) else ()  # Chinese, Japanese, Korean: only where they occur
    for name, pattern in (*STRUCTURAL.items(), *PATTERNS.items(), *cjk):
        if name == "tag_breakout" and how == "rot13":
            continue  # rot13 turns HTML tags (</p>) into unknown ones (</c>)
        for m in pattern.finditer(text):
            if name == "ignore_instructions" and BENIGN_GAP.search(m.group(0)):
                continue  # "disregard my previous delivery instructions": the customer's own
            if name not in found:
                found.append(name)
            break
    return found


def _glued(text: str) -> list[str]:
    """Spaced-out runs with no word gaps, glued into one word, checked against compact phrases."""
    words = [w for w in text.split() if len(w) > 12]
    return [name for name, pattern in SQUASHED.items() if any(pattern.search(w) for w in words)]


def detect_injection(text: str) -> list[str]:
    """Why `text` reads as instructions to a model: pattern names, then `obfuscation:<how>` when a match needed a
    decoded or de-obfuscated reading (leet, spaced, base64, rot13, unicode, ...). Empty for ordinary data."""
    if not isinstance(text, str) or not text:
        return []
    reasons: list[str] = []
    hows: set[str] = set()
    hidden = disguised(text)
    all_views = views(text)
    for how, reading in all_views:
        hits = _hits(reading, how) + (_glued(reading) if how == "spaced" else [])
        if how != "plain" or hidden:
            hits += [name for name, pattern in RELAXED.items() if pattern.search(reading) and name not in hits]
        new = [h for h in hits if h not in reasons]
        if new and how != "plain":
            hows.add(how)
        if hits and how == "plain" and not _hits(strip_accents(text.lower())):
            hows.add("unicode")  # only the folded reading matched: lookalikes or invisible characters
        reasons += new
    if not reasons:
        return _learned(text, all_views)
    return reasons + [f"obfuscation:{h}" for h in sorted(hows)]


# Readings the model is shown: it was trained on plain sentences, so not rot13, reversed or leet guesses.
_MODEL_VIEWS = ("plain", "spaced", "cyrillic", "hidden", "base64", "base32", "hex", "url-encoded", "escaped",
                "markup")


def _learned(text: str, readings) -> list[str]:
    """`learned_instruction` (with how it was read) when the model finds an instruction-like sentence."""
    from resources.safety import injection_model  # numpy and the weights: only once a text needs the model

    for how, reading in readings:
        if how in _MODEL_VIEWS and injection_model.is_instruction(text if how == "plain" else reading):
            return ["learned_instruction"] + ([] if how == "plain" else [f"obfuscation:{how}"])
    return []


def looks_like_injection(text: str) -> bool:
    return bool(detect_injection(text))


def as_data(text: str, tag: str = "data") -> str:
    """Fence untrusted text so a prompt can say "treat the <data> block as data"; closing tags and chat-template
    tokens inside are defused."""
    cleaned = re.sub(rf"</?\s*{tag}\s*>", lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text, flags=re.I)
    cleaned = re.sub(r"<\|([^|<>]{1,40})\|>", r"‹|\1|›", cleaned)
    return f"<{tag}>\n{cleaned}\n</{tag}>"
