"""The one Definitions: invariants that hold for every workflow, the shipped workflows' names (a subset: a team's
own workflow adds to them, never breaks them), and no I/O when it loads."""

import os
import subprocess
import sys
import types
from pathlib import Path

import dagster as dg
import pytest

from assets.pools import LLM_POOL

ROOT = Path(__file__).resolve().parents[2]

# The shipped workflows' names, which users and docs rely on. A workflow a team adds only adds names.
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


# Invariants of any Definitions built by pipelines/definitions.py, whatever workflows it holds. Each returns the
# names that break it (empty: it holds), so a failure says which step to fix.

def _assets_defs(repo: dg.RepositoryDefinition) -> list[dg.AssetsDefinition]:
    graph, seen = repo.asset_graph, {}
    for key in graph.get_all_asset_keys():
        assets_def = graph.get(key).assets_def
        seen[id(assets_def)] = assets_def
    return list(seen.values())


def _calls_a_model(node_def) -> bool:
    return "llm" in node_def.required_resource_keys


def model_assets(repo: dg.RepositoryDefinition) -> set[str]:
    """Assets whose step takes the `llm` resource or that say they touch a model (kind `openai`)."""
    return {key.to_user_string() for a in _assets_defs(repo)
            if _calls_a_model(a.op) or any("openai" in spec.kinds for spec in a.specs) for key in a.keys}


def steps(repo: dg.RepositoryDefinition) -> dict[str, dg.OpDefinition]:
    """Every step any run may execute: each asset's and asset check's op (the implicit asset job) and each op of
    a named job."""
    nodes = [*repo.get_implicit_global_asset_job_def().all_node_defs,
             *(node for job in repo.get_all_jobs() for node in job.all_node_defs)]
    return {node.name: node for node in nodes if isinstance(node, dg.OpDefinition)}


def model_steps_without_the_llm_pool(repo: dg.RepositoryDefinition) -> list[str]:
    """Steps that call a model (asset, check or plain op) but claim no slot in the LLM pool."""
    model_ops = {a.op.name for a in _assets_defs(repo) if a.keys & {dg.AssetKey(k) for k in model_assets(repo)}}
    return sorted(name for name, op in steps(repo).items()
                  if (_calls_a_model(op) or name in model_ops) and op.pool != LLM_POOL)


def asset_steps_without_a_retry_policy(repo: dg.RepositoryDefinition) -> list[str]:
    """Asset and asset-check steps that a backfill or an ad-hoc run would execute without a retry policy."""
    return sorted(node.name for node in repo.get_implicit_global_asset_job_def().all_node_defs
                  if getattr(node, "retry_policy", None) is None)


def checks_partitioned_unlike_their_asset(repo: dg.RepositoryDefinition) -> list[str]:
    """Asset checks whose partitions differ from their asset's (a run of one asks for a partition nobody asked
    for: 'materialize partition 2026-01-01 first')."""
    graph = repo.asset_graph
    return sorted(key.to_user_string() for key in graph.asset_check_keys
                  if graph.get(key).partitions_def != graph.get(key.asset_key).partitions_def)


def sensors_for_missing_jobs(repo: dg.RepositoryDefinition) -> list[str]:
    """Sensors that name a job the Definitions do not hold."""
    jobs = {job.name for job in repo.get_all_jobs()}
    return sorted(s.name for s in repo.sensor_defs for t in s.targets if t.job_name not in jobs)


INVARIANTS = [model_steps_without_the_llm_pool, asset_steps_without_a_retry_policy,
              checks_partitioned_unlike_their_asset, sensors_for_missing_jobs]


@pytest.mark.parametrize("invariant", INVARIANTS, ids=lambda f: f.__name__)
def test_every_workflow_keeps_the_invariant(repo, invariant):
    assert invariant(repo) == [], invariant.__doc__


# The shipped workflows' names: each is still there, whatever a team adds beside them.

def test_the_shipped_jobs_are_there(repo):
    assert JOBS <= {job.name for job in repo.get_all_jobs()}


def test_the_shipped_schedules_run_their_jobs(repo):
    schedules = {s.name: s.job_name for s in repo.schedule_defs}
    assert {name: schedules.get(name) for name in SCHEDULES} == SCHEDULES


def test_the_shipped_sensors_launch_their_jobs(repo):
    sensors = {s.name: {t.job_name for t in s.targets} for s in repo.sensor_defs}
    assert {name: sensors.get(name) for name in SENSORS} == SENSORS


def test_the_shipped_resource_keys_are_bound():
    from pipelines.definitions import defs

    assert RESOURCE_KEYS <= set(defs.resources), f"missing: {sorted(RESOURCE_KEYS - set(defs.resources))}"


