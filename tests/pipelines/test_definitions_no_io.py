"""Loading the definitions does no I/O: on a home `aiwf demo` used, `import pipelines.definitions` (and building the
repository from `defs`) leaves every file under AIWF_HOME byte-identical, and with AIWF_PG_URL it opens no
connection and changes no row. The SQLite home is a copy of the session's demo home; the Postgres one runs its
own demo once per module (about half a minute)."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from local_services import scratch_pg_database

ROOT = Path(__file__).resolve().parents[2]
LOAD = """
import psycopg2
opened = []
connect = psycopg2.connect
psycopg2.connect = lambda *a, **k: opened.append(1) or connect(*a, **k)
import pipelines.definitions
pipelines.definitions.defs.get_repository_def()
print("pg connections", len(opened))
"""


def _env(home: Path, pg_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "AIWF_PG_URL", "OPENAI_BASE_URL",
                                                            "OPENAI_API_KEY")}
    env.update(AIWF_HOME=str(home), PYTHONPATH=str(ROOT))
    if pg_url:
        env["AIWF_PG_URL"] = pg_url
    return env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _forget_draft_versions(home: Path, pg_url: str | None = None) -> Path:
    """A home `aiwf demo` used, made one whose store has not seen the draft prompt's versions yet (as after a prompt
    file gained a version): an import that recorded prompt versions would write to it."""
    assert (home / "tables").is_dir(), "the demo left no tables in its home"
    forget = "DELETE FROM prompt_versions WHERE name = 'draft'"
    if pg_url:
        with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
            cur.execute(forget)
    else:
        with closing(sqlite3.connect(home / "aiwf.db")) as conn:
            conn.execute(forget)
            conn.commit()
    return home


def _files(home: Path) -> dict[str, str]:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file()}


def _rows(pg_url: str) -> dict[str, int]:
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(r[0] for r in cur.fetchall())
        out = {}
        for table in tables:
            cur.execute(f"SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")
            out[table] = cur.fetchone()[0]
    return out


def _load(home: Path, pg_url: str | None = None) -> str:
    done = _run(["-c", LOAD], _env(home, pg_url))
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def sqlite_demo_home(demo_home, tmp_path_factory) -> Path:
    """A copy of the session's demo home (tests/conftest.py)."""
    return _forget_draft_versions(demo_home.copy_to(tmp_path_factory.mktemp("demo") / "home"))


@pytest.fixture(scope="module")
def pg_demo_home(tmp_path_factory):
    with scratch_pg_database("aiwf_no_io") as url:  # no Postgres: fails on CI (CI=true), skips elsewhere
        home = tmp_path_factory.mktemp("demo_pg") / "home"
        _run(["-m", "pipelines.cli", "demo", "--json"], _env(home, url))
        yield _forget_draft_versions(home, url), url


def test_loading_definitions_on_a_fresh_home_creates_nothing(tmp_path):
    home = tmp_path / "fresh"
    _load(home)
    assert not home.exists() or _files(home) == {}


def test_loading_definitions_on_a_demo_home_leaves_every_file_byte_identical(sqlite_demo_home):
    before = _files(sqlite_demo_home)
    assert "aiwf.db" in before
    _load(sqlite_demo_home)
    assert _files(sqlite_demo_home) == before


def test_loading_definitions_with_postgres_opens_no_connection_and_changes_nothing(pg_demo_home):
    home, url = pg_demo_home
    files, rows = _files(home), _rows(url)
    assert "aiwf_schema" in rows and "aiwf.db" not in files  # the demo's state went to Postgres
    assert "pg connections 0" in _load(home, url)
    assert _files(home) == files and _rows(url) == rows
