"""The machine's local services for integration tests: a missing one fails on CI (CI=true) and skips elsewhere."""

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def require_service(name: str, reason: str) -> None:
    """Fail on CI (CI=true) when a local service is missing; skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required on CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")


def require_redis(url: str = REDIS_URL) -> str:
    """`url` once the local Redis answers a PING (else fail on CI, skip elsewhere)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        require_service("Redis", f"127.0.0.1:6379 ({type(exc).__name__})")
    return url


def worker_tag() -> str:
    """'gw1_' under pytest-xdist worker gw1, '' in a plain run: names of things made on a shared service (databases,
    queues, keys) carry it beside their random part, so what a worker left behind says which worker made it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{worker}_" if worker else ""


@contextmanager
def scratch_pg_database(prefix: str = "aiwf_test") -> Iterator[str]:
    """A fresh Postgres database (dropped after), so stores under test never see each other's rows."""
    import psycopg2

    try:
        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        require_service("PostgreSQL", f"127.0.0.1:5432 db test user postgres ({type(exc).__name__})")
    admin.autocommit = True
    name = f"{prefix}_{worker_tag()}{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cur:  # FORCE also ends the connections the code under test still holds
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
