"""A small learned injection screen: hashed character n-grams and words, logistic regression, numpy only.

Phrase patterns name what they know and miss new phrasings; this model scores how instruction-like a sentence is
from its character n-grams, so a verb it never saw next to "the rules you were given" in Czech or Korean still
counts. Weights (resources/safety/injection_model.npz, float16, built by `python -m benchmarks.train_injection`
from benchmarks/injection_corpus.py, never from the blind sets) are loaded on first use, not at import. A text is
scored sentence by sentence (and pairs of neighbours), so one planted sentence in a long brief is not diluted.
"""

import functools
import re
import zlib
from pathlib import Path

import numpy as np

from resources.safety.normalize import fold

WEIGHTS = Path(__file__).with_name("injection_model.npz")
BITS = 17
NGRAMS = (1, 2, 3, 4, 5)
_MIX = np.uint64(0x100000001B3)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*|\n+")
_WORD = re.compile(r"\w+")
MAX_WINDOWS = 400
MIN_CHARS = 16
MIN_LETTERS = 8


def features(text: str) -> np.ndarray:
    """Sorted unique hashed feature indices of one (already short) text: character 1-5-grams of the folded text
    with word-boundary spaces, digits read as 0, plus words and word pairs."""
    folded = " " + re.sub(r"\d", "0", fold(text)).strip() + " "
    cps = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    for n in NGRAMS:
        if len(cps) < n:
            continue
        h = np.full(len(cps) - n + 1, np.uint64(n * 0x9E3779B97F4A7C15 % 2**64))
        for i in range(n):
            h = (h ^ cps[i:len(cps) - n + 1 + i]) * _MIX
        parts.append(h >> np.uint64(64 - BITS))
    words = _WORD.findall(folded)
    tokens = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    parts.append(np.array([zlib.crc32(t.encode()) & ((1 << BITS) - 1) for t in tokens], dtype=np.uint64))
    return np.unique(np.concatenate(parts).astype(np.int64))


def windows(text: str) -> list[str]:
    """Sentences of `text` and pairs of neighbouring sentences, the unit the model was trained on."""
    sentences: list[str] = []
    for piece in _SENTENCE.split(text):
        if piece and piece.strip():
            if sentences and len(sentences[-1]) < MIN_CHARS:
                sentences[-1] += " " + piece  # too short to judge alone ("A:", "P.S.")
            else:
                sentences.append(piece)
    if len(sentences) > 1 and len(sentences[-1]) < MIN_CHARS:
        sentences[-2:] = [" ".join(sentences[-2:])]
    if len(sentences) <= 1:
        return [text]
    pairs = [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]
    return (sentences + pairs)[:MAX_WINDOWS]


@functools.cache
def _model() -> tuple[np.ndarray, float, float]:
    with np.load(WEIGHTS) as data:
        return data["weights"].astype(np.float32), float(data["bias"]), float(data["threshold"])


def score(text: str) -> float:
    """Probability-like score in [0, 1] that one short text is an instruction to the model."""
    weights, bias, _ = _model()
    idx = features(text)
    z = bias + float(weights[idx].sum()) / np.sqrt(max(len(idx), 1))
    return float(1 / (1 + np.exp(-z)))


def max_score(text: str) -> float:
    """The highest score over the text's sentence windows; windows with too few letters to read as an
    instruction (a price, an id, "A.") are not scored."""
    return max((score(w) for w in windows(text) if sum(ch.isalpha() for ch in w) >= MIN_LETTERS), default=0.0)


def is_instruction(text: str) -> bool:
    """Whether any sentence window of `text` scores at or above the shipped threshold."""
    return max_score(text) >= _model()[2]
