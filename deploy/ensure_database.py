"""Create the Postgres database named in DAGSTER_PG_URL if it does not exist yet (used by `make up`).

Dagster and aiwf create their own tables on first use; only the database itself must exist.
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from resources.state.database_url import DatabaseURLError, normalize_pg_url


def main() -> int:
    url = os.environ.get("DAGSTER_PG_URL")
    if not url:
        print("ensure_database: DAGSTER_PG_URL is not set", file=sys.stderr)
        return 2
    try:
        parts = urlsplit(normalize_pg_url(url, "DAGSTER_PG_URL"))  # any accepted spelling, driver dropped
    except DatabaseURLError as exc:
        print(f"ensure_database: {exc}", file=sys.stderr)
        return 2
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        conn = psycopg2.connect(admin, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        host = parts.hostname or "localhost"
        print(f"ensure_database: cannot reach Postgres at {host}:{parts.port or 5432} ({exc.__class__.__name__})",
              file=sys.stderr)
        return 1
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"ensure_database: created database {name}")
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
