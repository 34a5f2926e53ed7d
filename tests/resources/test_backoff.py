"""The one retry wait rule shared by the model client and the connectors."""

import email.utils
import random
import time

import httpx

from resources.backoff import backoff_s, retry_after_s


def test_retry_after_is_read_in_every_form_servers_send():
    assert retry_after_s(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert retry_after_s(httpx.Headers({"retry-after-ms": "250", "Retry-After": "9"})) == 0.25
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_s(httpx.Headers({"Retry-After": later})) <= 31
    assert retry_after_s(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_s(None) is None and retry_after_s(httpx.Headers()) is None


def test_waits_grow_with_equal_jitter_and_honour_the_server_within_a_cap():
    rng = random.Random(1)
    for attempt in range(1, 8):
        delay = min(5.0, 0.1 * 2 ** (attempt - 1))
        assert delay / 2 <= backoff_s(attempt, 0.1, 5.0, rng=rng) <= delay
    assert 2.0 <= backoff_s(1, 0.1, 5.0, retry_after=2.0, rng=rng) <= 2.0 + 0.025
    assert backoff_s(1, 0.1, 5.0, retry_after=3600, rng=rng) <= 20.0 + 0.025  # a server cannot park us for an hour
