"""Which model errors are worth retrying, and how long to wait: exponential backoff, full jitter, Retry-After."""

import email.utils
import random
import time

import openai


class LLMError(RuntimeError):
    """A model call that failed for good; the message names the model and prompt."""

    def __init__(self, message: str, *, error_class: str | None = None, attempts: int = 1):
        super().__init__(message)
        self.error_class = error_class or type(self).__name__  # what quarantine rows are grouped by
        self.attempts = attempts


class LLMRequestRejected(LLMError):
    """The provider refused the request (bad request, auth, context too long): retrying cannot help."""


class LLMUnavailable(LLMError):
    """The provider kept failing (429, 5xx, timeouts) through every attempt."""


class BudgetExceeded(LLMError):
    """The run would pass its budget; nothing was sent."""


RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)


def is_retryable(exc: BaseException) -> bool:
    """429, 408, 409, 5xx, timeouts and connection errors are transient; other 4xx are final."""
    if isinstance(exc, RETRYABLE):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 409) or (
        isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
    )


def retry_after_s(exc: BaseException) -> float | None:
    """The server's requested wait, from retry-after-ms or Retry-After (seconds or an HTTP date)."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def backoff_s(attempt: int, exc: BaseException, base_s: float, max_s: float) -> float:
    """Wait before attempt+1: the server's Retry-After when given, else capped exponential with full jitter."""
    requested = retry_after_s(exc)
    if requested is not None:
        return min(requested, max_s * 4) + random.uniform(0, base_s / 4)
    return random.uniform(base_s / 2, min(max_s, base_s * 2 ** (attempt - 1)))


def error_class(exc: BaseException) -> str:
    """A short class for the ledger: rate_limit, server_error, timeout, bad_request, auth, ..."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limit"
    if isinstance(exc, openai.APIStatusError):
        code = getattr(exc, "code", None)
        if code == "context_length_exceeded":
            return "context_too_long"
        if exc.status_code in (401, 403):
            return "auth"
        return "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
    return type(exc).__name__
