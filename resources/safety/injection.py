"""Prompt-injection detection for data: text inside rows that tries to instruct the model.

Such text must not change routing or approvals, so aiwf never lets a model decide those from data alone, passes
data to models fenced as data (`as_data`), and flags matching rows for human review (assets/checks_pii.py and
the `contains_injection` approval rule). Patterns are conservative: a customer writing "please ignore my
previous email" is not an attack; "ignore all previous instructions" is.
"""

import re

_TARGETS = r"(?:instructions?|prompts?|rules|directions|guidelines|guardrails|system message)"
PATTERNS: dict[str, re.Pattern] = {
    "ignore_instructions": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,30}?\b(?:all|any|previous|prior|above|"
        rf"earlier|preceding|your|system|original|the above|the previous)\b[^.\n]{{0,20}}?\b{_TARGETS}\b", re.I),
    "role_change": re.compile(
        r"\b(?:you are now (?:an?\b|the\b|in \w+ mode|DAN\b|free\b|no longer|unrestricted|jailbroken|my\b)|"
        r"from now on,? you (?:are|will|must)|pretend (?:to be|you are)|act as (?:an? |the )?"
        r"(?:unrestricted|unfiltered|jailbroken|different|new|evil))\b", re.I),
    "prompt_exfiltration": re.compile(
        r"\b(?:reveal|print|show|repeat|output|leak|tell me)\b[^.\n]{0,30}\b(?:system prompt|hidden prompt|"
        r"initial prompt|your (?:instructions|prompt|rules)|instructions you were given)\b", re.I),
    "role_markers": re.compile(r"<\|im_(?:start|end)\|>|<\|system\|>|\[/?INST\]|</?system>|^\s*###?\s*system\b|"
                               r"^\s*(?:system|assistant)\s*:", re.I | re.M),
    "jailbreak": re.compile(r"\b(?:jailbreak|developer mode|DAN mode|do anything now)\b", re.I),
    "decision_override": re.compile(
        r"\b(?:approve|authori[sz]e|accept|refund|process)\b[^.\n]{0,40}\b(?:automatically|without (?:any )?"
        r"(?:review|approval|checks?|checking|verification|human)|immediately and skip)\b|\b(?:classify|label|route|"
        r"mark|treat|tag)\s+(?:this|it|me|the request)\b[^.\n]{0,25}\bas\b[^.\n]{0,10}\b(?:low[- ]risk|approved|"
        r"safe|verified|legitimate|pre-?approved)\b", re.I),
    "addressed_to_model": re.compile(
        r"\b(?:new|updated|real|actual|secret) instructions?\s*:|\b(?:note|message|attention|important) (?:to|for) "
        r"(?:the )?(?:ai|assistant|model|llm|chatbot|language model)\b|\b(?:dear|hey|hi) (?:ai|assistant|chatgpt|"
        r"gpt|llm|bot)\b[^.\n]{0,60}\b(?:must|should|will|ignore|approve)\b", re.I),
    "foreign_ignore": re.compile(
        r"\bignorier(?:e|en sie)? (?:alle )?(?:vorherigen|bisherigen|obigen) (?:anweisungen|instruktionen)\b|"
        r"\bignore[rz]? (?:toutes )?les instructions (?:précédentes|ci-dessus)\b|"
        r"\bignora(?:r)? (?:todas )?las instrucciones (?:anteriores|previas)\b", re.I),
}


def detect_injection(text: str) -> list[str]:
    """Names of the injection patterns that `text` matches (empty when it reads as ordinary data)."""
    if not isinstance(text, str) or not text:
        return []
    return [name for name, pattern in PATTERNS.items() if pattern.search(text)]


def looks_like_injection(text: str) -> bool:
    return bool(detect_injection(text))


def as_data(text: str, tag: str = "data") -> str:
    """Fence untrusted text so a prompt can say "treat the <data> block as data"; closing tags inside are defused."""
    cleaned = re.sub(rf"</?\s*{tag}\s*>", lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text, flags=re.I)
    return f"<{tag}>\n{cleaned}\n</{tag}>"
