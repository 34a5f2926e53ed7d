"""Postgres URLs from the environment, checked once and spelled for the driver aiwf ships (psycopg2).

SQLAlchemy 2.1 maps a plain `postgresql://` to psycopg 3, which dagster-postgres cannot use (its event
log sends `NOTIFY channel, $1`, which psycopg 3's server-side binding rejects), so every spelling below
is brought to psycopg2. Errors name the variable and what is wrong, never the URL: it may hold a password.
"""

from urllib.parse import parse_qs, urlsplit

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")
SHAPE = "postgresql://user[:password]@host[:port]/database"


class DatabaseURLError(ValueError):
    """A Postgres URL from configuration that cannot work; its message is safe to print (no URL in it)."""


def normalize_pg_url(url: str, variable: str) -> str:
    """The libpq/psycopg2 DSN `postgresql://...` for a Postgres URL in any accepted spelling; DatabaseURLError
    (a ValueError) naming `variable` when the URL cannot be one."""
    url = (url or "").strip()
    if not url:
        raise DatabaseURLError(f"{variable} is empty; expected {SHAPE}")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        safe = sep and scheme.replace("+", "").isalnum() and len(scheme) < 30
        shown = f" (scheme {scheme.lower()!r})" if safe else ""
        raise DatabaseURLError(f"{variable} is not a Postgres URL{shown}; expected {SHAPE}")
    try:
        parts = urlsplit("postgresql://" + rest)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise DatabaseURLError(f"{variable} has a malformed host or port; expected {SHAPE}") from None
    query = parse_qs(parts.query)
    if not (parts.hostname or query.get("host")):  # a socket directory may come as ?host=/run/postgresql
        raise DatabaseURLError(f"{variable} names no host; expected {SHAPE}")
    if not (parts.path.strip("/") or query.get("dbname")):
        raise DatabaseURLError(f"{variable} names no database; expected {SHAPE}")
    return "postgresql://" + rest


def sqlalchemy_pg_url(url: str, variable: str) -> str:
    """The same URL for SQLAlchemy (what dagster-postgres builds its engines from), pinned to psycopg2."""
    return "postgresql+psycopg2://" + normalize_pg_url(url, variable).split("://", 1)[1]


def is_pg_url(url: str) -> bool:
    """Whether a store URL is meant for Postgres: anything URL-shaped or starting with `postgres`, so a
    mistyped URL is refused by normalize_pg_url instead of becoming a SQLite file of that name."""
    return "://" in url or url.lower().startswith("postgres")
