"""A credential inside a base URL (`https://user:secret@gw/v1`, `?api-key=...`) is never stored or shown: not in
the shared limiter's Redis keys or Postgres rows, the ledger's provider, spans, or the breaker's errors."""

import uuid

import pytest
from local_services import require_redis, scratch_pg_database

from resources.llm.breaker import EndpointBreaker
from resources.llm.providers import Provider, host_of
from resources.llm.rate_limit import shared_limiter
from resources.llm.retry import CircuitOpen
from resources.safety.secrets import safe_url
from resources.telemetry.genai import provider_name

SECRET = "s3cr3t-" + uuid.uuid4().hex[:8]


def leaky_urls(host: str) -> list[str]:
    return [f"https://user:{SECRET}@{host}/v1", f"https://{host}/v1?api-key={SECRET}",
            f"https://{SECRET}@{host}:8443/v1#{SECRET}", f"user:{SECRET}@{host}/v1"]


LEAKY_IDS = ["userinfo", "query", "user-and-fragment", "no-scheme"]  # fixed ids: SECRET differs in each xdist worker


@pytest.mark.parametrize("url, safe", [
    ("https://user:pw-123456@gw.example/v1", "https://gw.example/v1"),
    ("https://gw.example:8443/v1?api-key=k&x=1#frag", "https://gw.example:8443/v1"),
    ("user:pw-123456@gw.example:81/v1", "gw.example:81/v1"),
    ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
    ("default", "default"),
    ("https://gw/v1/sk-proj-abcdefghijklmnopqrstuvwxyz0123/chat", "https://gw/v1/[SECRET]/chat"),
])
def test_safe_url_keeps_scheme_host_port_and_path_only(url, safe):
    assert safe_url(url) == safe


def test_a_url_that_does_not_parse_is_kept_as_a_digest_only():
    assert safe_url(f"http://gw:99999/{SECRET}").startswith("endpoint-") and SECRET not in safe_url(
        f"http://gw:99999/{SECRET}")


@pytest.mark.parametrize("url", leaky_urls("gw.example"), ids=LEAKY_IDS)
def test_the_ledger_provider_and_span_provider_name_hold_no_credential(url):
    host = host_of(url)
    assert SECRET not in host and host.startswith("gw.example")
    assert SECRET not in provider_name(host)
    assert SECRET not in repr(Provider(0, url, "sk-key"))


@pytest.mark.parametrize("url", leaky_urls("gw.example"), ids=LEAKY_IDS)
def test_an_open_circuit_names_the_endpoint_without_its_credentials(url):
    breaker = EndpointBreaker(url, failures=1, cooldown_s=60)
    breaker.failed("connection", "cannot connect: refused")
    with pytest.raises(CircuitOpen) as err:
        breaker.before("model 'm'")
    assert SECRET not in str(err.value) and "gw.example" in str(err.value)


@pytest.mark.integration
def test_redis_limiter_keys_hold_no_credential():
    import redis

    url = require_redis()
    host = f"gw-{uuid.uuid4().hex[:8]}.example"
    for endpoint in leaky_urls(host):
        limiter = shared_limiter(endpoint, 6000, 600000, {"m": (6000, None)}, url)
        limiter.wait(tokens=10)
        limiter.wait(tokens=10, model="m")
    keys = [k.decode() for k in redis.Redis.from_url(url).scan_iter(f"*{host}*")]
    assert keys and not [k for k in keys if SECRET in k or "user" in k or "api-key" in k]


@pytest.mark.integration
def test_postgres_limiter_rows_hold_no_credential():
    import psycopg2

    host = f"gw-{uuid.uuid4().hex[:8]}.example"
    with scratch_pg_database("aiwf_rl_cred") as url:
        for endpoint in leaky_urls(host):
            limiter = shared_limiter(endpoint, 6000, 600000, None, url)
            limiter.wait(tokens=10)
            limiter.settle(10, 5)
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT key FROM aiwf_rate_limits")
            keys = [k for (k,) in cur.fetchall()]
        for limiter in list(_limiters_for(url)):
            limiter._client.close()
    assert keys and all(host in k for k in keys) and not [k for k in keys if SECRET in k or "api-key" in k]


def _limiters_for(url: str):
    from resources.llm import rate_limit

    return [lim for key, lim in rate_limit._shared.items() if key[-1] == url and getattr(lim, "_client", None)]
