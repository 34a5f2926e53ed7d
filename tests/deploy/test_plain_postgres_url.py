"""A plain `postgresql://` URL works for aiwf's Store (AIWF_PG_URL) and for the Dagster instance that
deploy/dagster.yaml builds (DAGSTER_PG_URL), though SQLAlchemy 2.1 reads that spelling as psycopg 3, which
aiwf does not ship; a malformed DAGSTER_PG_URL is one clear error naming the variable."""

import dagster as dg
import psycopg2
import pytest
from conftest import write_instance_yaml
from local_services import scratch_pg_database

from resources.state.database_url import DatabaseURLError
from resources.state.store import open_store


@pytest.fixture
def plain_url():
    with scratch_pg_database("aiwf_plain") as url:
        assert url.startswith("postgresql://")
        yield url


def _rows(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.mark.integration
def test_the_store_works_on_a_plain_postgresql_url(plain_url, tmp_path):
    store = open_store(tmp_path, plain_url)
    store.migrate("plain_url_probe", ["CREATE TABLE plain_url_probe (id {id}, note TEXT NOT NULL)"])
    store.execute("INSERT INTO plain_url_probe (note) VALUES (?)", ("hello",))

    assert store.dialect == "postgres"
    assert store.query("SELECT note FROM plain_url_probe") == [{"note": "hello"}]
    assert _rows(plain_url, "SELECT note FROM plain_url_probe") == [("hello",)]  # in Postgres, not SQLite
    assert not list(tmp_path.rglob("*.db"))


@pytest.mark.integration
def test_the_deploy_instance_stores_runs_on_a_plain_postgresql_url(plain_url, tmp_path, monkeypatch):
    from deploy_jobs import storage_job

    home = write_instance_yaml(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_PG_URL", plain_url)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = storage_job.execute_in_process(instance=instance)
        # Run workers and daemons rebuild the instance from its ref: that path must normalise the URL too.
        with dg.DagsterInstance.from_ref(instance.get_ref()) as rebuilt:
            seen_again = rebuilt.get_run_by_id(result.run_id)
        run_storage = type(instance.run_storage).__name__

    assert result.success and run_storage == "PostgresRunStorage"
    assert seen_again.status == dg.DagsterRunStatus.SUCCESS
    assert _rows(plain_url, "SELECT status FROM runs WHERE run_id = %s", (result.run_id,)) == [("SUCCESS",)]
    events = _rows(plain_url, "SELECT count(*) FROM event_logs WHERE run_id = %s", (result.run_id,))[0][0]
    assert events > 0
    assert not list(home.rglob("*.db")), "no SQLite storage may be created beside Postgres"


def test_a_malformed_dagster_pg_url_names_the_variable_not_the_password(tmp_path, monkeypatch):
    home = write_instance_yaml(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_PG_URL", "postgres:/bad:hunter2@host/db")
    with pytest.raises(DatabaseURLError, match=r"^DAGSTER_PG_URL is not a Postgres URL") as raised:
        dg.DagsterInstance.from_config(str(home))
    assert "hunter2" not in str(raised.value)


def test_the_cli_reports_a_malformed_url_in_one_line(tmp_path, monkeypatch, capsys):
    from pipelines import cli

    monkeypatch.setenv("DAGSTER_HOME", str(write_instance_yaml(tmp_path / "dagster_home")))
    monkeypatch.setenv("DAGSTER_PG_URL", "http://admin:hunter2@db.internal/aiwf")

    assert cli.main(["demo", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("aiwf: DAGSTER_PG_URL is not a Postgres URL (scheme 'http'); "
                   "expected postgresql://user[:password]@host[:port]/database")
