"""The retry layer: limiter waits, the endpoint's breaker, backoff on transient errors, a ledger row per attempt.

A provider outage (connection errors, timeouts, 5xx; not auth) at the last provider a request can go to is waited
out for `outage_wait_s()` (AIWF_MODEL_OUTAGE_WAIT_S, default 0: fail as soon as the circuit opens; the team
server's supervisor sets 300): attempts are not counted against `max_attempts` meanwhile, and while the circuit is
open the request only looks at it every OPEN_LOOK_S, so the endpoint sees one probe per `breaker_cooldown_s`. A
provider with a failover after it is left at once, as before.

Waits (limiter, backoff) are yielded as pauses in slices; after each slice the request's claim in the shared
Store is renewed (resources/llm/claims.py), so another run never takes over a request still being sent. The
sync and async drivers (resources/llm/transport.py) sleep them; the logic here is written once.
"""

import os
import time
from typing import TYPE_CHECKING

from resources.llm import retry
from resources.llm.breaker import EndpointBreaker
from resources.llm.cassette import REPLAYED_HEADER
from resources.llm.instrumented import wants_response
from resources.llm.openai_calls import OFFLINE_HEADER, RawChat, message
from resources.llm.pricing import Usage
from resources.llm.recording import Recorder
from resources.llm.request import ChatRequest
from resources.safety.secrets import scrub

OUTAGE_WAIT_ENV = "AIWF_MODEL_OUTAGE_WAIT_S"
OUTAGE = ("connection", "timeout", "server_error")  # an endpoint that is down, not one that refuses us (auth)
OPEN_LOOK_S = 1.0  # while the circuit is open, how often a waiting request looks at it again


