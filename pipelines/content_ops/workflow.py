"""Content ops: a solo creator's weekly content, from topic briefs to a publish-ready queue.

briefs dropped in a folder → research notes → drafts in the brand voice → verification checks
(a great-expectations suite, claims supported by the notes, links) → the tone of each draft → publish queue.
Blocking checks keep a failing draft out of the queue; an off-brand draft waits for a reviewer.
The three model steps (research notes, drafts, tone) are built by the row engine (`llm_map`): concurrent
requests, row checkpoints, a failed row quarantined while the others go on, shadow runs, canaries, Batch API mode.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.approval_gate import (
    ApprovalPolicy,
    Rule,
    contains_injection,
    contains_markup,
    failed_checks,
    send_for_approval,
)
from assets.checks.expectations import expectation_suite_check
from assets.checks.judges import FACT_CHECK, TONE_CHECK, FactCheck, ToneVerdict, link_problems, unsupported_sentences
from assets.checks.pii import pii_checks
from assets.checks.rejected_files import (
    quarantine_rejected,
    readable_files_result,
    readable_files_spec,
    rejected_metadata,
)
from assets.llm_map import llm_map
from assets.pools import LLM_POOL
from pipelines.brand import brand_voice
from pipelines.content_ops import drafting
from pipelines.content_ops import memory as cm
from pipelines.content_ops.briefs import COLUMNS as BRIEF_COLUMNS
from pipelines.content_ops.briefs import brief_day, briefs_dir, briefs_for_day
from pipelines.content_ops import tone
from pipelines.content_ops.tone import needs_review, off_brand
from pipelines.partitions import daily
from pipelines.policy import workflow_job
from pipelines.prompt_catalog import prompt_file
from resources.approvals.resource import ApprovalsResource
from resources.llm import LLMResource
from resources.memory import MemoryResource
from resources.state.resource import StateResource
from sensors.approvals import approval_for_run, approved_items_sensor
from sensors.file_drop import file_drop_sensor

GROUP = "content_ops"
# A draft that failed a non-blocking check, or whose brief carried instructions to the model or markup in its title
# (briefs are free text from outside: screened as data before anything is published).
REVIEW_POLICY = ApprovalPolicy(GROUP, [
    failed_checks(), contains_injection("title", "body"), contains_markup("title"),
    Rule("prompt-injection text in the brief", lambda item: bool(item.get("brief_injection")), "high")],
    on_approve=lambda item: f"Approving publishes the draft {item['slug']} to its day's publish queue "
                            "(publish_approved_draft_job, launched by approved_drafts_sensor).")

# A day's briefs are few: one failed row (quarantined, with the reason) must not hold up the others.
MAX_FAILURE_RATE = 0.5


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"},
          check_specs=[readable_files_spec("briefs_are_all_readable", "topic_briefs", "brief", daily)])
def topic_briefs(context: dg.AssetExecutionContext, state: StateResource):
    """Briefs dropped for this day; a brief of this day that cannot be used is quarantined with the reason
    (once, under its own day) and named by the briefs_are_all_readable warning."""
    folder = briefs_dir(state)
    rows, rejected = briefs_for_day(folder, context.partition_key)
    quarantine_rejected(context, state, workflow=GROUP, folder=folder, rejected=rejected, error_class="invalid_brief")
    frame = pd.DataFrame(rows, columns=BRIEF_COLUMNS)
    yield dg.Output(frame, metadata={"briefs": len(frame), "folder": str(folder), **rejected_metadata(rejected)})
    yield readable_files_result("briefs_are_all_readable", rejected)


research_notes = llm_map(
    "research_notes", source=topic_briefs, prompt=prompt_file("research_notes"), key_column="slug",
    text_columns=["title", "audience", "sources"], keep_columns=["title", "audience", "links", "injection"],
    tier="cheap", concurrency=8, partitions_def=daily, group_name=GROUP, max_failure_rate=MAX_FAILURE_RATE,
    output=drafting.notes_table, description="The facts of each brief's sources, extracted by the cheap model.")


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"lancedb", "openai"}, pool=LLM_POOL)
def brand_memory(context: dg.AssetExecutionContext, llm: LLMResource, memory: MemoryResource) -> dg.MaterializeResult:
    """The brand voice guide, its example copy and earlier days' published pieces, in semantic memory.
    Not a row-engine step: memory.ingest embeds every new chunk in batched requests (many texts per request) and
    skips unchanged ones, and an embedding has no prompt version to shadow or canary."""
    ai = llm.session(context)
    return dg.MaterializeResult(metadata={**cm.remember_brand(ai, memory, context.partition_key), **ai.metadata()})


drafts = llm_map(
    "drafts", source=research_notes, prompt=prompt_file("draft"), key_column="slug",
    text_columns=drafting.DRAFT_VARIABLES, keep_columns=["title", "audience", "links", "injection", "situation"],
    tier="strong", escalate_to=None, concurrency=8, partitions_def=daily, group_name=GROUP,
    max_failure_rate=MAX_FAILURE_RATE, max_input_tokens=12000, deps=[brand_memory], resources=["memory"],
    kinds=["lancedb"], prepare=lambda notes, step: drafting.draft_inputs(notes, step, brand_voice()),
    output=drafting.draft_table, after=drafting.remember_drafts,
    description="A draft per brief in the brand voice by the strong model; the source links are appended, not "
                "generated. Voice examples, past pieces and reviewers' corrections come from memory; each draft is "
                "remembered. Drafts do not depend on each other (pipelines/content_ops/drafting.py): concurrent.")


def drafts_suite() -> list:
    """Drafts table: required columns present and filled, sensible lengths, one draft per slug."""
    import great_expectations as gx

    ex = gx.expectations
    return [
        ex.ExpectTableColumnsToMatchSet(column_set=["slug", "title", "body", "word_count", "model", "prompt",
                                                    "offline"], exact_match=False),
        *[ex.ExpectColumnValuesToNotBeNull(column=c) for c in ("slug", "title", "body")],
        ex.ExpectColumnValuesToBeUnique(column="slug"),
        ex.ExpectColumnValueLengthsToBeBetween(column="title", min_value=5, max_value=120),
        ex.ExpectColumnValuesToBeBetween(column="word_count", min_value=30, max_value=1500),
        ex.ExpectColumnValuesToMatchRegex(column="slug", regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
    ]


drafts_match_expectations = expectation_suite_check(
    name="drafts_match_expectations", asset=drafts, suite=drafts_suite, partitions_def=daily)


@dg.asset_check(asset=drafts, blocking=True, partitions_def=daily, pool=LLM_POOL,
                additional_ins={"research_notes": dg.AssetIn("research_notes")})
def drafts_claims_are_supported(context: dg.AssetCheckExecutionContext, llm: LLMResource, memory: MemoryResource,
                                drafts: pd.DataFrame, research_notes: pd.DataFrame) -> dg.AssetCheckResult:
    """Every sentence is backed by the research notes (lexically) and a model judge finds no unsupported claim."""
    ai, failures = llm.session(context), {}
    notes = dict(zip(research_notes.slug, research_notes.notes))
    for d in drafts.itertuples():
        body = d.body.split("\n\nSources:")[0]
        lexical = unsupported_sentences(body, notes.get(d.slug, ""))
        verdict = ai.complete(FACT_CHECK, {"sources": notes.get(d.slug, ""), "text": body},
                              response_model=FactCheck).parsed
        if lexical or not verdict.all_claims_supported:
            failures[d.slug] = {"unsupported_sentences": lexical[:5],
                                "judge": verdict.unsupported_claims[:5] if not verdict.all_claims_supported else []}
    cm.record_check(ai, memory, context, "drafts_claims_are_supported", drafts.slug, failures)
    return dg.AssetCheckResult(passed=not failures, metadata={**ai.metadata(), "failing_drafts": len(failures),
                                                              "failures": dg.MetadataValue.json(failures)})


@dg.asset_check(asset=drafts, blocking=True, partitions_def=daily,
                additional_ins={"research_notes": dg.AssetIn("research_notes")})
def drafts_have_no_broken_links(drafts: pd.DataFrame, research_notes: pd.DataFrame) -> dg.AssetCheckResult:
    """Every link comes from the brief's sources (and answers, with AIWF_LINK_CHECK=http)."""
    allowed = dict(zip(research_notes.slug, research_notes.links))
    failures = {d.slug: p for d in drafts.itertuples() if (p := link_problems(d.body, set(allowed.get(d.slug, []))))}
    return dg.AssetCheckResult(passed=not failures, metadata={"failures": dg.MetadataValue.json(failures)})


