"""`aiwf scan`: screen texts for PII and prompt injection, one JSON string per stdin line, one JSON object out.

Each output line is `{"redacted": str, "pii": [{"type", "start", "end"}], "injection": bool, "reasons": [str]}`,
offsets into the original string; a line that is not a JSON string gets `{"error": ...}` and the scan goes on.
This is the same detector the LLM resource's redaction and the PII/injection checks use
(resources/safety/pii.py, resources/safety/injection.py).
"""

import json
import sys


def scan_text(text: str) -> dict:
    """The scan result for one text."""
    from resources.safety.injection import detect_injection
    from resources.safety.pii import redact

    redacted, findings = redact(text)
    reasons = detect_injection(text)
    return {"redacted": redacted, "pii": [{"type": f.type, "start": f.start, "end": f.end} for f in findings],
            "injection": bool(reasons), "reasons": reasons}


def scan_line(line: str) -> dict:
    """One stdin line in, one result (or an error object) out."""
    try:
        text = json.loads(line)
    except ValueError as exc:
        return {"error": f"not JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(text, str):
        return {"error": f"expected a JSON string, got {type(text).__name__}"}
    return scan_text(text)


def _run(args) -> int:
    for line in sys.stdin:
        print(json.dumps(scan_line(line.rstrip("\r\n"))), flush=True)
    return 0


def add_cli(sub) -> None:
    p = sub.add_parser("scan", help="PII and prompt-injection scan of JSON strings on stdin, one JSON object per line")
    p.set_defaults(func=_run)
