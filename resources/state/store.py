"""One SQL database for aiwf's own state (ledger, cache, checkpoints, quarantine, approvals, actions).

Its schema is the ordered list in resources/state/migrations.py, brought up to date once per process when a
Store first runs a statement: a home already up to date is only read, never written, to learn that.

Steps reach it through `StateResource.store()` (resources/state/resource.py), which names the database:
SQLite at <home>/aiwf.db by default, Postgres when the resource is given a URL (AIWF_PG_URL where bound).
A Store also knows its home folder, where the files that go with the database live (audit log, tables).
SQL is written once with `?` placeholders and portable `ON CONFLICT` upserts; DDL may use the
tokens {id} (auto-increment primary key), {blob} and {float} that each dialect spells its own way.
On Postgres, connections come from a fork-safe per-process pool (resources/pg_pool.py); a statement
that lost its connection to a server restart, or its transaction to a deadlock, is replayed (blips.py).
"""

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from resources.state.blips import is_replayable, wait_out
from resources.state.database_url import is_pg_url, normalize_pg_url
from resources.state.migrations import MIGRATIONS, versions
from resources.state.pg_pool import PgPool

_DDL_TOKENS = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB", "float": "REAL"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA", "float": "DOUBLE PRECISION"},
}
_MIGRATIONS = """CREATE TABLE IF NOT EXISTS aiwf_schema (
    component TEXT PRIMARY KEY, version INTEGER NOT NULL)"""
# One advisory lock for all of aiwf's migrations: concurrent CREATE TABLE IF NOT EXISTS of the same
# table races in Postgres (duplicate pg_type key), so even the bookkeeping table is created under it.
_MIGRATION_LOCK = 0x61697766  # "aiwf"


