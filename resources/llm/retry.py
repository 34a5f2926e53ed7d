"""Which model errors are worth retrying, and how long to wait (the shared rule in resources/backoff.py).

`openai` is imported where an error is classified, never at import: loading definitions that name these
error classes does not pay for the client (by then a request was sent, so it is loaded anyway).
"""

from resources import backoff


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


class CircuitOpen(LLMUnavailable):
    """The endpoint failed the same way too many times in a row: nothing is sent until its probe answers."""


class Throttled(LLMUnavailable):
    """The provider asked to wait longer than the failover threshold (a long Retry-After): the request moves to the
    next provider (resources/llm/failover.py) instead of waiting."""

    def __init__(self, message: str, *, wait_s: float, **kwargs):
        super().__init__(message, **kwargs)
        self.wait_s = wait_s


class BudgetExceeded(LLMError):
    """The run would pass its budget; nothing was sent."""


def is_retryable(exc: BaseException) -> bool:
    """429, 408, 409, 5xx, timeouts and connection errors are transient; other 4xx are final."""
    import openai

    if isinstance(exc, (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 409) or (
        isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
    )


def backoff_s(attempt: int, exc: BaseException, base_s: float, max_s: float) -> float:
    """Wait before attempt+1: the server's Retry-After when the error carries one, else exponential backoff."""
    response = getattr(exc, "response", None)
    return backoff.backoff_s(attempt, base_s, max_s, backoff.retry_after_s(getattr(response, "headers", None)))


def retry_after(exc: BaseException) -> float | None:
    """The seconds the provider asked to wait (Retry-After), or None when it did not say."""
    response = getattr(exc, "response", None)
    return backoff.retry_after_s(getattr(response, "headers", None))


def error_class(exc: BaseException) -> str:
    """A short class for the ledger: rate_limit, server_error, timeout, bad_request, auth, ..."""
    import openai

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
        if code == "cassette_miss":  # resources/llm/cassette.py: the request was never recorded
            return "cassette_miss"
        if exc.status_code in (401, 403):
            return "auth"
        return "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
    return type(exc).__name__
