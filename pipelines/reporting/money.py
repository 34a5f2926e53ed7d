"""Costs as `aiwf report` shows them (text and HTML): a call to a model with no price has an unknown cost, never $0,
so a figure that leaves such calls out says so."""


def cost_text(usd: float | None, unpriced_calls: int = 0, none: str = "-") -> str:
    """'$0.0123'; with unpriced calls '$0.0123 + 2 unpriced calls'; with only those 'unknown (2 unpriced calls)'."""
    if usd is None:
        return none
    if not unpriced_calls:
        return f"${usd:,.4f}"
    calls = f"{unpriced_calls:,} unpriced call{'s' if unpriced_calls != 1 else ''}"
    return f"${usd:,.4f} + {calls}" if usd else f"unknown ({calls})"


def share_text(usd: float | None, unpriced_calls: int = 0, none: str = "-") -> str:
    """A cost per run or per partition: '$0.0041', or at least that ('≥$0.0041') when some calls are unpriced."""
    if usd is None:
        return none
    if not unpriced_calls:
        return f"${usd:,.4f}"
    return f"≥${usd:,.4f}" if usd else "unknown"
