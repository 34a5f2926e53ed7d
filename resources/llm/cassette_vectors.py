"""Embedding answers a cassette can give per text: a run batches texts differently from one replay to the next.

Recording, a step may embed ["a", "b", "c"] in one request and later find "a" in the response cache; replaying on a
fresh home, replayed answers never enter that cache (they are not real model answers), so "a" is asked alone and
its request is not in the cassette. Every vector a sealed embedding entry holds is kept by (model, options, text),
and a request whose every text is there is answered from those vectors.
"""

import json


def _options(body: dict) -> str:
    """What besides the texts decides the vectors (model, dimensions, encoding format)."""
    return json.dumps({k: v for k, v in body.items() if k != "input"}, sort_keys=True, default=str)


def _texts(body: dict) -> list | None:
    texts = body.get("input")
    texts = [texts] if isinstance(texts, str) else texts
    return texts if isinstance(texts, list) and all(isinstance(t, str) for t in texts) else None


def vectors_by_text(entries, problem) -> dict[tuple[str, str], tuple[list, float]]:
    """(options, text) -> (vector, tokens) from every embedding entry that passes `problem(entry)` (its seal and
    shape); a tampered entry contributes nothing."""
    found: dict[tuple[str, str], tuple[list, float]] = {}
    for _, entry in entries:
        request = entry.get("request") or {}
        body = request.get("body")
        if request.get("path") != "/embeddings" or not isinstance(body, dict) or problem(entry):
            continue
        texts, answer = _texts(body), entry["response"]["body"]
        data = sorted(answer.get("data") or [], key=lambda d: d.get("index", 0))
        if texts is None or len(data) != len(texts):
            continue
        tokens = ((answer.get("usage") or {}).get("prompt_tokens") or 0) / max(1, len(texts))
        for text, item in zip(texts, data):
            found[(_options(body), text)] = (item["embedding"], tokens)
    return found


def composed_answer(body, found) -> dict | None:
    """The embeddings response for `body` built from recorded vectors, or None when a text was never embedded."""
    texts = _texts(body) if isinstance(body, dict) else None
    if not texts:
        return None
    hits = [found.get((_options(body), text)) for text in texts]
    if any(hit is None for hit in hits):
        return None
    tokens = int(round(sum(hit[1] for hit in hits)))
    return {"object": "list", "model": body.get("model"),
            "data": [{"object": "embedding", "index": i, "embedding": hit[0]} for i, hit in enumerate(hits)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
