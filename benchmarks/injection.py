"""Injection screen benchmark: recall on attacks and false-positive rate on benign texts, per part of the set.

Parts (benchmarks/injection_cases.py): dev (tuned on), holdout (written before tuning), blind, blind_2 and
blind_3 (each written after the previous part had been scored and tuned on). First measurements, before any
tuning on that part: holdout recall 0.981 / FP 0.000, blind 0.567 / 0.000, blind_2 0.600 / 0.000, blind_3 0.550 /
0.000 (0.65 without the six styles it does not claim); the figures printed now include tuning on them.
Also the false-positive rate on the demo's real customer notes and briefs (the planted attack R-1026 counts as
an attack). Prints the misses, then the figures as JSON on the last line. Run: `python -m benchmarks.injection`.
"""

import json
import time

from benchmarks.injection_cases import demo_texts, split
from resources.safety.injection import detect_injection

PARTS = ("dev", "holdout", "blind", "blind_2", "blind_3")


def score(attacks: list[str], benign: list[str]) -> dict:
    """Recall over `attacks`, false-positive rate over `benign`, and the texts each got wrong."""
    missed = [t for t in attacks if not detect_injection(t)]
    flagged = [t for t in benign if detect_injection(t)]
    return {"attacks": len(attacks), "benign": len(benign),
            "recall": round(1 - len(missed) / len(attacks), 3) if attacks else 1.0,
            "false_positive_rate": round(len(flagged) / len(benign), 3) if benign else 0.0,
            "missed": missed, "false_positives": flagged}


def main() -> None:
    parts = {part: score(*split(part)) for part in PARTS}
    demo = demo_texts()
    parts["demo"] = score([t for _, t, attack in demo if attack], [t for _, t, attack in demo if not attack])
    texts = [t for part in PARTS for group in split(part) for t in group] + [t for _, t, _ in demo]
    started = time.perf_counter()
    for text in texts:
        detect_injection(text)
    per_text_ms = (time.perf_counter() - started) / len(texts) * 1000
    for name, r in parts.items():
        print(f"{name:8s} recall {r['recall']:.3f} ({r['attacks']} attacks)  "
              f"false positives {r['false_positive_rate']:.3f} ({r['benign']} benign)")
        for t in r["missed"]:
            print("   missed:", repr(t)[:140])
        for t in r["false_positives"]:
            print("   false positive:", repr(t)[:140], detect_injection(t))
    print(json.dumps({"benchmark": "injection", "ms_per_text": round(per_text_ms, 3),
                      **{name: {k: v for k, v in r.items() if k not in ("missed", "false_positives")}
                         for name, r in parts.items()}}))


if __name__ == "__main__":
    main()
