"""Memory at work in content ops: brand-voice examples and past pieces for drafting and the tone check,
each draft decision and its check outcomes remembered, and reviewers' corrections brought back next time.

Retrieval is reproducible, so a re-run sends the same prompts and is answered from the cache: the brand
collection only changes when its sample files do, and past pieces are searched `as_of` the partition's day
(a piece published for day D becomes valid at the end of D), so a day never sees pieces written after it.
"""

import datetime as dt
import re
from pathlib import Path

from pipelines.brand import brand_examples, brand_voice
from resources.memory import Document, Hit, MemoryResource, MissingTable
from resources.state.resource import state_of

BRAND, PAST = "brand_voice", "past_pieces"
WORKFLOW = "content_ops"


def situation(title: str, audience: str) -> str:
    """How a brief is described to memory: the query for examples and the text of its decision episode."""
    return f"{title}. For {audience}."


def prefetch_embeddings(ai, texts: list[str]) -> None:
    """One batched embedding request for a step's queries; the searches after it are cache hits."""
    if texts:
        ai.embed(texts)


def day_start(partition_key: str) -> dt.datetime:
    return dt.datetime.fromisoformat(partition_key).replace(tzinfo=dt.timezone.utc)


def brand_documents() -> list[Document]:
    """The voice guide and the brand's example copy, as documents that never expire."""
    voice = brand_voice()
    docs = [Document("brand_voice/guide", voice["guide"], tags=["guide"])]
    examples = brand_examples()
    docs += [Document(f"brand_voice/example-{i}", ex["text"], tags=["example", ex.get("category", "any")])
             for i, ex in enumerate(examples)]
    return docs


def past_piece_documents(publish_queue: Path, before_day: str) -> list[Document]:
    """Published pieces of the days before `before_day`, valid from the end of their day."""
    docs = []
    for folder in sorted(publish_queue.iterdir()):
        if not folder.is_dir() or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", folder.name) or folder.name >= before_day:
            continue
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8").split("\n\nSources:")[0]
            if text.strip():
                docs.append(Document(f"publish_queue/{folder.name}/{path.stem}", text, tags=["past_piece"],
                                     valid_from=day_start(folder.name) + dt.timedelta(days=1)))
    return docs


def remember_brand(ai, memory: MemoryResource, partition_key: str) -> dict:
    """Ingest the brand collection and the past pieces this day may learn from; unchanged ones cost nothing."""
    brand = memory.ingest(ai, brand_documents(), collection=BRAND)
    past = past_piece_documents(state_of(memory).path("publish_queue"), partition_key)
    pieces = memory.ingest(ai, past, collection=PAST) if past else {"chunks_written": 0, "unchanged": 0}
    return {"brand_chunks_written": brand["chunks_written"], "brand_unchanged": brand["unchanged"],
            "past_pieces": len(past), "past_chunks_written": pieces["chunks_written"]}


def _search(ai, memory, query, collection, k, **kw) -> list[Hit]:
    try:
        hits = memory.search(ai, query, collection=collection, k=k, mode="hybrid", **kw)
    except MissingTable:  # nothing remembered yet (first day)
        return []
    return sorted(hits, key=lambda h: (-round(h.score, 6), h.source, h.chunk))


def _quote(text: str, limit: int = 320) -> str:
    """One line, clipped: examples go in the instruction part of a prompt and must not look like a separator."""
    line = " ".join(text.split()).replace("---", "-")
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " ..."


def voice_examples(ai, memory: MemoryResource, query: str, partition_key: str, k: int = 2) -> str:
    """Brand examples and past pieces nearest the query, as quoted lines (style only, not facts)."""
    hits = _search(ai, memory, query, BRAND, k, tags=["example"])
    hits += _search(ai, memory, query, PAST, k, as_of=day_start(partition_key))
    return "\n".join(f"> {_quote(h.text)}" for h in hits) or "(none yet)"


def corrections(ai, memory: MemoryResource, slug: str, query: str, k: int = 2) -> str:
    """What reviewers changed before, for this piece and for similar ones, newest first."""
    found = memory.episodes(workflow=WORKFLOW, item_key=slug, kinds=["correction"], limit=k)
    if found or memory.episodes(workflow=WORKFLOW, kinds=["correction"], limit=1):
        seen = {e["id"] for e in found}
        found += [e for e in memory.similar_episodes(ai, query, k=k, workflow=WORKFLOW, kinds=["correction"])
                  if e["id"] not in seen]
    return "\n".join(f"> {e['item_key']}: {_quote(e.get('reason') or 'edited', 120)}; reviewer's version: "
                     f"{_quote(str(e['correction']), 200)}" for e in found[:k]) or "(none)"


def record_draft(ai, memory: MemoryResource, context, slug: str, situation: str, text: str, model: str,
                 prompt_ref: str, input_hash: str | None) -> str:
    """An episode for one draft: the brief it answered, what was written, by which model and prompt."""
    return memory.record_decision(
        ai, workflow=WORKFLOW, item_key=slug, text=situation, output=text, asset_key="drafts",
        partition_key=context.partition_key, run_id=context.run_id, input_hash=input_hash, model=model,
        prompt_version=prompt_ref)


def partition_of(context) -> str | None:
    """The partition of an asset or check context (a check's context keeps it on its op context)."""
    op = getattr(context, "op_execution_context", context)
    return op.partition_key if op.has_partition_key else None


def record_check(ai, memory: MemoryResource, context, check: str, slugs, failures: dict) -> None:
    """Each draft's outcome of one check, next to its decision in episodic memory. Best effort: a memory
    failure is logged and never changes the check's verdict."""
    op = getattr(context, "op_execution_context", context)
    try:
        for slug in slugs:
            memory.record_checks(workflow=WORKFLOW, item_key=slug, check=check, passed=slug not in failures,
                                 details=failures.get(slug), asset_key="drafts",
                                 partition_key=partition_of(context), run_id=op.run_id, ai=ai)
    except Exception as exc:  # noqa: BLE001 - the check result matters more than its memory
        context.log.warning(f"{check}: outcomes not written to episodic memory: {exc!r}")
