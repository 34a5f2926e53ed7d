"""The audit outbox: records that must commit with a database change wait here until the log's lock is held.

A queued row carries a MAC made when it is queued (inside the caller's transaction: when the decision is
taken), over its exact stored text, which includes a random nonce. The drain signs a row into the chain only
when its MAC checks out and its nonce is not already in the log; anything else (a row inserted straight into
the table, a changed row, a copy of a row already signed) is refused: deleted from the outbox and reported by
an `outbox_row_refused` line that names what it claimed, never signed as what it claims to be.

With the audit key the MAC is an HMAC, so only a holder of the key can queue a row. Without a key nothing in
the home is secret: the MAC is a plain SHA-256 digest, which catches a changed or half-written row but not a
deliberate forgery, the same limit as the unkeyed log itself (`aiwf audit verify` says the log is UNKEYED).
"""

import hashlib
import hmac
import json
import logging
import secrets

from resources.audit.chain import scrub

log = logging.getLogger(__name__)
REFUSED = "outbox_row_refused"
_DOMAIN = b"aiwf-audit-outbox\0"


def outbox_mac(key: bytes | None, kind: str, payload: str, provenance: str) -> str:
    """The MAC of one outbox row's stored text: `hmac:` with the audit key, `sha256:` without one."""
    body = _DOMAIN + b"\0".join(str(part).encode() for part in (kind, payload, provenance))
    if key:
        return "hmac:" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def queue(cur, key: bytes | None, kind: str, payload: dict, provenance: dict | None) -> None:
    """Insert one row, with its nonce and MAC, through the caller's cursor (inside its transaction)."""
    payload_text = json.dumps(scrub(payload or {}), default=str)
    provenance_text = json.dumps({**scrub(provenance or {}), "outbox_nonce": secrets.token_hex(16)}, default=str)
    cur.execute("INSERT INTO audit_outbox (kind, payload, provenance, mac) VALUES (?, ?, ?, ?)",
                (kind, payload_text, provenance_text, outbox_mac(key, kind, payload_text, provenance_text)))


def drain(audit) -> int:
    """Sign each queued row that checks out into `audit` (an AuditLog, lock held), refuse the rest; returns
    how many rows left the outbox. A keyed row met by a process without the key waits for one that has it."""
    rows = audit.store.query("SELECT id, kind, payload, provenance, mac FROM audit_outbox ORDER BY id")
    done = 0
    for row in rows:
        mac = row.get("mac") or ""
        if audit.key is None and mac.startswith("hmac:"):
            log.warning("audit outbox row %s is signed with the audit key, which this process lacks: left queued",
                        row["id"])
            continue
        problem, provenance = _problem(audit, row, mac)
        if problem == "written":  # a crash after the line was written but before its row was deleted
            pass
        elif problem:
            log.warning("audit outbox row %s refused: %s", row["id"], problem)
            audit._append(REFUSED, _report(row, problem), {})
        else:
            audit._append(row["kind"], json.loads(row["payload"]), {**provenance, "outbox_id": row["id"]})
        audit.store.execute("DELETE FROM audit_outbox WHERE id = ?", (row["id"],))
        done += 1
    return done


def _problem(audit, row: dict, mac: str) -> tuple[str | None, dict]:
    """Why this row may not be signed (None: it may; "written": it already was, by this very row)."""
    if not mac:
        return "it carries no MAC: it was not queued by aiwf", {}
    if not hmac.compare_digest(mac, outbox_mac(audit.key, row["kind"], row["payload"], row["provenance"])):
        kind = "the audit key" if audit.key else "a digest (the log is unkeyed)"
        return f"its MAC does not match ({kind}): it was inserted or changed outside aiwf", {}
    try:
        provenance, payload = json.loads(row["provenance"]), json.loads(row["payload"])
    except ValueError:
        return "its text is not valid JSON", {}
    nonce = provenance.get("outbox_nonce") if isinstance(provenance, dict) else None
    if not nonce or not isinstance(payload, dict):
        return "it is not an outbox record (no nonce, or a payload that is not an object)", {}
    signed = audit.store.query("SELECT seq, line FROM audit_events WHERE log = ? AND line LIKE ?",
                               (audit.log_id() or "", f'%"outbox_nonce":"{nonce}"%'))
    last = audit._last_entry() or {}
    if last.get("provenance", {}).get("outbox_nonce") == nonce and last["provenance"].get("outbox_id") == row["id"]:
        return "written", provenance
    if signed:
        return f"its nonce was already signed at line {signed[0]['seq']}: a copy of a row already written", {}
    return None, provenance


def _report(row: dict, problem: str) -> dict:
    """What a refused row claimed, for the person who reads the log (capped; scrubbed like any line)."""
    claimed = f"{row['kind']}\0{row['payload']}\0{row['provenance']}"
    return {"outbox_id": row["id"], "claimed_kind": str(row["kind"])[:100], "reason": problem,
            "claimed_payload": str(row["payload"])[:2000], "claimed_provenance": str(row["provenance"])[:1000],
            "row_sha256": hashlib.sha256(claimed.encode()).hexdigest()}
