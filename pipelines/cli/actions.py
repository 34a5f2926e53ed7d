"""`aiwf actions list|settle`: the side effects in the action ledger, and a person's answer for one in doubt.

A side effect whose outcome is unknown (a webhook without dedupe answered ambiguously, or the process died
between sending and recording) is held `in_doubt` and never sent again on its own (resources/connectors/
ledger.py). Whoever checked with the receiver settles it: `--applied` (it took effect: done) or
`--not-applied` (failed: the next run sends it again). Settling is recorded in the action's history and the
audit trail, with who did it and why.
"""

import getpass
import json
import os
import sys

from pipelines.resource_bindings import local_state
from resources.connectors.ledger import STATUSES, ActionLedger

SHOWN = ("idempotency_key", "status", "workflow", "entity", "action", "connector", "attempts", "error")


def _ledger() -> ActionLedger:
    return ActionLedger(local_state().store())


def _list(args) -> int:
    rows = [r for r in _ledger().rows(args.workflow) if args.status is None or r["status"] == args.status]
    if args.json:
        for row in rows:
            print(json.dumps({k: row.get(k) for k in SHOWN}))
        return 0
    if not rows:
        print("no actions" + (f" with status {args.status}" if args.status else ""))
        return 0
    for row in rows:
        print(f"{row['status']:<11} {row['idempotency_key']}  {row['workflow']}: {row['action']} {row['entity']}"
              + (f"  ({row['error']})" if row.get("error") else ""))
    return 0


def _settle(args) -> int:
    args.actor = (args.actor or "").strip() or _login_name()
    ledger = _ledger()
    try:
        ledger.settle(args.key, applied=args.applied, by=args.actor, note=args.reason)
    except ValueError as err:
        print(f"aiwf actions settle: {err}", file=sys.stderr)
        return 2
    row = ledger.get(args.key)
    print(f"{args.key} settled by {args.actor}: {row['status']}"
          + (" (the next run sends it again)" if row["status"] == "failed" else ""))
    return 0


def _login_name() -> str:
    """Who runs the command, as the system knows them (never just "cli": the audit line must name a person)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in this environment (a container without a passwd entry)
        return f"uid:{os.getuid()}"


def add_cli(sub) -> None:
    actions = sub.add_parser("actions", help="side effects in the action ledger; settle one held in doubt")
    commands = actions.add_subparsers(dest="actions_command", required=True)

    listing = commands.add_parser("list", help="actions with their status (in_doubt ones need a person)")
    listing.add_argument("--status", choices=STATUSES, help="only this status, e.g. in_doubt")
    listing.add_argument("--workflow", help="only this workflow")
    listing.add_argument("--json", action="store_true", help="one JSON object per action and line")
    listing.set_defaults(func=_list)

    settle = commands.add_parser("settle", help="record whether an action held in doubt took effect")
    settle.add_argument("key", help="the action's idempotency key (see `aiwf actions list --status in_doubt`)")
    outcome = settle.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--applied", dest="applied", action="store_true", help="it took effect: mark it done")
    outcome.add_argument("--not-applied", dest="applied", action="store_false",
                         help="it did not: mark it failed, so the next run sends it again")
    settle.add_argument("--reason", required=True, help="what the receiver said (kept in the history and audit)")
    settle.add_argument("--actor", help="who settles it (default: your login name); named in the signed audit line")
    settle.set_defaults(func=_settle)
