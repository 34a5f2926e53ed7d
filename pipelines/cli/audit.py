"""`aiwf audit verify | show --run ID | sync`: check the audit chain and explain what a run did and why."""

import json
import sys
from collections import Counter
from datetime import datetime, timezone

from pipelines.resource_bindings import local_state
from resources.audit.log import AuditLog
from resources.audit.sync import sync_ledger_to_audit, sync_run
from resources.state.home import open_dagster_instance


def explain_run(events: list[dict], decisions: list[dict] = (), calls: dict | None = None) -> list[str]:
    """Readable lines for one run's audit events: model calls (headline from the ledger's `calls` when given),
    check outcomes, approvals (and their decisions), side effects."""
    by_kind: dict[str, list[dict]] = {}
    for e in events:
        by_kind.setdefault(e["kind"], []).append(e)
    lines = [f"Audit trail: {len(events)} events, {_when(events[0]['ts'])} to {_when(events[-1]['ts'])}."
             if events else "Audit trail: no events for this run."]
    lines += _model_lines(by_kind.pop("model_call", []), calls)
    lines += _check_lines(by_kind.pop("check", []))
    lines += _approval_lines(by_kind.pop("approval_requested", []), [*by_kind.pop("approval_decision", []), *decisions])
    lines += _side_effect_lines(side_effects(by_kind.pop("side_effect", [])))
    for kind, rest in by_kind.items():
        lines.append(f"{kind}: {len(rest)} events, e.g. {_brief(rest[0]['payload'])}")
    return lines


def _model_lines(calls: list[dict], ledger: dict | None = None) -> list[str]:
    answered = [c for c in calls if c["payload"]["status"] == "ok" and not c["payload"]["cache_hit"]]
    ledger = ledger or {
        "llm_calls": len(answered), "cache_hits": sum(c["payload"]["cache_hit"] for c in calls),
        "llm_retries": sum(c["payload"]["status"] == "error" for c in calls),
        "tokens": sum((c["payload"]["tokens_in"] or 0) + (c["payload"]["tokens_out"] or 0) for c in answered),
        "cost_usd": sum(c["payload"]["cost_usd"] or 0 for c in answered),
        "offline": any(c["payload"].get("offline") for c in calls)}
    if not calls and not (ledger["llm_calls"] or ledger["cache_hits"] or ledger["llm_retries"]):
        return ["Model calls: none."]
    lines = [f"Model calls: {ledger['llm_calls']} answered, {ledger['cache_hits']} served from cache, "
             f"{ledger['llm_retries']} failed attempts; {ledger['tokens']} tokens, ${ledger['cost_usd']:.4f}"
             + (" (OFFLINE test double)" if ledger["offline"] else "")]
    if calls:
        models = Counter(c["provenance"].get("model") for c in answered)
        prompts = sorted({f"{c['provenance'].get('prompt_name')} v{c['provenance'].get('prompt_version')}"
                          for c in calls if c["provenance"].get("prompt_name")})
        assets = Counter(c["provenance"].get("asset_key") for c in calls)
        lines += ["  models: " + (", ".join(f"{m} x{n}" for m, n in models.most_common()) or "none asked"),
                  "  prompts: " + (", ".join(prompts) or "none named"),
                  "  by asset: " + ", ".join(f"{a} ({n})" for a, n in assets.most_common())]
    return lines


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


def side_effects(events: list[dict]) -> dict:
    """Each external action's latest outcome, counted by status and by connector.action; the ones not done listed."""
    latest = {e["payload"].get("idempotency_key") or e["seq"]: e["payload"] for e in events}
    return {"actions": len(latest), "by_status": dict(Counter(p["status"] for p in latest.values())),
            "by_action": dict(Counter(f"{p.get('connector')}.{p.get('action')}" for p in latest.values())),
            "not_done": [{k: p.get(k) for k in ("status", "action", "entity", "error", "idempotency_key")}
                         for p in latest.values() if p["status"] != "done"]}


def _side_effect_lines(effects: dict) -> list[str]:
    if not effects["actions"]:
        return ["Side effects: none."]
    lines = [f"Side effects: {effects['actions']} actions, "
             + ", ".join(f"{n} {s}" for s, n in sorted(effects["by_status"].items())) + " ("
             + ", ".join(f"{a} x{n}" for a, n in sorted(effects["by_action"].items())) + ")"]
    lines += [f"  {p['status'].upper()} {p['action']} {p['entity']}" + (f": {p['error']}" if p["error"] else "")
              for p in effects["not_done"]]
    return lines


def _brief(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, default=str)[:200]


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _verify(args) -> int:
    log = AuditLog(local_state().store(), args.path)
    report = log.verify(anchor=args.anchor)
    if args.json:
        print(json.dumps(report.__dict__))
    elif report.ok:
        signed = "signed with the audit key" if report.keyed else "UNKEYED (run `aiwf audit init`)"
        print(f"audit log OK: {report.lines} lines, hash chain intact, {signed} ({log.path})")
    else:
        print(f"audit log TAMPERED at line {report.line_no}: {report.problem} ({log.path})", file=sys.stderr)
    if not args.json:
        for note in report.notes:
            print(f"  note: {note}", file=sys.stderr)
    return 0 if report.ok else 1


