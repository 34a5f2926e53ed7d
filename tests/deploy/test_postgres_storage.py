"""Runs and their events land in Postgres when DAGSTER_HOME holds deploy/dagster.yaml."""

import dagster as dg
import psycopg2
import pytest

pytestmark = pytest.mark.integration


def _pg_count(url: str, sql: str, params) -> int:
    with psycopg2.connect("postgresql://" + url.split("://", 1)[1]) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_runs_and_events_are_stored_in_postgres(deploy_instance, deploy_env, pg_database):
    from deploy_jobs import storage_job

    result = storage_job.execute_in_process(instance=deploy_instance, tags={"aiwf/provider": "openai"})

    assert result.success
    run_id = result.run_id
    assert type(deploy_instance.run_storage).__name__ == "PostgresRunStorage"
    assert deploy_instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
    # Read back through Postgres itself, not through the instance that wrote them.
    runs_sql = "SELECT count(*) FROM runs WHERE run_id = %s AND status = 'SUCCESS'"
    assert _pg_count(pg_database, runs_sql, (run_id,)) == 1
    step_events = _pg_count(
        pg_database,
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'STEP_SUCCESS'",
        (run_id,),
    )
    assert step_events == 1
    tags_sql = "SELECT count(*) FROM run_tags WHERE run_id = %s AND key = 'aiwf/provider'"
    assert _pg_count(pg_database, tags_sql, (run_id,)) == 1
    assert not list(deploy_env.rglob("*.db")), "no SQLite storage may be created beside Postgres"


def test_deploy_instance_queues_runs_with_limits_monitoring_and_retries(deploy_instance):
    config = deploy_instance.get_concurrency_config().run_queue_config

    assert type(deploy_instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert config.max_concurrent_runs == 4
    assert config.tag_concurrency_limits == [
        {"key": "aiwf/provider", "value": {"applyLimitPerUniqueValue": True}, "limit": 2}
    ]
    assert deploy_instance.run_monitoring_enabled
    assert deploy_instance.run_monitoring_max_runtime_seconds == 21600
    assert deploy_instance.run_retries_enabled and deploy_instance.run_retries_max_retries == 1
    assert deploy_instance.run_retries_retry_on_asset_or_op_failure is False
