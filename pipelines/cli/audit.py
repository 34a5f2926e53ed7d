"""`aiwf audit verify | show --run ID | sync`: check the audit chain and explain what a run did and why."""

import json
import sys
from collections import Counter
from datetime import datetime, timezone

from pipelines.resource_bindings import local_state
from resources.audit.log import AuditLog
from resources.audit.sync import sync_ledger_to_audit, sync_run
from resources.state.home import open_dagster_instance


def explain_run(run_id: str, events: list[dict], decisions: list[dict] = ()) -> list[str]:
    """Readable lines for one run: its model calls, check outcomes, approvals (and their decisions), side effects."""
    if not events:
        return [f"No audit events for run {run_id}."]
    by_kind: dict[str, list[dict]] = {}
    for e in events:
        by_kind.setdefault(e["kind"], []).append(e)
    lines = [f"Run {run_id}: {len(events)} audit events, "
             f"{_when(events[0]['ts'])} to {_when(events[-1]['ts'])}"]
    lines += _model_lines(by_kind.pop("model_call", []))
    lines += _check_lines(by_kind.pop("check", []))
    lines += _approval_lines(by_kind.pop("approval_requested", []), [*by_kind.pop("approval_decision", []), *decisions])
    for e in by_kind.pop("side_effect", []):
        lines.append(f"Side effect: {_brief(e['payload'])}")
    for kind, rest in by_kind.items():
        lines.append(f"{kind}: {len(rest)} events, e.g. {_brief(rest[0]['payload'])}")
    return lines


def _model_lines(calls: list[dict]) -> list[str]:
    if not calls:
        return ["Model calls: none."]
    answered = [c for c in calls if c["payload"]["status"] == "ok" and not c["payload"]["cache_hit"]]
    models = Counter(c["provenance"].get("model") for c in answered)
    prompts = sorted({f"{c['provenance'].get('prompt_name')} v{c['provenance'].get('prompt_version')}"
                      for c in calls if c["provenance"].get("prompt_name")})
    assets = Counter(c["provenance"].get("asset_key") for c in calls)
    tokens = sum((c["payload"]["tokens_in"] or 0) + (c["payload"]["tokens_out"] or 0) for c in answered)
    cost = sum(c["payload"]["cost_usd"] or 0 for c in answered)
    offline = any(c["payload"].get("offline") for c in calls)
    return [
        f"Model calls: {len(answered)} answered, {sum(c['payload']['cache_hit'] for c in calls)} served from cache, "
        f"{sum(c['payload']['status'] == 'error' for c in calls)} failed attempts; {tokens} tokens, ${cost:.4f}"
        + (" (OFFLINE test double)" if offline else ""),
        "  models: " + ", ".join(f"{m} x{n}" for m, n in models.most_common()),
        "  prompts: " + (", ".join(prompts) or "none named"),
        "  by asset: " + ", ".join(f"{a} ({n})" for a, n in assets.most_common()),
    ]


def _check_lines(checks: list[dict]) -> list[str]:
    if not checks:
        return ["Checks: none recorded."]
    failed = [c for c in checks if not c["payload"]["passed"]]
    lines = [f"Checks: {len(checks) - len(failed)} passed, {len(failed)} failed."]
    for c in failed:
        p = c["payload"]
        lines.append(f"  FAILED {p['check']} on {p['asset_key']} ({p['severity']}"
                     f"{', blocking' if p.get('blocking') else ''}): {p.get('description') or ''}".rstrip(": "))
    return lines


def _approval_lines(requested: list[dict], decided: list[dict]) -> list[str]:
    if not requested and not decided:
        return ["Approvals: nothing needed a human."]
    verdicts = {d["payload"]["approval_id"]: d["payload"] for d in decided}
    lines = [f"Approvals: {len(requested)} items sent for review."]
    for r in requested:
        p = r["payload"]
        line = f"  {p['workflow']}/{p['item_key']} ({p['risk']} risk) because {'; '.join(p['reasons']) or 'policy'}"
        v = verdicts.get(p["approval_id"])
        status = "edited and approved" if v and v["status"] == "edited" else (v or {}).get("status")
        line += f" -> {status} by {v['decided_by']}" + (f": {v['reason']}" if v.get("reason") else "") \
            if v else " -> still pending"
        lines.append(line)
    return lines


def _brief(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, default=str)[:200]


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _verify(args) -> int:
    log = AuditLog(local_state().store(), args.path)
    report = log.verify()
    if args.json:
        print(json.dumps(report.__dict__))
    elif report.ok:
        print(f"audit log OK: {report.lines} lines, hash chain intact ({log.path})")
    else:
        print(f"audit log TAMPERED at line {report.line_no}: {report.problem} ({log.path})", file=sys.stderr)
    return 0 if report.ok else 1


def _show(args) -> int:
    log = AuditLog(local_state().store())
    if not args.no_sync:  # bring the run's model calls and check outcomes in first (append-only, idempotent)
        try:
            with open_dagster_instance() as instance:
                sync_run(instance, args.run, log)
        except Exception as exc:  # no Dagster instance here: the ledger is still worth syncing
            print(f"(check outcomes not synced: {exc})", file=sys.stderr)
            sync_ledger_to_audit(log)
    events = log.for_run(args.run)
    request_ids = {e["payload"].get("approval_id") for e in events if e["kind"] == "approval_requested"}
    decisions = [e for e in log.entries() if e["kind"] == "approval_decision"
                 and e["payload"].get("approval_id") in request_ids and e not in events]
    if args.json:
        print(json.dumps({"run_id": args.run, "events": events, "decisions": decisions}, default=str))
    else:
        print("\n".join(explain_run(args.run, events, decisions)))
    return 0 if events else 1


def _sync(args) -> int:
    log = AuditLog(local_state().store())
    if args.run:
        with open_dagster_instance() as instance:
            print(f"{sync_run(instance, args.run, log)} events appended")
    else:
        print(f"{sync_ledger_to_audit(log)} model calls appended")
    return 0


def add_cli(sub) -> None:
    audit = sub.add_parser("audit", help="verify the audit trail or explain a run").add_subparsers(
        dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="exit non-zero if any byte of the audit log was changed")
    verify.add_argument("--path", help="a log file other than $AIWF_HOME/audit/audit.jsonl")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)
    show = audit.add_parser("show", help="what a run did and why: model calls, checks, approvals, side effects")
    show.add_argument("--run", required=True, help="the Dagster run id")
    show.add_argument("--json", action="store_true")
    show.add_argument("--no-sync", action="store_true", help="do not pull the run's calls and checks in first")
    show.set_defaults(func=_show)
    sync = audit.add_parser("sync", help="append model calls from the ledger (and a run's check outcomes)")
    sync.add_argument("--run", help="also sync this run's check outcomes from the Dagster instance")
    sync.set_defaults(func=_sync)