def _init(args) -> int:
    from resources.audit.keys import init_key

    try:
        path = init_key(args.key_file, force=args.force)
    except FileExistsError as exc:
        print(f"aiwf audit init: {exc} (--force replaces it)", file=sys.stderr)
        return 2
    print(f"audit key written to {path} (mode 0600); keep it outside AIWF_HOME and back it up: lines signed with "
          "it cannot be verified without it. New lines are signed from now on; an unkeyed log written before "
          "this point will not verify with the key, so start a new log (move the old one aside).")
    return 0


def _anchor(args) -> int:
    anchor = AuditLog(local_state().store()).anchor()
    if args.json:
        print(json.dumps(anchor))
    elif anchor["lines"]:
        print(f"{anchor['lines']}:{anchor['head']}")
    else:
        print("the audit log is empty", file=sys.stderr)
        return 1
    return 0


def _show(args) -> int:
    """Resolve the (short) run id, sync the run in, then tell its story: status first, then what it did."""
    from pipelines.cli import run_story

    log = AuditLog(local_state().store())
    run_id, story = args.run, dict(run_story.NOT_IN_INSTANCE)
    try:
        with open_dagster_instance() as instance:
            run_id = run_story.resolve_run_id(instance, args.run) or args.run
            if not args.no_sync:  # bring the run's model calls and check outcomes in first (append-only, idempotent)
                sync_run(instance, run_id, log)
            story = run_story.dagster_story(instance, run_id)
    except run_story.AmbiguousRunId as exc:
        print(f"aiwf: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # no Dagster instance here: the ledger and the audit trail still tell a lot
        print(f"(run status and check outcomes unavailable: {exc})", file=sys.stderr)
        if not args.no_sync:
            sync_ledger_to_audit(log)
    story.update(run_story.state_story(log.store, run_id))
    events = log.for_run(run_id)
    request_ids = {e["payload"].get("approval_id") for e in events if e["kind"] == "approval_requested"}
    decisions = [e for e in log.entries() if e["kind"] == "approval_decision"
                 and e["payload"].get("approval_id") in request_ids and e not in events]
    if args.json:
        print(json.dumps({"run_id": run_id, "events": events, "decisions": decisions,
                          **_event_figures(events, decisions), **story}, default=str))
    else:
        print("\n".join(_story_lines(run_id, story, events, decisions)))
    return 0 if events or story["status"] else 1


def _story_lines(run_id: str, story: dict, events: list[dict], decisions: list[dict]) -> list[str]:
    from pipelines.cli import run_story

    lines = [f"Run {run_id}"] + run_story.status_lines(story)
    lines += explain_run(events, decisions, story["calls"])
    redriven = any(r["how"] == "quarantine re-drive" for r in story["re_executions"])
    lines += run_story.quarantine_lines(story["quarantined"], redriven)
    return lines + run_story.re_execution_lines(story["re_executions"])


def _event_figures(events: list[dict], decisions: list[dict]) -> dict:
    """The checks, approvals and side effects in the audit trail, as figures for `--json`."""
    checks = [e["payload"] for e in events if e["kind"] == "check"]
    verdicts = {d["payload"]["approval_id"]: d["payload"] for d in
                [*decisions, *(e for e in events if e["kind"] == "approval_decision")]}
    approvals = [{**{k: p.get(k) for k in ("approval_id", "workflow", "item_key", "risk", "reasons")},
                  "status": verdicts.get(p["approval_id"], {}).get("status", "pending"),
                  "decided_by": verdicts.get(p["approval_id"], {}).get("decided_by")}
                 for p in (e["payload"] for e in events if e["kind"] == "approval_requested")]
    return {"checks": {"passed": sum(bool(c["passed"]) for c in checks),
                       "failed": sum(not c["passed"] for c in checks),
                       "failed_checks": [c for c in checks if not c["passed"]]},
            "approvals": approvals,
            "side_effects": side_effects([e for e in events if e["kind"] == "side_effect"])}


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
    verify.add_argument("--anchor", help="LINES:HEAD (or HEAD) from `aiwf audit anchor`, kept elsewhere")
    verify.set_defaults(func=_verify)
    init = audit.add_parser("init", help="write a new audit key file (outside AIWF_HOME) that signs every line")
    init.add_argument("--key-file", help="where to write it (default AIWF_AUDIT_KEY_FILE or ~/.config/aiwf/audit.key)")
    init.add_argument("--force", action="store_true", help="replace an existing key")
    init.set_defaults(func=_init)
    anchor = audit.add_parser("anchor", help="print LINES:HEAD of the audit log, to keep somewhere else")
    anchor.add_argument("--json", action="store_true")
    anchor.set_defaults(func=_anchor)
    show = audit.add_parser("show", help="what a run did and why: status, failure, duration, cost, model calls, "
                                         "checks, approvals, quarantined rows, side effects, re-executions")
    show.add_argument("--run", required=True, help="the Dagster run id, or its start as the UI shows it (8 characters)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--no-sync", action="store_true", help="do not pull the run's calls and checks in first")
    show.set_defaults(func=_show)
    sync = audit.add_parser("sync", help="append model calls from the ledger (and a run's check outcomes)")
    sync.add_argument("--run", help="also sync this run's check outcomes from the Dagster instance")
    sync.set_defaults(func=_sync)
