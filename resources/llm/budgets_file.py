"""Budgets across runs: the YAML file named by AIWF_BUDGETS, read when a session opens (never at import).

    budgets:
      - {scope: workflow, name: returns_triage, usd: 5.00, window: day}
      - {scope: tag, name: "team=growth", usd: 200, window: month}

A `workflow` budget covers every model call of the asset group of that name; a `tag` budget every call of a run
tagged key=value. Windows are UTC: `day` (2026-03-02), `week` (ISO week, 2026-W10) or `month` (2026-03); a new
window starts from 0. What each budget spent in its window lives in the state store (resources/state/spend.py),
shared by every process and worker. The file is re-read whenever it changes, so a raised budget applies at once.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ENV = "AIWF_BUDGETS"
WINDOWS = ("day", "week", "month")
SCOPES = ("workflow", "tag")


class BudgetFileError(ValueError):
    """The AIWF_BUDGETS file is not of the shape above; the message names the file and the entry."""


@dataclass(frozen=True)
class BudgetLine:
    """One budget of the file: a cap in USD per window on a workflow's or a run tag's model calls."""

    scope: str
    name: str
    usd: float
    window: str

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.name}"

    def window_key(self, now: float | None = None) -> str:
        """The current window's name (UTC), under which its spend is kept."""
        at = datetime.fromtimestamp(now, timezone.utc) if now is not None else datetime.now(timezone.utc)
        if self.window == "day":
            return at.date().isoformat()
        if self.window == "week":
            year, week, _ = at.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{at.year}-{at.month:02d}"

    def applies(self, workflow: str | None, tags: dict) -> bool:
        if self.scope == "workflow":
            return workflow == self.name
        key, _, value = self.name.partition("=")
        return tags.get(key) == value

    def describe(self) -> str:
        return f"{self.scope} {self.name} (${self.usd:g} per {self.window})"


_loaded: dict[str, tuple[tuple[int, int], list[BudgetLine]]] = {}


def load_budgets(path: str | None = None) -> list[BudgetLine]:
    """Every budget in the file (AIWF_BUDGETS unless named); [] when none is configured."""
    path = path or os.environ.get(ENV) or None
    if not path:
        return []
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise BudgetFileError(f"{ENV}={path}: cannot read the budgets file ({exc.strerror})") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached is None or cached[0] != stamp:
        cached = _loaded[path] = (stamp, _parse(file, file.read_text(encoding="utf-8")))
    return cached[1]


def _parse(path: Path, text: str) -> list[BudgetLine]:
    import yaml

    doc = yaml.safe_load(text) or {}
    entries = doc.get("budgets") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise BudgetFileError(f"{path}: expected a top-level `budgets:` list")
    lines = []
    for i, entry in enumerate(entries):
        where = f"{path}: budgets[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"scope", "name", "usd", "window"}:
            raise BudgetFileError(f"{where}: needs exactly scope, name, usd and window")
        if entry["scope"] not in SCOPES or entry["window"] not in WINDOWS:
            raise BudgetFileError(f"{where}: scope must be one of {SCOPES}, window one of {WINDOWS}")
        if entry["scope"] == "tag" and "=" not in str(entry["name"]):
            raise BudgetFileError(f"{where}: a tag budget's name is key=value, e.g. team=growth")
        try:
            usd = float(entry["usd"])
        except (TypeError, ValueError):
            raise BudgetFileError(f"{where}: usd must be a number") from None
        if usd < 0:
            raise BudgetFileError(f"{where}: usd must not be negative")
        lines.append(BudgetLine(entry["scope"], str(entry["name"]), usd, entry["window"]))
    return lines


def applicable(workflow: str | None, tags: dict | None) -> list[BudgetLine]:
    """The budgets that cover a call of `workflow` (an asset group) in a run with `tags`."""
    return [line for line in load_budgets() if line.applies(workflow, tags or {})]
