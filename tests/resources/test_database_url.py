"""Postgres URLs: every accepted spelling becomes a psycopg2 DSN; a bad one is a one-line error that names the
variable and never shows the password."""

import pytest

from resources.state.database_url import DatabaseURLError, is_pg_url, normalize_pg_url, sqlalchemy_pg_url


@pytest.mark.parametrize("url, dsn", [
    ("postgresql://postgres@127.0.0.1:5432/aiwf", "postgresql://postgres@127.0.0.1:5432/aiwf"),
    ("postgres://u:p%40ss@db.internal/aiwf?sslmode=require", "postgresql://u:p%40ss@db.internal/aiwf?sslmode=require"),
    ("postgresql+psycopg2://postgres@127.0.0.1/aiwf", "postgresql://postgres@127.0.0.1/aiwf"),
    ("postgresql+psycopg://postgres@127.0.0.1/aiwf", "postgresql://postgres@127.0.0.1/aiwf"),
    ("  postgresql:///aiwf?host=/run/postgresql ", "postgresql:///aiwf?host=/run/postgresql"),
])
def test_accepted_spellings_become_one_dsn(url, dsn):
    assert normalize_pg_url(url, "AIWF_PG_URL") == dsn
    assert sqlalchemy_pg_url(url, "DAGSTER_PG_URL") == "postgresql+psycopg2://" + dsn.split("://", 1)[1]


@pytest.mark.parametrize("url, problem", [
    ("postgres:/bad:hunter2", "is not a Postgres URL"),
    ("http://x:hunter2@host/db", "is not a Postgres URL (scheme 'http')"),
    ("mysql+pymysql://u:hunter2@h/db", "is not a Postgres URL (scheme 'mysql+pymysql')"),
    ("postgresql://u:hunter2@/db", "names no host"),
    ("postgresql://u:hunter2@h:5432", "names no database"),
    ("postgresql://u:hunter2@h:port/db", "has a malformed host or port"),
    ("", "is empty"),
])
def test_a_bad_url_is_one_clear_line_without_the_password(url, problem):
    with pytest.raises(ValueError) as raised:
        normalize_pg_url(url, "DAGSTER_PG_URL")
    message = str(raised.value)
    assert isinstance(raised.value, DatabaseURLError)
    assert message.startswith(f"DAGSTER_PG_URL {problem}") and "\n" not in message
    assert "hunter2" not in message and "expected postgresql://" in message
    assert raised.value.__cause__ is None  # nor a chained error that would print the URL


def test_store_urls_that_mean_postgres():
    assert is_pg_url("postgresql://h/db") and is_pg_url("postgres:/bad") and is_pg_url("http://x")
    assert not is_pg_url("/tmp/aiwf/aiwf.db")
