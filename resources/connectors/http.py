"""The HTTP JSON connector: Idempotency-Key on every mutating request, timeouts, retries, a circuit breaker."""

import logging
import random
import time
from typing import Any, Callable

import httpx

from resources import backoff
from resources.connectors.action import Action, Connector
from resources.connectors.breaker import CircuitBreaker, breaker_for
from resources.connectors.errors import (
    IdempotencyConflict,
    OutcomeUnknown,
    OutcomeUnverified,
    PermanentError,
    TransientError,
)
from resources.connectors.ledger import ActionLedger

log = logging.getLogger(__name__)

# 409: the same key is still being processed by the other side; 429: rate limited. Both pass with time.
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class HttpConnector(Connector):
    """Sends `Action`s whose payload is {"method", "path", "json"} to a JSON API that honours Idempotency-Key.
    Only a 2xx answer is success: a redirect is not followed, and an action answered with one is held in doubt.

    Transient failures (5xx, 429, timeouts, connection errors) are retried with exponential backoff and jitter,
    always with the same key, so a request that was applied but whose response was lost is answered from the
    server's stored result instead of being applied twice.
    """

    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        ledger: ActionLedger,
        owner: str | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 5,
        backoff_base_s: float = 0.2,
        backoff_max_s: float = 5.0,
        breaker: CircuitBreaker | None = None,
        retry_ambiguous: bool = True,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        if not base_url:
            raise ValueError(f"{type(self).__name__} needs a base_url (for the shop: set AIWF_SHOP_URL)")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        super().__init__(ledger, owner)
        self.base_url = base_url.rstrip("/")
        self.max_attempts, self.backoff_base_s, self.backoff_max_s = max_attempts, backoff_base_s, backoff_max_s
        self.breaker = breaker or breaker_for(self.base_url)
        # A service that cannot dedupe (a Slack webhook) must not be re-sent after an answer that may hide success.
        self.retry_ambiguous = retry_ambiguous
        self._sleep, self._rng = sleep, rng or random.Random()
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        # Credentials live only in the client's headers: never in the ledger, logs or metadata.
        self._client = httpx.Client(base_url=self.base_url, headers=headers or {}, timeout=timeout, transport=transport)

    def _perform(self, action: Action, key: str) -> dict[str, Any]:
        p = action.payload
        return self.request(p["method"], p["path"], p.get("json"), key)

    def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
        """One logical request, retried on transient failures with the same key; returns status, body, replayed."""
        headers = {"Idempotency-Key": key} if key else {}
        where = f"{method} {self._where(path)}"
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.breaker.before_call()  # CircuitOpenError stops the retries: the service is down, not flaky
            self.stats.requests += 1
            response = None
            if attempt > 1:
                self.stats.retries += 1
            try:
                response = self._client.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
                self.breaker.record_failure()
                last = TransientError(f"{where}: {type(exc).__name__}: {exc}")
                ambiguous = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
            else:
                code = response.status_code
                self.stats.by_status[str(code)] = self.stats.by_status.get(str(code), 0) + 1
                if 200 <= code < 300:
                    self.breaker.record_success()
                    return _result(response)
                if code < 400:  # a redirect is not followed: where it leads, and what it did, is unverified
                    self.breaker.record_success()
                    raise OutcomeUnverified(f"{where}: HTTP {code}: a redirect, not followed; whether it took effect "
                                            "is unverified", code)
                if code not in RETRYABLE_STATUS:
                    self.breaker.record_success()  # the service is up; it refused this request
                    raise _refusal(where, key, response)
                self.breaker.record_failure()
                last = TransientError(f"{where}: HTTP {code}: {_error_text(response)}")
                ambiguous = code >= 500
            if ambiguous and not self.retry_ambiguous:
                raise OutcomeUnknown(f"{last} (outcome unknown; not re-sent because the service cannot dedupe)")
            if attempt < self.max_attempts:
                delay = self._backoff(attempt, response)
                log.info("retrying %s in %.2fs (attempt %d/%d): %s", where, delay, attempt, self.max_attempts, last)
                self._sleep(delay)
        raise TransientError(f"gave up after {self.max_attempts} attempts: {last}")

    def get(self, path: str) -> dict[str, Any] | None:
        """A read (no key, no ledger); None when the resource does not exist."""
        try:
            return self.request("GET", path)["body"]
        except PermanentError as exc:
            if exc.status_code == 404:
                return None
            raise

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = backoff.retry_after_s(response.headers if response is not None else None)
        return backoff.backoff_s(attempt, self.backoff_base_s, self.backoff_max_s, retry_after, self._rng)

    def _where(self, path: str) -> str:
        """How a request's target appears in errors and logs (SlackWebhook hides its secret path)."""
        return path

    def close(self) -> None:
        self._client.close()


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = response.text[:1000]
    replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
    return {"status_code": response.status_code, "body": body, "replayed": replayed}


def _error_text(response: httpx.Response) -> str:
    try:
        err = response.json().get("error", {})
        return err.get("message", str(err)) if isinstance(err, dict) else str(err)
    except (ValueError, AttributeError):
        return response.text[:300]


def _refusal(where: str, key: str | None, response: httpx.Response) -> Exception:
    try:
        kind = (response.json().get("error") or {}).get("type", "")
    except (ValueError, AttributeError):
        kind = ""
    text = f"{where}: HTTP {response.status_code}: {_error_text(response)}"
    if kind == "idempotency_error":
        return IdempotencyConflict(f"{text} (Idempotency-Key {key} was used before with a different payload)")
    return PermanentError(text, response.status_code)
