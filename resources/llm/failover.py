"""Failover across providers: a request the primary cannot answer now goes to the next provider, with the same
guarantees (the layers above and below run for every provider alike).

The policy, in order of the providers (resources/llm/providers.py): the primary first. A request moves on when
its provider's circuit is open (resources/llm/breaker.py: it failed the same way `breaker_failures` times in a
row), when its retries ran out on 5xx, timeouts or refused connections, when it answered 429 with a Retry-After
longer than `failover_retry_after_s` (that provider is then skipped until the wait is over), and, replaying a
cassette, when the answer was recorded at another provider. Traffic comes back by itself: every request asks
the primary first, and once its cool-down is over the breaker lets one probe through, whose answer closes it.
A request the provider refused (4xx), the budget, or an invalid answer never moves: another provider would
refuse it too, and nothing must be paid twice.

Between the cache and validation: each provider's answer is validated (and repaired) by the provider that
gave it, keyed in the cache by the model that answered (resources/llm/request.py `on_provider`), charged in
its prices by the budget gate below, and its ledger rows and spans name it.
"""

import time

from resources.llm import retry
from resources.llm.request import ChatRequest, on_provider

MOVES_ON = ("cassette_miss",)  # rejections that only mean "not here": a replay recorded at another provider


class Failover:
    """Asks `inner` for the request at each provider in turn until one answers."""

    def __init__(self, inner, providers: list):
        self.inner, self.providers = inner, providers
        self.resting = [0.0] * len(providers)  # monotonic time until which a provider asked us to wait

    def request(self, request: ChatRequest):
        tries = [(p, asked) for p in self.providers if (asked := on_provider(request, p)) is not None]
        now = time.monotonic()
        for n, (provider, asked) in enumerate(tries):
            last = n == len(tries) - 1
            if not last and self.resting[provider.index] > now:
                continue
            try:
                return (yield from self.inner.request(asked))
            except retry.Throttled as exc:
                self.resting[provider.index] = time.monotonic() + exc.wait_s
                if last:
                    raise
            except retry.LLMRequestRejected as exc:
                if last or exc.error_class not in MOVES_ON:
                    raise
            except retry.LLMUnavailable:
                if last:
                    raise
        raise AssertionError("unreachable")  # the primary is always tried last at the latest


class ByProvider:
    """Below the budget gate: each provider's own retry loop (its limiter, breaker and key)."""

    def __init__(self, retryings: list):
        self.retryings = retryings

    def request(self, request: ChatRequest):
        provider = request.provider
        return self.retryings[provider.index if provider is not None else 0].request(request)