def test_each_shipped_group_has_its_assets(repo):
    graph = repo.asset_graph
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    missing = {group: names - groups.get(group, set()) for group, names in ASSETS.items()}
    assert not any(missing.values()), missing


def test_the_shipped_asset_checks_are_there(repo):
    assert ASSET_CHECKS <= {key.to_user_string() for key in repo.asset_graph.asset_check_keys}


def test_each_shipped_workflow_job_materializes_its_whole_group(repo):
    graph = repo.asset_graph
    for job_name, group in WORKFLOW_JOBS.items():
        keys = repo.get_job(job_name).asset_layer.executable_asset_keys
        whole = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == group}
        assert {key.to_user_string() for key in keys} == whole, job_name


def test_the_shipped_model_assets_are_recognised_as_model_calls(repo):
    assert MODEL_ASSETS <= model_assets(repo)


# A team's own workflow: the invariants hold for it too, and they catch a step built without the policy.

def _throwaway_workflow() -> types.ModuleType:
    """A workflow module as a team would write it: a daily model step, a check without partitions, job, sensor."""
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")

    @dg.asset(partitions_def=daily, group_name="throwaway", kinds={"openai"}, required_resource_keys={"llm"})
    def throwaway_labels(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    @dg.asset_check(asset=throwaway_labels)
    def throwaway_labels_are_for_their_day(throwaway_labels: str) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    job = dg.define_asset_job("throwaway_job", selection=[throwaway_labels], partitions_def=daily)

    @dg.sensor(job=job)
    def throwaway_drop_sensor():
        return None

    module = types.ModuleType("pipelines.throwaway.workflow")
    module.assets, module.asset_checks = [throwaway_labels], [throwaway_labels_are_for_their_day]
    module.jobs, module.sensors = [job], [throwaway_drop_sensor]
    return module


def test_a_teams_added_workflow_keeps_every_invariant_and_every_shipped_name():
    from pipelines.definitions import WORKFLOWS, build_definitions

    repo = build_definitions([*WORKFLOWS, _throwaway_workflow()]).get_repository_def()
    assert {"throwaway_job"} | JOBS <= {job.name for job in repo.get_all_jobs()}
    assert "throwaway_labels" in model_assets(repo)
    assert {name: invariant(repo) for name, invariant in ((f.__name__, f) for f in INVARIANTS)} == \
        dict.fromkeys((f.__name__ for f in INVARIANTS), [])
    for test in (test_the_shipped_jobs_are_there, test_the_shipped_schedules_run_their_jobs,
                 test_the_shipped_sensors_launch_their_jobs, test_each_shipped_group_has_its_assets,
                 test_the_shipped_asset_checks_are_there, test_each_shipped_workflow_job_materializes_its_whole_group,
                 test_the_shipped_model_assets_are_recognised_as_model_calls):
        test(repo)


def test_the_invariants_catch_a_workflow_built_without_the_policy():
    """Not vacuous: the same workflow in a bare Definitions (no apply_step_policy) breaks three of them."""
    module = _throwaway_workflow()
    repo = dg.Definitions(assets=module.assets, asset_checks=module.asset_checks, jobs=module.jobs,
                          sensors=module.sensors, resources={"llm": dg.ResourceDefinition.none_resource()}
                          ).get_repository_def()
    assert model_steps_without_the_llm_pool(repo) == ["throwaway_labels"]
    assert "throwaway_labels" in asset_steps_without_a_retry_policy(repo)
    assert checks_partitioned_unlike_their_asset(repo) == ["throwaway_labels:throwaway_labels_are_for_their_day"]


def test_workflows_are_discovered_by_their_folders():
    from pipelines.definitions import WORKFLOWS
    from pipelines.discovery import component_workflow_names, python_workflow_names, workflow_names

    shipped = {"catalog", "content_ops", "memory_maintenance", "order_recovery", "returns_triage", "workflow_health"}
    assert shipped <= set(workflow_names())
    kinds = (("workflow", python_workflow_names()), ("defs", component_workflow_names()))  # workflow.py, defs.yaml
    assert [m.__name__ for m in WORKFLOWS] == [f"pipelines.{n}.{module}" for n in workflow_names()
                                              for module, names in kinds if n in names]


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
    """Shadow runs show as such in the UI and hold neither a connector nor the approvals resource (the model, the
    IO manager's paths and read-only memory lookups only)."""
    job = repo.get_job("shadow_run_job")
    assert job.tags.get("aiwf/shadow") == "1"
    assert {"llm", "io_manager"} <= job.required_resource_keys <= {"llm", "io_manager", "memory"}
