"""`aiwf report`: cost, latency, quality and overrides per workflow and per model, without writing SQL.

Reads the call ledger, approvals, quarantine and action ledger in aiwf's store (AIWF_HOME / AIWF_PG_URL) and
the runs and step events of the Dagster instance at DAGSTER_HOME; workflows are the asset groups of the
project's definitions. `--json` ends with one JSON line; `--html FILE` writes a self-contained page with plots.
"""

import json
import sys
import time
from pathlib import Path


def collect(since: float, until: float, workflow: str | None = None, with_series: bool = False) -> tuple:
    """(report, series or None) for [since, until) from this environment's store and Dagster instance."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.reporting.budgets import budget_figures
    from pipelines.reporting.report import build_report
    from pipelines.reporting.runs import collect_runs
    from pipelines.reporting.series import build_series
    from pipelines.reporting.state_figures import approval_workflows
    from pipelines.reporting.workflow_index import WorkflowIndex
    from pipelines.resource_bindings import local_state
    from resources.state.home import open_dagster_instance
    from resources.state.parquet_io_manager import ParquetIOManager

    state = local_state()
    store, index = state.store(), WorkflowIndex.from_repository(defs.get_repository_def())
    with open_dagster_instance() as instance:
        runs = collect_runs(instance, since, until, index, lambda ids: approval_workflows(store, ids))
    report = build_report(store, runs, index, since, until, workflow)
    report["budgets"] = budget_figures(store)  # AIWF_BUDGETS: spend in each budget's current window
    if not with_series:
        return report, None
    tables = ParquetIOManager(state=state)
    series = build_series(store, runs, index, since, until,
                          lambda asset, day: tables.path_for(dg.AssetKey.from_user_string(asset), day),
                          report["workflows"] if workflow else None)
    return report, series


def _money(value) -> str:
    return "-" if value is None else f"${value:.4f}"


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_summary(report: dict, say=print) -> None:
    """A few lines per workflow and one per model."""
    from pipelines.reporting.money import cost_text, share_text

    say(f"aiwf report from {report['since']} to {report['until']}")
    for name, w in report["workflows"].items():
        lat, a, fx = w["latency_ms"], w["approvals"], w["side_effects"]
        unknown = w.get("unpriced_calls", 0)
        say(f"\n{name}: {w['runs']} runs, {w['runs_succeeded']} succeeded ({_share(w['success_rate'])}); "
            f"cost {cost_text(w['cost_usd'], unknown)}, {share_text(w['cost_per_successful_run_usd'], unknown)}"
            f"/successful run, {share_text(w['cost_per_partition_usd'], unknown)}/completed partition "
            f"({w['completed_partitions']})")
        unpriced = f" ({w['unpriced_calls']} unpriced: cost unknown)" if w.get("unpriced_calls") else ""
        say(f"  model: {w['llm_calls']} calls{unpriced}, {w['tokens']} tokens, "
            f"cache hits {_share(w['cache_hit_rate'])}, retries {_share(w['retry_rate'])}, "
            f"latency p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms")
        say(f"  quality: checks {w['checks']['passed']} passed, {w['checks']['failed']} failed; "
            f"{w['quarantined_rows']} rows quarantined; approvals {a['total']} requested, {a['approved']} approved, "
            f"{a['edited']} edited, {a['rejected']} rejected, override rate {_share(a['override_rate'])}")
        say(f"  side effects: {fx['sent']} sent, {fx['skipped']} skipped as already done, {fx['failed']} failed")
        slow = sorted(w["step_seconds"].items(), key=lambda kv: -(kv[1]["p95"] or 0))[:3]
        if slow:
            say("  slowest steps (p95): " + ", ".join(f"{step} {p['p95']} s" for step, p in slow))
    if not report["workflows"]:
        say("\nnothing recorded in this window")
    for model, m in report["models"].items():
        lat = m["latency_ms"]
        say(f"model {model}: {m['calls']} calls, {cost_text(m['cost_usd'], m.get('unpriced_calls', 0))}, "
            f"latency p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms{_cost_notes(m)}")
    if len(report.get("providers", {})) > 1:  # one line per provider once more than one answered (failover)
        for host, p in report["providers"].items():
            say(f"provider {host}: {p['calls']} calls, {p['llm_retries']} failed attempts, "
                f"{cost_text(p['cost_usd'], p.get('unpriced_calls', 0))}, "
                f"latency p50/p95 {p['latency_ms']['p50']}/{p['latency_ms']['p95']} ms{_cost_notes(p)}")
    from pipelines.reporting.budgets import budget_lines

    for line in budget_lines(report.get("budgets", {})):
        say(line)
    unpriced = {model: m["unpriced_calls"] for model, m in report["models"].items() if m.get("unpriced_calls")}
    if unpriced:
        say(f"unpriced: {', '.join(f'{model} ({n} calls)' for model, n in unpriced.items())} cost more than shown; "
            "price them in the YAML file named by AIWF_PRICES")


def _cost_notes(m: dict) -> str:
    """Replayed answers, possibly-paid attempts and the provider's own cost beside ours, where there are any
    (unpriced calls are in the cost figure itself)."""
    notes = []
    if m.get("replayed"):
        notes.append(f"{m['replayed']} replayed from a cassette (not billed)")
    if m.get("possibly_paid"):
        notes.append(f"{m['possibly_paid']} possibly paid (sent by a worker that died before the answer; not in cost)")
    if m.get("provider_cost_calls"):
        notes.append(f"provider says {_money(m['provider_cost_usd'])} for {m['provider_cost_calls']} calls "
                     f"({'+' if m['provider_cost_diff_usd'] >= 0 else '-'}${abs(m['provider_cost_diff_usd']):.4f} "
                     "vs our price)")
    return f"; {', '.join(notes)}" if notes else ""


def _run(args) -> int:
    from pipelines.reporting.html import render
    from pipelines.reporting.report import parse_since

    until = time.time()
    try:
        since = parse_since(args.since, until)
    except ValueError as err:
        print(f"aiwf report: {err}", file=sys.stderr)
        return 2
    report, series = collect(since, until, args.workflow, with_series=bool(args.html))
    print_summary(report)
    if args.html:
        Path(args.html).write_text(render(report, series), encoding="utf-8")
        print(f"wrote {args.html}")
    if args.json:
        print(json.dumps(report))
    return 0


def add_cli(sub) -> None:
    parser = sub.add_parser("report", help="cost, latency, quality and overrides per workflow and model")
    parser.add_argument("--workflow", help="only this workflow (an asset group, e.g. returns_triage)")
    parser.add_argument("--since", default="7d", help="window start: 7d, 24h, 90m, 2w or an ISO date (default 7d)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained page with plots to FILE")
    parser.set_defaults(func=_run)
