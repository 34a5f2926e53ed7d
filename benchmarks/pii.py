"""PII filter benchmark: per-type precision and recall of `aiwf scan`'s detector, per part of the labelled set.

Parts: dev (benchmarks/pii_cases.py, tuned on); holdout, blind, blind_2, blind_3 (benchmarks/pii_holdout.py), each
written before the detector was tuned on it. A detection counts as correct when it overlaps a labelled value of the
same type. Prints a readable table with the errors, then the figures as JSON on the last line.
Run: `python -m benchmarks.pii`; `--set blind`
scores benchmarks/pii_blind.py (per type, and hard negatives flagged).
"""

import argparse
import json
import time

from benchmarks.pii_cases import CASES
from benchmarks.pii_holdout import BLIND, BLIND_2, BLIND_3
from benchmarks.pii_holdout import CASES as HOLDOUT
from pipelines.cli.scan import scan_text
from resources.safety.pii import TYPES


def _spans(text: str, labels: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    spans = []
    for kind, value in labels:
        start = text.find(value)
        if start < 0:
            raise ValueError(f"label {value!r} is not in {text!r}")
        spans.append((kind, start, start + len(value)))
    return spans


def score(cases=CASES, detect=None) -> dict:
    """Per-type true/false positives and false negatives, with precision, recall and F1."""
    detect = detect or (lambda text: [(p["type"], p["start"], p["end"]) for p in scan_text(text)["pii"]])
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in TYPES}
    errors = []
    for text, labels in cases:
        truth, found = _spans(text, labels), detect(text)
        for kind, s, e in found:
            hit = any(k == kind and s < te and ts < e for k, ts, te in truth)
            counts[kind]["tp" if hit else "fp"] += 1
            errors += [] if hit else [("fp", kind, text[s:e], text)]
        for kind, s, e in truth:
            if not any(k == kind and fs < e and s < fe for k, fs, fe in found):
                counts[kind]["fn"] += 1
                errors.append(("fn", kind, text[s:e], text))
    for c in counts.values():
        c["precision"] = round(c["tp"] / (c["tp"] + c["fp"]), 3) if c["tp"] + c["fp"] else 1.0
        c["recall"] = round(c["tp"] / (c["tp"] + c["fn"]), 3) if c["tp"] + c["fn"] else 1.0
        c["f1"] = round(2 * c["precision"] * c["recall"] / ((c["precision"] + c["recall"]) or 1), 3)
    return {"per_type": counts, "errors": errors}


def _table(name: str, result: dict) -> None:
    print(f"== {name}")
    for kind, c in result["per_type"].items():
        print(f"{kind:8s} precision {c['precision']:.3f} recall {c['recall']:.3f}  "
              f"(tp {c['tp']} fp {c['fp']} fn {c['fn']})")
    for kind, typ, value, text in result["errors"]:
        print(f"   {kind} {typ:8s} {value!r:40s} in {text!r}"[:170])


def blind() -> dict:
    """Per-type figures on benchmarks/pii_blind.py and the share of hard negatives with anything flagged."""
    from benchmarks.pii_blind import CASES as BLIND_SET

    result = score(BLIND_SET)
    negatives = [text for text, labels in BLIND_SET if not labels]
    flagged = [text for text in negatives if scan_text(text)["pii"]]
    return {**result, "negatives": len(negatives), "negatives_flagged": flagged}


def _print_blind() -> None:
    result = blind()
    _table("blind set (benchmarks/pii_blind.py)", result)
    print(f"hard negatives flagged {len(result['negatives_flagged'])}/{result['negatives']}")
    print(json.dumps({"benchmark": "pii", "set": "blind", "per_type": {
        k: {m: c[m] for m in ("precision", "recall", "tp", "fp", "fn")} for k, c in result["per_type"].items()},
        "negatives": result["negatives"], "negatives_flagged": len(result["negatives_flagged"])}))


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--set", choices=("cases", "blind"), default="cases",
                      help="cases: dev, holdout and blind parts; blind: benchmarks/pii_blind.py")
    if args.parse_args(argv).set == "blind":
        return _print_blind()
    parts = {"dev": (CASES, score(CASES)), "holdout": (HOLDOUT, score(HOLDOUT)), "blind": (BLIND, score(BLIND)),
             "blind_2": (BLIND_2, score(BLIND_2)), "blind_3": (BLIND_3, score(BLIND_3))}
    for name, (_, result) in parts.items():
        _table(name, result)
    texts = [t for t, _ in CASES + HOLDOUT + BLIND + BLIND_2 + BLIND_3]
    started = time.perf_counter()
    for text in texts:
        scan_text(text)
    seconds = time.perf_counter() - started
    print(json.dumps({"benchmark": "pii", **{
        name: {"examples": len(cases), "negatives": sum(1 for _, labels in cases if not labels),
               "per_type": {k: {m: c[m] for m in ("precision", "recall", "tp", "fp", "fn")}
                            for k, c in result["per_type"].items()}}
        for name, (cases, result) in parts.items()},
        "ms_per_text": round(seconds / len(texts) * 1000, 3)}))


if __name__ == "__main__":
    main()
