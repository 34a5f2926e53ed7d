"""What a reviewer's edit of a structured proposal may change: the wording and the route, never the target,
and amounts only downwards.

In an approval's output (a JSON object, at any depth) identity fields (`id`, `*_id`, `sku`, `item_key`,
`partition`, `step`, `tool`, `currency`) are fixed: an edit keeps them and adds none. Amounts that pay out
(`amount`, `percent`, `refund*`, and values in a currency: `*_eur`, `*_usd`, `*_gbp`, `*_chf`) may only stay or
go down: a finite number of at least 0 and at most what was proposed; an amount the proposal lacked (a
`refund_eur` beside `price_eur`) at most the largest amount proposed beside it. A larger amount needs a new
proposal, decided afresh. A product's `price` is a price, not money out, and stays free to edit.
"""

import math
import re
from typing import Any

_FIXED = re.compile(r"^(?:id|.*_id|sku|item_key|partition|step|tool|currency)$", re.IGNORECASE)
_CEILING = re.compile(r"^(?:amount|.*_amount|percent|refund.*|.*_(?:eur|usd|gbp|chf))$", re.IGNORECASE)


class EditRefused(ValueError):
    """A reviewer's edit that would move money elsewhere or more of it (the review API answers 422)."""


def edit_problems(proposed: Any, edited: Any, where: str = "") -> list[str]:
    """Why `edited` may not replace `proposed` ([] when it may); only JSON objects carry fixed fields."""
    if not isinstance(edited, dict):
        return []
    if not isinstance(proposed, dict):
        fixed = [k for k in edited if _FIXED.match(str(k)) or _CEILING.match(str(k))]
        return [f"{where}{k} is not in the proposal: an edit cannot add a target or an amount" for k in fixed]
    problems = []
    for key in sorted({*proposed, *edited}, key=str):
        name, was, now = f"{where}{key}", proposed.get(key), edited.get(key)
        if _FIXED.match(str(key)) and (key not in edited or key not in proposed or now != was):
            problems.append(f"{name} is fixed: proposed {was!r}, edit has {now!r}")
        elif _CEILING.match(str(key)) and key in edited:
            problems += _amount_problem(name, now, was if key in proposed else _largest(proposed))
        elif isinstance(now, dict):
            problems += edit_problems(was, now, f"{name}.")
    return problems


def check_edit(proposed: Any, edited: Any) -> None:
    """Raise EditRefused naming every problem of an edit."""
    problems = edit_problems(proposed, edited)
    if problems:
        raise EditRefused("the edit is refused: " + "; ".join(problems) + " (a larger or redirected payment needs a "
                          "new proposal)")


def _amount_problem(name: str, now: Any, ceiling: Any) -> list[str]:
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        return [f"{name} must be a number, got {now!r}"]
    if not math.isfinite(now) or now < 0:
        return [f"{name} must be a finite number of at least 0, got {now!r}"]
    if isinstance(ceiling, bool) or not isinstance(ceiling, (int, float)):
        return [f"{name} is not in the proposal and nothing beside it caps it"]
    if now > ceiling:
        return [f"{name} {now:g} is above what was proposed ({ceiling:g})"]
    return []


def _largest(proposed: dict) -> float | None:
    amounts = [v for k, v in proposed.items() if _CEILING.match(str(k)) and isinstance(v, (int, float))
               and not isinstance(v, bool) and math.isfinite(v)]
    return max(amounts) if amounts else None
