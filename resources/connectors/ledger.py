"""The action ledger: one row per external action (intent → done, failed or compensated), keyed by idempotency key.

An action recorded `done` is never sent again; a replay with a different payload under the same key is refused.
Every status change is also appended to `action_history`, so the ledger shows what happened and when.
"""

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from resources.connectors.errors import ActionCompensated, ActionInDoubt, ActionInFlight, IdempotencyConflict
from resources.state.store import Store


STATUSES = ("intent", "done", "failed", "compensated", "in_doubt")
_SECRET_WORDS = ("token", "secret", "password", "authorization", "api_key", "apikey", "webhook_url")


def idempotency_key(workflow: str, entity: str, action: str, payload_version: str) -> str:
    """The one key of a logical change: same workflow, entity, action and payload version → same key."""
    parts = [str(p) for p in (workflow, entity, action, payload_version)]
    if not all(parts):
        raise ValueError(f"an idempotency key needs workflow, entity, action and payload_version, got {parts}")
    return "aiwf-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def payload_hash(payload: Any) -> str:
    """Hash of the canonical JSON of a payload: key order and whitespace do not change it."""
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def redact(value: Any) -> Any:
    """The payload as stored: values under secret-looking keys replaced, so no ledger holds a credential."""
    if isinstance(value, dict):
        return {
            k: "***" if any(w in str(k).lower() for w in _SECRET_WORDS) else redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True)
class Claim:
    """What the ledger allows: send the action now, or skip it because it is already done."""

    send: bool
    status: str
    result: dict | None = None
    attempts: int = 0
    interrupted: bool = False  # an earlier attempt ended without recording its outcome (a crash mid-send)


