"""The one Definitions: the names users rely on, the shared pool on every model call, and no I/O when it loads."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.pools import LLM_POOL

ROOT = Path(__file__).resolve().parents[2]

JOBS = {"content_ops_job", "publish_approved_draft_job", "catalog_job", "returns_triage_job", "returns_redrive_job",
        "memory_maintenance_job", "order_recovery_job", "resume_recovery_job", "returns_refund_job",
        "workflow_health_job", "shadow_run_job"}
SCHEDULES = {  # schedule -> the job it runs
    "daily_drafts_6am": "content_ops_job",
    "daily_catalog_sync_7am": "catalog_job",
    "memory_maintenance_nightly": "memory_maintenance_job",
    "daily_order_recovery_8am": "order_recovery_job",
    "workflow_health_nightly": "workflow_health_job",
}
SENSORS = {  # sensor -> the jobs it launches (none: it acts on every workflow's runs)
    "new_brief_sensor": {"content_ops_job"},
    "approved_drafts_sensor": {"publish_approved_draft_job"},
    "returns_csv_drop_sensor": {"returns_triage_job"},
    "returns_parquet_drop_sensor": {"returns_triage_job"},
    "order_files_drop_sensor": {"order_recovery_job"},
    "approved_recovery_steps_sensor": {"resume_recovery_job"},
    "approved_return_refunds_sensor": {"returns_refund_job"},
    "run_watchdog_sensor": set(),
    "finished_runs_audit_sensor": set(),
    "run_cost_sensor": set(),
    "run_traces_sensor": set(),
    "batch_jobs_sensor": set(),  # launches llm_map partitions (asset selection) whose batches are done
    "prompt_canary_sensor": set(),
}
RESOURCE_KEYS = {"state", "llm", "memory", "approvals", "shop", "io_manager"}
ASSETS = {  # group (= workflow) -> its assets
    "content_ops": {"topic_briefs", "research_notes", "brand_memory", "drafts", "draft_tone", "publish_queue"},
    "catalog": {"product_feed", "authoritative_feed", "competitor_feed", "product_descriptions", "price_monitor",
                "inventory_ledger", "proposed_updates", "shop_updates"},
    "returns_triage": {"return_requests", "return_classifications", "return_routing", "return_review_queue"},
    "order_recovery": {"problem_orders", "order_states", "recovery_plans", "recovery_actions"},
    "workflow_health": {"workflow_health"},
    "prompt_evals": {"return_triage_eval_set"},
}
ASSET_CHECKS = {
    "drafts:drafts_match_expectations", "drafts:drafts_claims_are_supported", "draft_tone:drafts_match_brand_tone",
    "drafts:drafts_have_no_broken_links", "proposed_updates:proposed_updates_match_authoritative_feed",
    "return_routing:return_routing_matches_expectations", "topic_briefs:briefs_are_all_readable",
    "return_requests:return_files_are_all_readable", "problem_orders:order_files_are_all_readable",
    "return_classifications:return_classifications_canary_is_no_worse",
    *(f"workflow_health:{name}" for name in ("model_confidence_has_not_drifted", "model_labels_have_not_drifted",
                                             "override_rate_is_below_limit", "cost_per_partition_has_not_spiked")),
    *(f"{asset}:{asset}_has_no_{what}" for asset in ("drafts", "return_classifications", "product_descriptions")
      for what in ("pii", "prompt_injection")),
}
MODEL_ASSETS = {"research_notes", "brand_memory", "drafts", "draft_tone", "product_descriptions",
                "return_classifications", "recovery_plans", "recovery_actions"}
WORKFLOW_JOBS = {"content_ops_job": "content_ops", "catalog_job": "catalog", "returns_triage_job": "returns_triage",
                 "order_recovery_job": "order_recovery"}


@pytest.fixture(scope="module")
def repo() -> dg.RepositoryDefinition:
    from pipelines.definitions import defs

    return defs.get_repository_def()


def _assets_defs(repo: dg.RepositoryDefinition) -> list[dg.AssetsDefinition]:
    graph, seen = repo.asset_graph, {}
    for key in graph.get_all_asset_keys():
        assets_def = graph.get(key).assets_def
        seen[id(assets_def)] = assets_def
    return list(seen.values())


def _calls_a_model(node_def) -> bool:
    return "llm" in node_def.required_resource_keys


def test_jobs_have_the_expected_names(repo):
    assert {job.name for job in repo.get_all_jobs() if not job.name.startswith("__")} == JOBS


def test_schedules_run_the_expected_jobs(repo):
    assert {s.name: s.job_name for s in repo.schedule_defs} == SCHEDULES


def test_sensors_launch_the_expected_jobs(repo):
    assert {s.name: {t.job_name for t in s.targets} for s in repo.sensor_defs} == SENSORS


def test_resources_are_bound_by_the_expected_keys():
    from pipelines.definitions import defs

    assert set(defs.resources) == RESOURCE_KEYS, f"missing: {sorted(RESOURCE_KEYS - set(defs.resources))}, " \
                                                 f"unexpected: {sorted(set(defs.resources) - RESOURCE_KEYS)}"


def test_each_workflow_group_has_the_expected_assets(repo):
    graph = repo.asset_graph
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert groups == ASSETS


def test_asset_checks_have_the_expected_names(repo):
    assert {key.to_user_string() for key in repo.asset_graph.asset_check_keys} == ASSET_CHECKS


def test_each_workflow_job_materializes_its_whole_group(repo):
    for job_name, group in WORKFLOW_JOBS.items():
        keys = repo.get_job(job_name).asset_layer.executable_asset_keys
        assert {key.to_user_string() for key in keys} == ASSETS[group], job_name


def test_every_asset_that_calls_a_model_carries_the_llm_pool(repo):
    model_assets = [a for a in _assets_defs(repo)
                    if _calls_a_model(a.op) or any("openai" in spec.kinds for spec in a.specs)]
    assert {key.to_user_string() for a in model_assets for key in a.keys} == MODEL_ASSETS
    without_pool = sorted(key.to_user_string() for a in model_assets if a.op.pool != LLM_POOL for key in a.keys)
    assert not without_pool, f"assets calling a model without pool={LLM_POOL!r}: {without_pool}"


def test_every_other_step_that_calls_a_model_carries_the_llm_pool(repo):
    """Asset checks and plain ops that take the `llm` resource are model calls too (deploy/dagster.yaml)."""
    asset_ops = {a.op.name for a in _assets_defs(repo)}
    steps = {node.name: node for job in repo.get_all_jobs() for node in job.all_node_defs
             if node.name not in asset_ops and _calls_a_model(node)}
    without_pool = sorted(name for name, node in steps.items() if getattr(node, "pool", None) != LLM_POOL)
    assert not without_pool, f"steps calling a model without pool={LLM_POOL!r}: {without_pool}"


def test_loading_the_definitions_does_no_io(tmp_path):
    """Importing and resolving the definitions creates no AIWF_HOME, no DAGSTER_HOME and nothing in the cwd,
    and loads none of the clients a step pays for when it uses them (model, vectors, suites, tracing, Redis)."""
    home = tmp_path / "aiwf-home"
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "AIWF_PG_URL")}
    env.update(AIWF_HOME=str(home), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    code = ("import sys; from pipelines.definitions import defs; defs.get_repository_def().get_all_jobs(); "
            "print([m for m in ('openai', 'lancedb', 'great_expectations', 'opentelemetry', 'redis') "
            "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", "loading the definitions imported a heavy client"
    assert not home.exists(), f"loading the definitions created {sorted(p.name for p in home.rglob('*'))}"
    assert list(tmp_path.iterdir()) == [], "loading the definitions wrote into the working directory"


def test_the_shadow_job_is_tagged_and_can_reach_no_side_effect(repo):
    """Shadow runs show as such in the UI and hold neither a connector nor the approvals resource."""
    job = repo.get_job("shadow_run_job")
    assert job.tags.get("aiwf/shadow") == "1"
    assert job.required_resource_keys == {"llm", "io_manager"}
