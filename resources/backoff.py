"""How long to wait before retrying a remote call, for every client aiwf has (model API, connectors).

One rule: the server's Retry-After when it gives one (capped, with a little jitter so clients that
were told the same instant do not return together), else capped exponential backoff with equal jitter
(half fixed, half random), so waits grow with each attempt but never collapse to zero.
"""

import email.utils
import random
import time
from collections.abc import Mapping


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a server asked for, from retry-after-ms or Retry-After (seconds or an HTTP date)."""
    if not headers:
        return None
    if headers.get("retry-after-ms"):
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, parsed.timestamp() - time.time())


def backoff_s(attempt: int, base_s: float, max_s: float, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
    """The wait before attempt+1 (`attempt` counts from 1)."""
    rng = rng or random
    if retry_after is not None:
        return min(retry_after, max_s * 4) + rng.uniform(0, base_s / 4)
    delay = min(max_s, base_s * 2 ** (attempt - 1))
    return delay / 2 + rng.uniform(0, delay / 2)