class Store:
    """A thin, thread-safe connection helper with versioned, idempotent schema creation."""

    def __init__(self, url: str, home: Path):
        self.url, self.home = url, Path(home)
        # Any Postgres spelling (postgresql://, postgres://, postgresql+psycopg2://) is accepted, so
        # DAGSTER_PG_URL and AIWF_PG_URL can hold the same value; a malformed one is a one-line error.
        self.dialect = "postgres" if is_pg_url(self.url) else "sqlite"
        self._local = threading.local()
        self._schema_ready = False
        self._lock = threading.Lock()
        self._pool = PgPool(normalize_pg_url(url, "AIWF_PG_URL")) if self.dialect == "postgres" else None

    def __repr__(self) -> str:  # never print credentials
        return f"Store({self.dialect})"

    def _connect(self):
        conn = sqlite3.connect(self.url, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _conn(self):  # SQLite: one connection per thread
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", 0):
            conn = self._local.conn = self._connect()
        return conn

    def _sql(self, sql: str) -> str:  # psycopg2 always formats (params are a tuple): a literal % is %%
        return sql.replace("%", "%%").replace("?", "%s") if self.dialect == "postgres" else sql

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction, committed on success and rolled back on error."""
        if not self._schema_ready:
            self._open_schema()
        with self._transaction() as cur:
            yield cur

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        if self.dialect == "postgres":
            with self._pg_transaction() as cur:
                yield cur
            return
        cur = self._conn().cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield _Cursor(cur, self._sql)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    @contextmanager
    def _pg_transaction(self) -> Iterator[Any]:
        """A pooled connection's transaction; nested use in one thread becomes a savepoint, not a second
        connection that would wait on the outer transaction's locks forever."""
        import psycopg2

        outer = getattr(self._local, "pg_conn", None)
        if outer is not None:
            with outer.cursor() as cur:
                cur.execute("SAVEPOINT aiwf_nested")
                try:
                    yield _Cursor(cur, self._sql)
                except BaseException:
                    cur.execute("ROLLBACK TO SAVEPOINT aiwf_nested")
                    raise
                cur.execute("RELEASE SAVEPOINT aiwf_nested")
            return
        with self._pool.connection() as (conn, reused):
            self._local.pg_conn, committing = conn, False
            try:
                with conn.cursor() as cur:
                    yield _Cursor(cur, self._sql)
                committing = True
                conn.commit()
            except BaseException as exc:
                if not conn.closed:
                    conn.rollback()
                # Safe to replay: the server rolled the whole transaction back (deadlock, serialization),
                # or a pooled connection turned out dead before anything was committed.
                stale = conn.closed and not committing  # lost before COMMIT: the server rolled back
                if isinstance(exc, psycopg2.extensions.TransactionRollbackError) or (
                    stale and isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError))
                ):
                    exc.aiwf_retryable = True
                raise
            finally:
                self._local.pg_conn = None

    def _retrying(self, work):
        """Run work(cursor) in a transaction, replayed where the database says that is safe, with backoff for
        up to AIWF_INFRA_WAIT_S while it is unreachable (resources/state/blips.py)."""
        def once():
            with self.transaction() as cur:
                return work(cur)

        def replayable(exc: BaseException) -> bool:  # a nested transaction is replayed by its outermost one
            return getattr(self._local, "pg_conn", None) is None and is_replayable(exc)

        return wait_out(once, f"the {self.dialect} store", replayable)

    def transact(self, work):
        """Run work(cursor) in one transaction and return what it returns; replayed once where Postgres says that
        is safe (the work must not act outside the database before it returns)."""
        return self._retrying(work)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement in its own transaction; return its rows (empty for writes)."""

        def work(cur):
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

        return self._retrying(work)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._retrying(lambda cur: cur.executemany(sql, rows))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        """Rows as dicts keyed by column name."""

        def work(cur):
            cur.execute(sql, params)
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row)) for row in cur.fetchall()]

        return self._retrying(work)

    def day_number(self, column: str) -> str:
        """SQL for the UTC day number (days since 1970-01-01) of an epoch-seconds column, in this dialect."""
        if self.dialect == "postgres":
            return f"CAST(FLOOR({column} / 86400) AS BIGINT)"
        return f"CAST({column} / 86400 AS INTEGER)"

    def _open_schema(self) -> None:
        """Apply aiwf's migrations not yet applied, once per process: first a plain read of `aiwf_schema`, and
        the locked write only when a step is missing (a fresh home, or one made by an earlier version)."""
        with self._lock:
            if self._schema_ready:
                return
            applied = self._applied()
            if applied is None or any(applied.get(c, 0) < n for c, n in versions().items()):
                self._apply(MIGRATIONS)
            self._schema_ready = True

    def _applied(self) -> dict[str, int] | None:
        """component -> steps applied, or None where the bookkeeping table does not exist yet."""
        sql = "SELECT component, version FROM aiwf_schema"
        try:
            if self.dialect == "sqlite":  # a plain read, outside BEGIN IMMEDIATE: no write lock taken
                return {component: int(version) for component, version in self._conn().execute(sql).fetchall()}
            with self._transaction() as cur:
                cur.execute(sql)
                return {component: int(version) for component, version in cur.fetchall()}
        except Exception:  # no aiwf_schema yet (each driver names that error its own way): _apply creates it
            return None

    def _apply(self, steps: Sequence[tuple[str, str]]) -> None:
        """Run each (component, DDL) step past its component's recorded version, in list order, in one transaction,
        and record the new versions; safe to call from every process at once."""
        with self._transaction() as cur:
            if self.dialect == "postgres":  # serialise concurrent migrators (all processes)
                cur.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            cur.execute(_MIGRATIONS)
            cur.execute("SELECT component, version FROM aiwf_schema")
            done = {component: int(version) for component, version in cur.fetchall()}
            seen: dict[str, int] = {}
            for component, ddl in steps:
                seen[component] = seen.get(component, 0) + 1
                if seen[component] > done.get(component, 0):
                    cur.execute(ddl.format(**_DDL_TOKENS[self.dialect]), ())
            for component, version in seen.items():
                if version > done.get(component, 0):
                    cur.execute("INSERT INTO aiwf_schema (component, version) VALUES (?, ?) ON CONFLICT (component) "
                                "DO UPDATE SET version = excluded.version", (component, version))

    def migrate(self, component: str, steps: Sequence[str]) -> None:
        """Apply the DDL steps of one component outside aiwf's list (a test's probe table); aiwf's own tables
        belong in resources/state/migrations.py."""
        if not self._schema_ready:
            self._open_schema()
        with self._lock:
            self._apply([(component, ddl) for ddl in steps])


class _Cursor:
    """A DB-API cursor that accepts `?` placeholders on every dialect."""

    def __init__(self, cur, translate):
        self._cur, self._translate = cur, translate

    def execute(self, sql, params=()):
        self._cur.execute(self._translate(sql), tuple(params))

    def executemany(self, sql, rows):
        self._cur.executemany(self._translate(sql), [tuple(r) for r in rows])

    def __getattr__(self, name):
        return getattr(self._cur, name)


_stores: dict[tuple[str, Path], Store] = {}
_stores_lock = threading.Lock()


def open_store(home: Path, pg_url: str | None = None) -> Store:
    """The process-wide Store for a home folder and database (Postgres at pg_url, else SQLite in the home),
    so every step and sensor in a process shares one connection pool per database."""
    key = (normalize_pg_url(pg_url, "AIWF_PG_URL") if pg_url else str(Path(home) / "aiwf.db"), Path(home))
    with _stores_lock:
        if key not in _stores:
            _stores[key] = Store(*key)
        return _stores[key]
