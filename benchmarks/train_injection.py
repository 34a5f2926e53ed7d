"""Train the learned injection screen and write resources/safety/injection_model.npz (numpy only, no network).

Logistic regression on hashed features (resources/safety/injection_model.features), full-batch Adam with L2,
each (group, label) weighted equally (real cases triple, software messages half) so a language with many composed attacks does not learn "this language is
an attack". The threshold is chosen on rows built from held-out clauses (phrasings the model
never saw; benign false positives at most `--fp`), then the model is refit on everything. Prints the validation figures as JSON.
Run: `python -m benchmarks.train_injection`.
"""

import argparse
import json
import random
import zlib

import numpy as np

from benchmarks.injection_corpus import corpus
from benchmarks.injection_lexicon_corpus import LEXICON, MORE_BENIGN
from resources.safety import injection_model as im


def _matrix(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [im.features(t) for t in texts]
    lengths = np.array([len(r) for r in rows])
    return np.concatenate(rows), np.repeat(np.arange(len(rows)), lengths), 1 / np.sqrt(np.maximum(lengths, 1))


def fit(texts: list[str], labels: np.ndarray, weights: np.ndarray, epochs: int = 600, l2: float = 1e-5,
        rate: float = 0.1) -> tuple[np.ndarray, float]:
    """Weights and bias minimising weighted log loss with L2, by full-batch Adam over sparse rows."""
    idx, row, scale = _matrix(texts)
    w, b = np.zeros(1 << im.BITS, dtype=np.float64), 0.0
    m, v, mb, vb = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
    weights = weights / weights.sum()
    for step in range(1, epochs + 1):
        z = np.bincount(row, weights=w[idx], minlength=len(texts)) * scale + b
        err = (1 / (1 + np.exp(-z)) - labels) * weights
        g = np.bincount(idx, weights=(err * scale)[row], minlength=len(w)) + l2 * w
        gb = err.sum()
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        mb, vb = 0.9 * mb + 0.1 * gb, 0.999 * vb + 0.001 * gb * gb
        w -= rate * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        b -= rate * (mb / (1 - 0.9 ** step)) / (np.sqrt(vb / (1 - 0.999 ** step)) + 1e-8)
    return w, b


def _weights(rows: list[tuple[str, int, str]]) -> np.ndarray:
    counts: dict[tuple[str, int], int] = {}
    for _, label, group in rows:
        counts[(group, label)] = counts.get((group, label), 0) + 1
    # Hand-written real cases count triple; software messages half (background, not customer text).
    background = {group: 3.0 if group in ("cases", "demo") else 0.5 if group.startswith("catalogue:") else 1.0
                  for _, _, group in rows}
    return np.array([background[group] / counts[(group, label)] for _, label, group in rows])


def _windowed(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Benign texts become their sentence windows (every window of a benign text is benign), the unit the
    screen scores; an attack stays whole (only some of its windows need be instructions)."""
    return [(w, 0, g) for t, label, g in rows if not label for w in im.windows(t)] + [r for r in rows if r[1]]


def _scores(w: np.ndarray, b: float, texts: list[str]) -> np.ndarray:
    """Each text's highest window score, as the screen computes it."""
    spans, windows = [], []
    for t in texts:
        ws = im.windows(t)
        spans.append((len(windows), len(windows) + len(ws)))
        windows += ws
    idx, row, scale = _matrix(windows)
    z = np.bincount(row, weights=w[idx], minlength=len(windows)) * scale + b
    p = 1 / (1 + np.exp(-z))
    return np.array([p[a:e].max() for a, e in spans])


def _held_out_split(rows: list[tuple[str, int, str]]) -> tuple[list, list]:
    """(train, valid): every row built from a held-out clause (a quarter of each language's clauses) is in
    `valid`, so the threshold is set on phrasings the model never saw, like the blind sets; other rows split
    80/20 at random."""
    clauses = [c.strip().lower() for lang in LEXICON for v in (*LEXICON[lang].values(), MORE_BENIGN[lang])
               for c in v.split("|") if c.strip()]
    held = [c for c in clauses if zlib.crc32(c.encode()) % 4 == 0 and len(c) > 8]
    rng, train, valid = random.Random(11), [], []
    for row in rows:
        text = row[0].lower()
        (valid if any(c in text for c in held) or rng.random() < 0.2 else train).append(row)
    return train, valid


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--fp", type=float, default=0.02, help="largest benign false-positive rate on validation")
    args.add_argument("--out", default=str(im.WEIGHTS))
    opts = args.parse_args(argv)
    rows = corpus()
    train, valid = _held_out_split(rows)
    train = _windowed(train)
    w, b = fit([t for t, _, _ in train], np.array([l for _, l, _ in train], dtype=float), _weights(train))
    s = _scores(w, b, [t for t, _, _ in valid])
    labels = np.array([l for _, l, _ in valid])
    benign = np.sort(s[labels == 0])[::-1]
    threshold = float(benign[int(opts.fp * len(benign))]) + 1e-6
    report = {"train": len(train), "valid": len(valid), "threshold": round(threshold, 4),
              "valid_recall": round(float((s[labels == 1] >= threshold).mean()), 3),
              "valid_fp": round(float((s[labels == 0] >= threshold).mean()), 3)}
    rows = _windowed(rows)
    w, b = fit([t for t, _, _ in rows], np.array([l for _, l, _ in rows], dtype=float), _weights(rows))
    np.savez_compressed(opts.out, weights=w.astype(np.float16), bias=np.float32(b), threshold=np.float32(threshold))
    im._model.cache_clear()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
