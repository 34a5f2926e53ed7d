"""Dagster's Postgres storage as deploy/dagster.yaml names it, taking DAGSTER_PG_URL in any spelling aiwf accepts.

dagster-postgres hands its URL to SQLAlchemy as is, and SQLAlchemy 2.1 reads a plain `postgresql://` as psycopg 3,
which dagster-postgres cannot use (see resources/state/database_url.py). Normalising here, where the instance
reads its config, serves every process that loads it: `aiwf`, the daemon, the webserver and run workers.
"""

import os

from dagster_postgres import DagsterPostgresStorage

from resources.state.database_url import sqlalchemy_pg_url


class PostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage with its URL checked and pinned to psycopg2 (config schema unchanged)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        config = dict(config_value)
        if config.get("postgres_url"):
            url = config["postgres_url"]
            variable = "DAGSTER_PG_URL" if os.environ.get("DAGSTER_PG_URL") == url else "storage postgres_url"
            config["postgres_url"] = sqlalchemy_pg_url(url, variable)
        elif "postgres_db" in config:  # fields instead of a URL: only the driver needs choosing
            config["postgres_db"] = {"scheme": "postgresql+psycopg2", **config["postgres_db"]}
        return super().from_config_value(inst_data, config)