def outage_wait_s() -> float:
    """Seconds a provider outage is waited out at the last provider: AIWF_MODEL_OUTAGE_WAIT_S, default 0."""
    raw = os.environ.get(OUTAGE_WAIT_ENV, "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        raise ValueError(f"{OUTAGE_WAIT_ENV} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{OUTAGE_WAIT_ENV} must be 0 or more seconds, got {raw!r}")
    return value


class Outage:
    """One request's wait for its endpoint to come back: starts at the first outage it sees, lasts `budget_s`."""

    def __init__(self, budget_s: float, clock=time.monotonic):
        self.budget_s, self.clock, self.since = budget_s, clock, None

    def waits(self, kind: str | None) -> bool:
        """Whether a failure of this class is waited out now (starting the wait at the first one)."""
        if self.budget_s <= 0 or kind not in OUTAGE:
            return False
        self.since = self.clock() if self.since is None else self.since
        return self.clock() - self.since < self.budget_s

    def pause(self, pause_s: float) -> float:
        return max(0.0, min(pause_s, self.since + self.budget_s - self.clock()))

if TYPE_CHECKING:
    import openai


class Reply:
    """An answered attempt as the layers above the retry loop see it, with its ledger rows held back."""

    __slots__ = ("raw", "usage", "cost", "offline", "rows", "answer", "replayed")

    def __init__(self, raw, usage: Usage, cost: float, offline: bool, rows: list, replayed: bool = False):
        self.raw, self.usage, self.cost, self.offline, self.rows, self.answer = raw, usage, cost, offline, rows, None
        self.replayed = replayed  # a cassette's answer (its REPLAYED_HEADER): recorded, never cached


def pauses(seconds: float, slice_s: float, keep):
    """Yield the pause in slices of at most `slice_s`, calling `keep()` (renew claims) after each."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        yield float(min(left, slice_s))
        keep()
    keep()


def cause(exc: "openai.APIError", secrets: list) -> str:
    """What went wrong, HTTP status first, scrubbed of the key (providers echo it back)."""
    import openai

    said = scrub(message(exc), secrets)
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"provider answers {status}: {said}"
    return f"{'timed out' if isinstance(exc, openai.APITimeoutError) else 'cannot connect'}: {said}"


class Retrying:
    """Sends through `inner` (the transport) until an attempt is answered or retrying cannot help."""

    def __init__(self, inner, resource, limiter, breaker: EndpointBreaker, recorder: Recorder, keep, slice_s: float,
                 api_key: str | None = None, failover_after_s: float | None = None):
        self.inner, self.resource, self.limiter, self.breaker = inner, resource, limiter, breaker
        self.recorder, self.keep, self.slice_s = recorder, keep, slice_s
        self.secrets = [api_key or resource.api_key]  # this provider's key, scrubbed from every cause
        self.failover_after_s = failover_after_s  # a longer Retry-After moves the request on (None: waits)
        # the last provider (None above) waits an outage out; one with a failover after it moves on at once
        self.outage_wait_s = outage_wait_s() if failover_after_s is None else 0.0

    def request(self, request: ChatRequest):
        import openai  # here, not with the module: a step whose answers are all cached never loads the client

        attempt, outage = 0, Outage(self.outage_wait_s)
        while True:
            try:
                self.breaker.before(request.what)
            except retry.CircuitOpen as exc:
                if not outage.waits(exc.error_class):
                    raise
                yield from pauses(outage.pause(OPEN_LOOK_S), self.slice_s, self.keep)
                continue
            attempt += 1
            yield from self._throttle(request)
            sent = self.recorder.sent(request, attempt)  # in the ledger before it leaves: never paid unrecorded
            started = time.perf_counter()
            try:
                raw = yield from self.inner.request(request)
            except openai.APIError as exc:
                yield from pauses(self._failed(request, exc, attempt, started, sent, outage), self.slice_s,
                                  self.keep)
                continue
            return self._answered(request, raw, attempt, started, sent)

    def _throttle(self, request: ChatRequest):
        """Wait for the limiter: once for a reservation (per process), or until the shared budget lets it go."""
        while (wait := self.limiter.reserve(request.est_tokens, request.model)) > 0:
            yield from pauses(wait, self.slice_s, self.keep)
            if self.limiter.reserves_ahead:
                return

    def _failed(self, request: ChatRequest, exc, attempt: int, started: float, sent: int | None = None,
                outage: Outage | None = None) -> float:
        """Record the failed attempt; return how long to wait, or raise when retrying cannot help (an outage
        being waited out lifts `max_attempts`)."""
        kind = retry.error_class(exc)
        self.recorder.row(request, status="error", attempt=attempt, error_class=kind,
                          latency_ms=(time.perf_counter() - started) * 1000, sent_id=sent)
        # The provider's text may echo the key: scrubbed, and the openai exception (whose str and response
        # carry it too) is not chained into logs or run storage.
        why = cause(exc, self.secrets)
        self.breaker.failed(kind, why)
        if not retry.is_retryable(exc):
            raise retry.LLMRequestRejected(f"{request.what} rejected the request: {why}", error_class=kind,
                                           attempts=attempt) from None
        if attempt >= self.resource.max_attempts and not (outage is not None and outage.waits(kind)):
            raise retry.LLMUnavailable(f"{request.what} failed {attempt} attempts; last: {why}", error_class=kind,
                                       attempts=attempt) from None
        if kind == "rate_limit" and self.failover_after_s is not None:
            asked = retry.retry_after(exc)
            if asked is not None and asked > self.failover_after_s:
                raise retry.Throttled(f"{request.what} asked to wait {asked:g} s: {why}", wait_s=asked,
                                      error_class=kind, attempts=attempt) from None
        return retry.backoff_s(attempt, exc, self.resource.backoff_base_s, self.resource.backoff_max_s)

    def _answered(self, request: ChatRequest, raw, attempt: int, started: float, sent: int | None = None) -> Reply:
        latency = (time.perf_counter() - started) * 1000
        self.breaker.answered()
        offline, replayed = raw.headers.get(OFFLINE_HEADER) == "1", raw.headers.get(REPLAYED_HEADER) == "1"
        if isinstance(raw, RawChat):  # counts from the body; the ChatCompletion only for a span
            usage, parsed = Usage.from_openai(raw.data().get("usage")), raw.parse() if wants_response() else None
        else:
            parsed = raw.parse()
            usage = Usage.from_openai(getattr(parsed, "usage", None))
        rows: list = []
        record = self.recorder.row(request, status="ok", attempt=attempt, latency_ms=latency, usage=usage,
                                   offline=offline, response=parsed, held=rows, replayed=replayed, sent_id=sent)
        self.limiter.settle(request.est_tokens, usage.input + usage.output, request.model)
        return Reply(raw, usage, record.cost_usd, offline, rows, replayed)
