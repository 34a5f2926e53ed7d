"""The row hooks of content ops' model steps on the row engine (assets/llm_map/step.py): what each brief is
asked with, and how the answers become the research_notes and drafts tables.

Drafts do not depend on each other: a draft's examples are past pieces of earlier days (searched `as_of` the
day), brand examples and reviewers' corrections, never another draft of the same day, so the day's drafts are
answered concurrently.
"""

import pandas as pd

from pipelines.content_ops import memory as cm

NOTES_COLUMNS = ["slug", "title", "audience", "notes", "links", "injection"]
DRAFT_COLUMNS = ["slug", "title", "body", "word_count", "model", "prompt", "offline", "brief_injection"]
DRAFT_VARIABLES = ["title", "audience", "voice", "examples", "corrections", "notes"]


def notes_table(answered: pd.DataFrame, step) -> pd.DataFrame:
    """research_notes: each brief's fields with the facts the model extracted as `notes`."""
    return answered.rename(columns={"text": "notes"})[NOTES_COLUMNS].reset_index(drop=True)


def draft_inputs(notes: pd.DataFrame, step, voice: dict) -> pd.DataFrame:
    """Each brief's notes with what the writer is also shown: the voice guide, the nearest examples of the voice
    and reviewers' corrections, looked up in memory after one batched embedding of the briefs."""
    ai, memory = step.session, step.resources.memory
    situations = [cm.situation(t, a) for t, a in zip(notes.title, notes.audience)]
    cm.prefetch_embeddings(ai, situations)
    return notes.assign(
        situation=situations, voice=voice["guide"],
        examples=[cm.voice_examples(ai, memory, s, step.partition) for s in situations],
        corrections=[cm.corrections(ai, memory, slug, s) for slug, s in zip(notes.slug, situations)])


def draft_table(answered: pd.DataFrame, step) -> pd.DataFrame:
    """drafts: the model's article with the brief's source links appended (never generated), and provenance."""
    rows = []
    for d in answered.itertuples():
        sources = "\n".join(f"- {link}" for link in (d.links if d.links is not None else []))
        rows.append({"slug": d.slug, "title": d.title, "body": f"{d.text}\n\nSources:\n{sources}",
                     "word_count": len(d.text.split()), "model": d.llm_model, "prompt": f"draft@{d.prompt_version}",
                     "offline": bool(d.llm_offline), "brief_injection": d.injection or ""})
    return pd.DataFrame(rows, columns=DRAFT_COLUMNS)


def remember_drafts(answered: pd.DataFrame, table: pd.DataFrame, step) -> dict:
    """Each draft decision in episodic memory: the brief it answered, what was written, by which model and prompt."""
    for d in answered.itertuples():
        cm.record_draft(step.session, step.resources.memory, step.context, d.slug, d.situation, d.text,
                        d.llm_model, f"draft@{d.prompt_version}", step.input_hashes.get(d.slug))
    return {"drafts_remembered": len(answered)}