class ActionLedger:
    """Durable intent/outcome records in aiwf's Store (SQLite by default, Postgres with AIWF_PG_URL)."""

    def __init__(self, store: Store, lease_s: float = 300.0):
        self.store = store
        self.lease_s = lease_s

    def claim(self, action, connector: str, owner: str, saga_id: str | None = None) -> Claim:
        """Record the intent to send `action` (or learn it is done); refuses a changed payload or a live claim."""
        key, phash, now = action.key, action.payload_hash, time.time()
        lock = " FOR UPDATE" if self.store.dialect == "postgres" else ""
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO action_ledger (idempotency_key, workflow, entity, action, payload_version, connector, "
                "payload_hash, payload, status, attempts, saga_id, compensates, owner, created_ts, updated_ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'intent', 1, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                (key, action.workflow, action.entity, action.action, action.payload_version, connector, phash,
                 canonical_json(redact(action.payload)), saga_id, action.compensates, owner, now, now),
            )
            if cur.rowcount == 1:
                self._history(cur, key, "intent", f"attempt 1 by {owner}")
                return Claim(True, "intent", attempts=1)
            cur.execute(
                "SELECT payload_hash, status, owner, updated_ts, attempts, result FROM action_ledger "
                f"WHERE idempotency_key = ?{lock}", (key,),
            )
            stored_hash, status, holder, updated, attempts, result = cur.fetchone()
            if stored_hash != phash:
                raise IdempotencyConflict(
                    f"idempotency key {key} ({action.describe()}) was first used with payload {stored_hash[:12]}, "
                    f"now {phash[:12]}: refused. Bump payload_version to make a new change."
                )
            if status == "done":
                return Claim(False, "done", json.loads(result) if result else None, attempts)
            if status == "compensated":
                raise ActionCompensated(f"{action.describe()} ({key}) was compensated; use a new payload_version")
            if status == "in_doubt":
                raise ActionInDoubt(f"{action.describe()} ({key}) may already have taken effect; confirm with the "
                                    "receiver, then settle it in the action ledger")
            if status == "intent" and holder != owner and now - updated < self.lease_s:
                raise ActionInFlight(f"{action.describe()} ({key}) is being sent by {holder}; retry later")
            cur.execute(
                "UPDATE action_ledger SET status = 'intent', owner = ?, attempts = attempts + 1, updated_ts = ? "
                "WHERE idempotency_key = ?", (owner, now, key),
            )
            self._history(cur, key, "intent", f"attempt {attempts + 1} by {owner} (was {status})")
            return Claim(True, "intent", attempts=attempts + 1, interrupted=status == "intent")

    def settle(self, key: str, applied: bool, by: str, note: str | None = None) -> None:
        """A person's answer for an action in doubt: it took effect (done) or it did not (failed: sent again on
        the next run)."""
        row = self.get(key)
        if row is None or row["status"] != "in_doubt":
            raise ValueError(f"{key} is not in doubt (status {row and row['status']})")
        outcome = "applied" if applied else "not applied"
        self.mark(key, "done" if applied else "failed", detail=f"settled by {by}: {note or outcome}",
                  settled={"settled_by": by, "note": note or outcome})

    def mark(
        self, key: str, status: str, result: dict | None = None, error: str | None = None, detail: str | None = None,
        settled: dict | None = None,
    ) -> None:
        """Move an action to done, failed or compensated, keeping its result or error (and, for a person's answer,
        who settled it and why: in the signed audit line too)."""
        if status not in STATUSES:
            raise ValueError(f"unknown action status {status!r}; expected one of {STATUSES}")
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE action_ledger SET status = ?, result = COALESCE(?, result), error = ?, updated_ts = ? "
                "WHERE idempotency_key = ?",
                (status, canonical_json(redact(result)) if result is not None else None, error, time.time(), key),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no action with idempotency key {key} in the ledger")
            self._history(cur, key, status, detail or error)
        self._audit(key, status, error, settled)

    def _audit(self, key: str, status: str, error: str | None, settled: dict | None = None) -> None:
        """Every side effect's outcome also lands in the hash-chained audit trail."""
        from resources.audit.log import audit_event  # the audit trail is optional to the ledger's users

        row = self.get(key) or {}
        audit_event(self.store, "side_effect", {"idempotency_key": key, "status": status, "error": error,
                                                **{f: row.get(f) for f in ("workflow", "entity", "action", "connector")},
                                                **(settled or {})},
                    {"run_id": owner[4:] if (owner := row.get("owner") or "").startswith("run-") else None,
                     "owner": owner, "payload_hash": row.get("payload_hash")})

    def money_moved(self, connector: str, action, field: str) -> float:
        """The sum of `field` (in the payload or its `json` body) over this connector's actions of the same kind
        on the same entity (the part before `#`: one order across its steps), `action` excluded; failed and
        compensated actions moved nothing."""
        base = action.entity.split("#")[0]
        rows = self.store.query(
            "SELECT idempotency_key, entity, payload FROM action_ledger WHERE connector = ? AND action = ? AND "
            "status IN ('intent', 'done', 'in_doubt') AND idempotency_key <> ? AND entity LIKE ? ESCAPE '!'",
            (connector, action.action, action.key, re.sub(r"([!%_])", r"!\1", base) + "%"))
        total = 0.0
        for row in rows:
            if row["entity"].split("#")[0] != base:
                continue
            payload = json.loads(row["payload"])
            body = payload.get("json") if isinstance(payload, dict) else None
            value = (body if isinstance(body, dict) else payload if isinstance(payload, dict) else {}).get(field)
            total += float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
        return total

    def get(self, key: str) -> dict | None:
        rows = self.store.query("SELECT * FROM action_ledger WHERE idempotency_key = ?", (key,))
        return rows[0] if rows else None

    def rows(self, workflow: str | None = None, saga_id: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM action_ledger WHERE 1 = 1", []
        for column, value in (("workflow", workflow), ("saga_id", saga_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return self.store.query(sql + " ORDER BY created_ts, idempotency_key", params)

    def history(self, key: str) -> list[dict]:
        return self.store.query(
            "SELECT ts, status, detail FROM action_history WHERE idempotency_key = ? ORDER BY id", (key,)
        )

    def counts(self, workflow: str | None = None) -> dict[str, int]:
        """How many actions are in each status (for metadata and the demo summary)."""
        out = dict.fromkeys(STATUSES, 0)
        for row in self.rows(workflow):
            out[row["status"]] += 1
        return out

    def transitions_by_workflow(self, since: float, until: float) -> dict[str, dict[str, int]]:
        """workflow -> {"sent": actions that reached done, "failed": failed attempts, "in_doubt": held for a
        person}, over the history with since <= ts < until."""
        rows = self.store.execute(
            "SELECT a.workflow, h.status, COUNT(*) FROM action_history h JOIN action_ledger a "
            "ON a.idempotency_key = h.idempotency_key WHERE h.ts >= ? AND h.ts < ? "
            "AND h.status IN ('done', 'failed', 'in_doubt') GROUP BY 1, 2", (since, until))
        names = {"done": "sent", "failed": "failed", "in_doubt": "in_doubt"}
        out: dict[str, dict[str, int]] = {}
        for workflow, status, n in rows:
            out.setdefault(workflow, {"sent": 0, "failed": 0, "in_doubt": 0})[names[status]] += int(n)
        return out

    @staticmethod
    def _history(cur, key: str, status: str, detail: str | None) -> None:
        cur.execute(
            "INSERT INTO action_history (idempotency_key, ts, status, detail) VALUES (?, ?, ?, ?)",
            (key, time.time(), status, detail),
        )
