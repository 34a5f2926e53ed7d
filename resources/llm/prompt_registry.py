"""What aiwf knows about prompt versions, in its Store: the (name, version, hash, content hash) each version had
when first seen, so text, params, tier or output schema edited under an unchanged version is refused instead of
silently mixing two requests under one version in the ledger, cache and checkpoints; and status overrides
(promote, rollback, canary rollback), which the LLM session applies to a prompt file's live handle.

The check runs when a prompt file is first used, not when Definitions load (that does no I/O): `live()` records
and checks a file once per process per store, and `aiwf prompts check` (run by `make test`) checks every file.

A status override applies while the file still names the live/candidate it was made against: editing the
file's live or candidate later is a newer, deliberate decision and wins. Every change goes to the audit trail
in the same transaction (outbox) as the status row.
"""

import threading
import time
from dataclasses import dataclass

from resources.audit.log import AuditLog
from resources.llm.prompt_files import PromptFile
from resources.llm.prompt_hashes import CHECKED, change, schema_hash
from resources.state.store import Store



_checked: set[tuple] = set()  # (store, prompt name, content hashes) recorded and checked in this process
_checked_lock = threading.Lock()


class PromptChanged(ValueError):
    """A recorded version whose text, params, tier or output schema changed: it needs a new version."""


@dataclass(frozen=True)
class Effective:
    """The status in force for one prompt: file defaults with any current Store override applied."""

    live: str
    candidate: str | None
    share: float
    overridden: bool