draft_tone = llm_map(
    "draft_tone", source=drafts, prompt=TONE_CHECK, response_model=ToneVerdict, key_column="slug",
    variables=tone.tone_variables, keep_columns=["title", "body"], tier="cheap", concurrency=8, partitions_def=daily,
    group_name=GROUP, max_failure_rate=MAX_FAILURE_RATE, max_input_tokens=12000, resources=["memory"],
    prepare=lambda frame, step: tone.tone_inputs(frame, step, brand_voice()),
    output=lambda answered, step: tone.tone_table(answered, brand_voice()),
    after=lambda answered, table, step: tone.remember_tone(table, step),
    description="Each draft judged against the brand voice (banned phrases, then a model judge), as the table that "
                "publish_queue routes by; each outcome is also remembered next to the draft's decision.")


@dg.asset_check(asset=draft_tone, blocking=False, partitions_def=daily)
def drafts_match_brand_tone(draft_tone: pd.DataFrame) -> dg.AssetCheckResult:
    """Every draft on brand, as draft_tone judged it (no model call); a warning, because publish_queue
    already holds off-brand drafts for review."""
    failures = off_brand(draft_tone)
    return dg.AssetCheckResult(passed=not failures, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"failing_drafts": len(failures), "failures": dg.MetadataValue.json(failures)})


