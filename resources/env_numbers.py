"""A number an operator sets in the environment (a wait, a size cap): read when asked, checked with one message."""

import os


def env_number(name: str, default: float, unit: str, allow_zero: bool = False) -> float:
    """float(os.environ[name]), else `default`; a ValueError naming the variable and `unit` when it is not
    a number or not positive (zero allowed with allow_zero)."""
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number of {unit}, got {raw!r}") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'zero or more' if allow_zero else 'positive'}, got {raw!r}")
    return value
