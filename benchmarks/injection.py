"""Injection screen benchmark: recall on attacks and false-positive rate on benign texts, per part of the set.

Parts (benchmarks/injection_cases.py): dev (tuned on), holdout (written before tuning), blind, blind_2 and
blind_3 (each written after the previous part had been scored and tuned on). First measurements, before any
tuning on that part: holdout recall 0.981 / FP 0.000, blind 0.567 / 0.000, blind_2 0.600 / 0.000, blind_3 0.550 /
0.000 (0.65 without the six styles it does not claim); the figures printed now include tuning on them.
Also the false-positive rate on the demo's real customer notes and briefs (the planted attack R-1026 counts as
an attack). Prints the misses, then the figures as JSON on the last line. Run: `python -m benchmarks.injection`;
`--set blind` scores benchmarks/injection_blind.py per language and encoding.
"""

import argparse
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


def blind() -> dict:
    """Recall and false positives on benchmarks/injection_blind.py, overall and per language or encoding."""
    from benchmarks.injection_blind import cases

    groups: dict[str, tuple[list[str], list[str]]] = {}
    for group, text, attack in cases():
        groups.setdefault(group, ([], []))[0 if attack else 1].append(text)
    everything = cases()
    return {"all": score([t for _, t, a in everything if a], [t for _, t, a in everything if not a]),
            **{group: score(*texts) for group, texts in groups.items()}}


def _print_blind() -> None:
    parts = blind()
    for name, r in parts.items():
        print(f"{name:20s} recall {r['recall']:.3f} ({r['attacks'] - len(r['missed'])}/{r['attacks']})  "
              f"false positives {len(r['false_positives'])}/{r['benign']}")
    for t in parts["all"]["missed"]:
        print("   missed:", repr(t)[:140])
    for t in parts["all"]["false_positives"]:
        print("   false positive:", repr(t)[:140], detect_injection(t))
    print(json.dumps({"benchmark": "injection", "set": "blind", **{
        name: {"attacks": r["attacks"], "caught": r["attacks"] - len(r["missed"]), "recall": r["recall"],
               "benign": r["benign"], "flagged": len(r["false_positives"])} for name, r in parts.items()}}))


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--set", choices=("cases", "blind"), default="cases",
                      help="cases: the tuned parts and the demo texts; blind: benchmarks/injection_blind.py")
    if args.parse_args(argv).set == "blind":
        return _print_blind()
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
