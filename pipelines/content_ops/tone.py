"""The brand-tone verdict on each draft, kept as a table. publish_queue takes it as an input: Dagster orders a
step after its inputs and after blocking checks only, so a non-blocking check's result would not reliably be
there when the queue is written (multiprocess or Celery steps, a queue materialized alone, a retry)."""

import hashlib

import pandas as pd

from assets.checks.judges import banned_phrases_found
from pipelines.content_ops import memory as cm

COLUMNS = ["slug", "on_brand", "score", "banned_phrases", "issues", "body_hash"]


def body_hash(body: str) -> str:
    """Which text a verdict is about, so a verdict on an older draft never clears a newer one."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def tone_inputs(drafts: pd.DataFrame, step, voice: dict) -> pd.DataFrame:
    """Each draft with the voice the judge is shown: the guide and the nearest examples of the voice (memory)."""
    ai, memory = step.session, step.resources.memory
    return drafts.assign(voice=[f"{voice['guide']}\n\nExamples of the voice:\n"
                                f"{cm.voice_examples(ai, memory, title, step.partition)}" for title in drafts.title])


def tone_variables(row: dict) -> dict:
    return {"voice": row["voice"], "text": row["body"]}


def tone_table(answered: pd.DataFrame, voice: dict) -> pd.DataFrame:
    """The verdicts: a draft is on brand when it has no banned phrase and the judge says so with at least the
    voice's minimum score. A draft whose judge call failed is quarantined and has no row (publish_queue holds it)."""
    rows = []
    for d in answered.itertuples():
        banned = banned_phrases_found(d.body, voice["banned_phrases"])
        rows.append({"slug": d.slug, "score": d.score, "banned_phrases": banned, "issues": list(d.issues)[:3],
                     "on_brand": not banned and bool(d.on_brand) and d.score >= voice["min_tone_score"],
                     "body_hash": body_hash(d.body)})
    return pd.DataFrame(rows, columns=COLUMNS)


def remember_tone(table: pd.DataFrame, step) -> dict:
    """Each outcome next to its draft's decision in episodic memory; the count of off-brand drafts."""
    failures = off_brand(table)
    cm.record_check(step.session, step.resources.memory, step.context, "drafts_match_brand_tone", table.slug,
                    failures)
    return {"off_brand": len(failures)}


def off_brand(tone: pd.DataFrame) -> dict:
    """slug -> why it is off brand (banned phrases, score, the judge's issues), as reviewers and the check see it."""
    return {t.slug: {"banned_phrases": list(t.banned_phrases), "score": float(t.score), "issues": list(t.issues)}
            for t in tone.itertuples() if not t.on_brand}


def needs_review(drafts: pd.DataFrame, tone: pd.DataFrame) -> dict:
    """slug -> tone evidence for each draft that must wait for a human: judged off brand, or with no verdict on
    its current text (draft_tone missing or older than the draft), which fails closed."""
    judged = dict(zip(tone.slug, tone.body_hash))
    unjudged = {"verdict": "no tone verdict for this text: draft_tone is missing or older than the draft"}
    return {**{d.slug: unjudged for d in drafts.itertuples() if judged.get(d.slug) != body_hash(d.body)},
            **{s: why for s, why in off_brand(tone).items() if s in set(drafts.slug)}}