@dg.asset(partitions_def=daily, group_name=GROUP, kinds={"pandas"})
def publish_queue(context: dg.AssetExecutionContext, approvals: ApprovalsResource, state: StateResource,
                  drafts: pd.DataFrame, draft_tone: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Verified drafts as Markdown files ready to publish; a draft not judged on brand in draft_tone waits for
    a human (REVIEW_POLICY). The verdict is an input, so no executor, selection or retry can skip it."""
    held = needs_review(drafts, draft_tone)
    items = drafts.assign(failed_checks=[["drafts_match_brand_tone"] if s in held else [] for s in drafts.slug])
    gate = send_for_approval(context, approvals, REVIEW_POLICY, items, key="slug", output="body",
                             evidence=lambda row: {"tone": held.get(row["slug"]), "model": row["model"]})
    bodies = {**dict(zip(drafts.slug, drafts.body)),  # a reviewer's edit wins over the model's draft
              **{a.item_key: a.output for a in gate.decided if a.approved}}
    ready = drafts[drafts.slug.isin(gate.passed_keys + [a.item_key for a in gate.decided if a.approved])]
    folder = state.path("publish_queue", context.partition_key)
    for old in folder.glob("*.md"):
        old.unlink()
    for d in ready.itertuples():
        write_publishable(folder, d.slug, d.title, bodies[d.slug])
    queue = ready[["slug", "title", "model", "prompt", "offline"]].assign(path=[str(folder / f"{s}.md")
                                                                               for s in ready.slug])
    return dg.Output(queue, metadata={**gate.metadata(), "ready": len(queue),
                                      "folder": dg.MetadataValue.path(str(folder)),
                                      "offline": bool(drafts.offline.any()) if len(drafts) else False})


def write_publishable(folder: Path, slug: str, title: str, body: str) -> Path:
    path = folder / f"{slug}.md"
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
    return path


@dg.op(description="Write a draft a reviewer approved (with their edits) into its day's publish queue.")
def publish_approved_draft(context: dg.OpExecutionContext, approvals: ApprovalsResource,
                           state: StateResource) -> None:
    approval = approval_for_run(context, approvals)
    title = approval.item_key.replace("-", " ").capitalize()
    path = write_publishable(state.path("publish_queue", approval.partition_key or "unpartitioned"),
                             approval.item_key, title, str(approval.output))
    context.log.info(f"published {path} after approval {approval.id} by {approval.decided_by}")


@dg.job(description="Publish one approved draft; launched by content_ops_approved_items_sensor.")
def publish_approved_draft_job():
    publish_approved_draft()


content_ops_job = workflow_job("content_ops_job", dg.AssetSelection.groups(GROUP),
                               "Briefs to a verified publish queue for one day.", partitions_def=daily)
new_brief_sensor = file_drop_sensor("new_brief_sensor", folder=briefs_dir, job=content_ops_job,
                                    first_asset=topic_briefs.key, suffixes=(".md",), day_of=brief_day)
approved_drafts_sensor = approved_items_sensor(GROUP, publish_approved_draft_job,
                                               name="approved_drafts_sensor")
daily_drafts_6am = dg.build_schedule_from_partitioned_job(content_ops_job, hour_of_day=6,
                                                          name="daily_drafts_6am")

assets = [topic_briefs, research_notes, brand_memory, drafts, draft_tone, publish_queue]
asset_checks = [drafts_match_expectations, drafts_claims_are_supported, drafts_have_no_broken_links,
                drafts_match_brand_tone, *pii_checks("drafts", ["title", "body"], key="slug", partitions_def=daily)]
jobs = [content_ops_job, publish_approved_draft_job]
schedules = [daily_drafts_6am]
sensors = [new_brief_sensor, approved_drafts_sensor]
