"""PII filter benchmark: precision and recall per type on the labelled set in benchmarks/pii_cases.py.

A detection counts as correct when it overlaps a labelled value of the same type; injection is scored per text.
Prints a readable table, then the figures as JSON on the last line. Run: `python -m benchmarks.pii`.
"""

import json
import time

from benchmarks.pii_cases import CASES
from resources.safety.pii import TYPES, detect_injection, find


def _spans(text: str, labels: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    spans = []
    for kind, value in labels:
        if kind == "injection":
            continue
        start = text.find(value)
        if start < 0:
            raise ValueError(f"label {value!r} is not in {text!r}")
        spans.append((kind, start, start + len(value)))
    return spans


def score(cases=CASES) -> dict:
    """Per-type true/false positives and false negatives, with precision, recall and F1."""
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in (*TYPES, "injection")}
    misses = []
    for text, labels in cases:
        truth = _spans(text, labels)
        found = find(text)
        for f in found:
            hit = any(k == f.type and f.start < e and s < f.end for k, s, e in truth)
            counts[f.type]["tp" if hit else "fp"] += 1
            if not hit:
                misses.append(("fp", f.type, text[f.start:f.end]))
        for kind, s, e in truth:
            if not any(f.type == kind and f.start < e and s < f.end for f in found):
                counts[kind]["fn"] += 1
                misses.append(("fn", kind, text[s:e]))
        is_attack, flagged = any(k == "injection" for k, _ in labels), bool(detect_injection(text))
        key = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get((is_attack, flagged))
        if key:
            counts["injection"][key] += 1
            misses += [(key, "injection", text)] if key != "tp" else []
    for c in counts.values():
        c["precision"] = round(c["tp"] / (c["tp"] + c["fp"]), 3) if c["tp"] + c["fp"] else 1.0
        c["recall"] = round(c["tp"] / (c["tp"] + c["fn"]), 3) if c["tp"] + c["fn"] else 1.0
        c["f1"] = round(2 * c["precision"] * c["recall"] / ((c["precision"] + c["recall"]) or 1), 3)
    return {"per_type": counts, "errors": misses}


def main() -> None:
    result = score()
    started, rounds = time.perf_counter(), 20
    for _ in range(rounds):
        for text, _ in CASES:
            find(text)
    seconds = time.perf_counter() - started
    chars = rounds * sum(len(t) for t, _ in CASES)
    for kind, c in result["per_type"].items():
        print(f"{kind:10s} precision {c['precision']:.3f} recall {c['recall']:.3f}  "
              f"(tp {c['tp']} fp {c['fp']} fn {c['fn']})")
    for err in result["errors"]:
        print("  ", *err)
    print(json.dumps({
        "benchmark": "pii", "examples": len(CASES),
        "positives": sum(1 for _, labels in CASES if labels), "negatives": sum(1 for _, labels in CASES if not labels),
        "per_type": {k: {m: c[m] for m in ("precision", "recall", "f1", "tp", "fp", "fn")}
                     for k, c in result["per_type"].items()},
        "throughput_chars_per_s": round(chars / seconds),
    }))


if __name__ == "__main__":
    main()