class PromptRegistry:
    def __init__(self, store: Store):
        self.store = store

    # --- versions -------------------------------------------------------------------------------------------
    def record(self, files: list[PromptFile]) -> None:
        """Record every version not seen before (each one an audit line: what went live unrecorded is on the
        trail); raise PromptChanged naming each version whose text, params, tier or output schema (the reference
        and the JSON schema of its class) differ from what was recorded, all of them, each refusal audited.
        Hashes a version was recorded without (older homes) are filled in while everything recorded matches."""
        known = {(r["name"], r["version"]): r for r in self.store.query(
            "SELECT name, version, hash, content_hash, schema_hash FROM prompt_versions")}
        changed, new, filled = [], [], []
        for pf in files:
            for version, prompt in pf.versions.items():
                now = {"hash": prompt.hash, "content_hash": pf.content_hash(version),
                       "schema_hash": schema_hash(pf.schema_ref(version))}
                seen = known.get((pf.name, version))
                if seen is None:
                    new.append((pf, version, now))
                    continue
                diff = next((f for f in CHECKED if seen[f] is not None and seen[f] != now[f]), None)
                if diff:
                    changed.append(change(pf, version, diff, seen[diff], now[diff]))
                elif any(seen[f] is None and now[f] is not None for f in CHECKED):
                    filled.append((now["content_hash"], now["schema_hash"], pf.name, version))
        self._insert(new)
        if filled:
            self.store.executemany("UPDATE prompt_versions SET content_hash = COALESCE(content_hash, ?), "
                                   "schema_hash = COALESCE(schema_hash, ?) WHERE name = ? AND version = ?", filled)
        if changed:
            log = AuditLog(self.store)
            for refused in changed:
                log.append("prompt_change_refused", refused["event"], {"actor": "aiwf"})
            raise PromptChanged("; ".join(c["message"] for c in changed))

    def _insert(self, new: list[tuple[PromptFile, str, dict]]) -> None:
        """Record first-seen versions, each with its audit line in the same transaction (only where this call
        inserted the row: two processes meeting a new version at once write one line)."""
        if not new:
            return
        log = AuditLog(self.store)
        with self.store.transaction() as cur:
            for pf, version, now in new:
                cur.execute("INSERT INTO prompt_versions (name, version, hash, content_hash, schema_hash, "
                            "first_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                            (pf.name, version, now["hash"], now["content_hash"], now["schema_hash"], time.time()))
                if cur.rowcount == 1:
                    log.enqueue(cur, "prompt_version_recorded", {"prompt": pf.name, "version": version, **now,
                                                                 "tier": pf.tier(version),
                                                                 "schema": pf.schema_ref(version),
                                                                 "path": str(pf.path) if pf.path else None},
                                {"actor": "aiwf"})
        log.flush()

    def recorded(self, name: str | None = None) -> list[dict]:
        sql, params = "SELECT name, version, hash, content_hash, schema_hash, first_seen FROM prompt_versions", ()
        if name:
            sql, params = sql + " WHERE name = ?", (name,)
        return self.store.query(sql + " ORDER BY name, version", params)

    # --- status ---------------------------------------------------------------------------------------------
    def effective(self, pf: PromptFile) -> Effective:
        row = self._latest(pf.name)
        if (row and row["file_live"] == pf.live and row["file_candidate"] == pf.candidate
                and row["live"] in pf.versions and (row["candidate"] is None or row["candidate"] in pf.versions)):
            return Effective(row["live"], row["candidate"], float(row["share"] or 0), True)
        return Effective(pf.live, pf.candidate, pf.share, False)

    def live(self, pf: PromptFile) -> str:
        """The version in force; the file is checked against what the Store recorded on its first use here."""
        self.check_once(pf)
        return self.effective(pf).live

    def check_once(self, pf: PromptFile) -> None:
        """`record([pf])` once per process per store and file content: a PromptChanged the first time a session
        uses an edited file's live handle, not on every call."""
        key = (self.store.url, str(self.store.home), pf.name, tuple(pf.content_hash(v) for v in pf.versions))
        if key in _checked:
            return
        with _checked_lock:
            if key not in _checked:
                self.record([pf])
                _checked.add(key)

    def candidate(self, pf: PromptFile) -> tuple[str | None, float]:
        eff = self.effective(pf)
        return eff.candidate, eff.share if eff.candidate else 0.0

    def status(self, pf: PromptFile) -> dict[str, str]:
        """version → live / candidate / retired, Store overrides applied."""
        eff = self.effective(pf)
        return {v: "live" if v == eff.live else "candidate" if v == eff.candidate else "retired"
                for v in pf.versions}

    def history(self, name: str) -> list[dict]:
        return self.store.query("SELECT * FROM prompt_status WHERE name = ? ORDER BY id", (name,))

    def promote(self, pf: PromptFile, version: str, *, reason: str = "", actor: str | None = None) -> Effective:
        """Make `version` live; it stops being the candidate (ending its canary)."""
        pf.version(version)
        eff = self.effective(pf)
        if version == eff.live:
            raise ValueError(f"prompt {pf.name} version {version} is already live")
        candidate = None if eff.candidate in (version, None) else eff.candidate
        return self._set(pf, "promote", version, candidate, eff.share if candidate else 0.0, reason, actor,
                         {"from_version": eff.live})

    def rollback(self, pf: PromptFile, *, reason: str = "", actor: str | None = None) -> Effective:
        """With a candidate: retire it, so the next run uses only live (a canary rollback). Without one: go back
        to the version that was live before the last promotion."""
        eff = self.effective(pf)
        if eff.candidate:
            return self._set(pf, "rollback_candidate", eff.live, None, 0.0, reason, actor,
                             {"retired_version": eff.candidate, "share": eff.share})
        previous = self._previous_live(pf, eff.live)
        if previous is None:
            raise ValueError(f"prompt {pf.name}: nothing to roll back (no candidate, and version {eff.live} was "
                             "not promoted over another)")
        return self._set(pf, "rollback", previous, None, 0.0, reason, actor, {"from_version": eff.live})

    def _previous_live(self, pf: PromptFile, live: str) -> str | None:
        for row in reversed(self.history(pf.name)):
            if row["action"] == "promote" and row["live"] == live:
                return self._live_before(pf, row["id"])
        return None

    def _live_before(self, pf: PromptFile, row_id: int) -> str:
        rows = self.store.query("SELECT live, file_live, file_candidate FROM prompt_status WHERE name = ? AND "
                                "id < ? ORDER BY id DESC LIMIT 1", (pf.name, row_id))
        if rows and rows[0]["file_live"] == pf.live and rows[0]["file_candidate"] == pf.candidate:
            return rows[0]["live"]
        return pf.live

    def _latest(self, name: str) -> dict | None:
        rows = self.store.query("SELECT * FROM prompt_status WHERE name = ? ORDER BY id DESC LIMIT 1", (name,))
        return rows[0] if rows else None

    def _set(self, pf: PromptFile, action: str, live: str, candidate: str | None, share: float, reason: str,
             actor: str | None, extra: dict) -> Effective:
        log = AuditLog(self.store)
        with self.store.transaction() as cur:
            cur.execute("INSERT INTO prompt_status (ts, name, action, live, candidate, share, file_live, "
                        "file_candidate, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (time.time(), pf.name, action, live, candidate, share, pf.live, pf.candidate, reason,
                         actor))
            log.enqueue(cur, f"prompt_{action}", {"prompt": pf.name, "live": live, "candidate": candidate,
                                                  "share": share, "reason": reason, **extra},
                        {"actor": actor or "aiwf"})
        log.flush()
        return self.effective(pf)
