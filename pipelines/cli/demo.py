"""`aiwf demo`: materialize the demo workflows headless through Dagster and say what happened.

Runs go through the Dagster instance at DAGSTER_HOME (default $AIWF_HOME/dagster), so they show up in
`make ui` exactly as UI-launched runs do. With no OPENAI_BASE_URL and no OPENAI_API_KEY it starts the
offline test-double model server and says so; every output made offline is marked offline.
"""

import json
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipelines.cli.test_doubles import start_offline_model_if_needed  # also imported from here by benchmarks
from resources import telemetry
from resources.state.home import ensure_dagster_home, open_dagster_instance
from resources.state.inbox import file_day

SAMPLES = Path(__file__).parent / "demo_samples"  # what the demo seeds; no workflow reads it by default
CATALOG_DAY = "2026-03-02"  # the day the sample catalog feeds are for


@dataclass
class DemoStep:
    """One job of the demo, the partitions it runs for, and what it needs first (sample data, local servers)."""

    job: str
    partitions: Callable[[], list[str]]
    setups: list[Callable[[ExitStack], None]] = field(default_factory=list)
    tags: dict = field(default_factory=dict)


def _seed(samples: str, target_dir: Callable[[], Path]) -> Callable[[ExitStack], None]:
    """A setup that copies demo_samples/<samples> into a workflow's inbox, keeping files already there."""

    def setup(_: ExitStack) -> None:
        target = target_dir()
        target.mkdir(parents=True, exist_ok=True)
        for sample in sorted((SAMPLES / samples).iterdir()):
            if sample.is_file() and not (target / sample.name).exists():
                shutil.copyfile(sample, target / sample.name)

    return setup


def _briefs_dir() -> Path:
    from pipelines.content_ops.workflow import briefs_dir

    return briefs_dir()


def _returns_dir() -> Path:
    from pipelines.returns_triage.feed import returns_dir

    return returns_dir()


def _brief_day(path: Path) -> str:
    from pipelines.content_ops.briefs import brief_day

    return brief_day(path)


def _seeded_days(samples: str, target_dir: Callable[[], Path], day_of: Callable[[Path], str]
                 ) -> Callable[[], list[str]]:
    """The days of the demo's own sample files as seeded in the inbox (a brief without a date belongs to the
    day it was dropped): the demo runs those, never every day of a team's real data beside them."""

    def days() -> list[str]:
        target = target_dir()
        seeded = [target / p.name for p in (SAMPLES / samples).iterdir() if p.is_file()]
        return sorted({day_of(path) for path in seeded if path.exists()})

    return days


def _catalog_dir() -> Path:
    from pipelines.catalog.workflow import feeds_dir

    return feeds_dir()


def _catalog_days() -> list[str]:
    return [CATALOG_DAY]


def _start_shop(stack: ExitStack) -> None:
    from pipelines.cli.test_doubles import start_shop_for_demo

    start_shop_for_demo(stack)


def _orders_dir() -> Path:
    from pipelines.order_recovery.feed import orders_dir

    return orders_dir()


def _seed_shop_orders(stack: ExitStack) -> None:
    """The demo's orders in the test-double shop; a real shop (no /_orders route) is left alone."""
    import os

    import httpx

    from resources.offline.shop_server import seed_orders

    url = os.environ["AIWF_SHOP_URL"]
    try:
        added = seed_orders(url, json.loads((SAMPLES / "orders" / "shop" / "orders.json").read_text()))
    except httpx.HTTPStatusError:
        print(f"shop at {url} is not the test double: demo orders not seeded")
        return
    print(f"seeded {added} demo order(s) into the test-double shop")


DEMO_JOBS: list[DemoStep] = [
    DemoStep("content_ops_job", _seeded_days("briefs", _briefs_dir, _brief_day), [_seed("briefs", _briefs_dir)]),
    DemoStep("catalog_job", _catalog_days, [_seed("catalog", _catalog_dir), _start_shop]),
    DemoStep("order_recovery_job", _seeded_days("orders", _orders_dir, file_day),
             [_seed("orders", _orders_dir), _start_shop, _seed_shop_orders]),
    DemoStep("returns_triage_job", _seeded_days("returns", _returns_dir, file_day), [_seed("returns", _returns_dir)]),
]


def run_demo(say: Callable[[str], None] = print, log_level: str = "WARNING") -> dict:
    """Execute every DemoStep on the instance at DAGSTER_HOME; return the summary dict."""
    from dagster import DagsterEventType

    from pipelines.definitions import defs
    from pipelines.resource_bindings import local_state
    from resources.audit.log import AuditLog
    from resources.audit.sync import sync_run
    from resources.llm.ledger import CallLedger, summarize

    ensure_dagster_home()
    store = local_state().store()
    audit_log = AuditLog(store)
    summary = {"assets_materialized": 0, "asset_checks_passed": 0, "asset_checks_failed": 0, "runs_failed": 0,
               "run_ids": [], "rows_from_checkpoint": 0, **dict.fromkeys(ORDER_FIGURES, 0)}
    with ExitStack() as stack:
        offline = start_offline_model_if_needed(stack, say)
        instance = stack.enter_context(open_dagster_instance())  # under the first-use lock (resources/state/home.py)
        for step in DEMO_JOBS:
            for setup in step.setups:
                setup(stack)
            job = defs.resolve_job_def(step.job)
            for partition in step.partitions():
                result = job.execute_in_process(instance=instance, partition_key=partition, raise_on_error=False,
                                                run_config=console_at(log_level), tags={"aiwf/demo": "1", **step.tags})
                summary["run_ids"].append(result.run_id)
                sync_run(instance, result.run_id, audit_log)  # model calls and check outcomes into the audit trail
                if telemetry.traces_on():  # the run's root, step and check spans: no daemon runs run_traces_sensor here
                    from resources.telemetry.runs import export_run

                    export_run(instance, result.run_id)
                summary["runs_failed"] += 0 if result.success else 1
                for event in result.all_events:
                    if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                        summary["assets_materialized"] += 1
                        metadata = event.event_specific_data.materialization.metadata
                        _add_side_effects(summary, metadata)
                        _add_figures(summary, metadata, ("rows_from_checkpoint",))  # llm_map rows not sent again
                        if event.asset_key.to_user_string() in ORDER_ASSETS:
                            _add_figures(summary, metadata, ORDER_FIGURES)
                    elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                        passed = event.event_specific_data.passed
                        summary["asset_checks_passed" if passed else "asset_checks_failed"] += 1
                say(f"  {step.job} [{partition}] run {result.run_id[:8]}: "
                    f"{'succeeded' if result.success else 'FAILED'}")
    totals = summarize(CallLedger(store).rows(summary["run_ids"]))
    summary.update(totals)
    summary["offline"] = offline or totals["offline"]
    summary["aiwf_home"] = str(store.home)
    return summary


def console_at(log_level: str) -> dict:
    """Run config for Dagster's console logger: WARNING keeps a command's output to its summary."""
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


SIDE_EFFECT_FIGURES = ("sent", "skipped_already_done", "failed", "held_for_approval")
ORDER_FIGURES = ("orders_planned", "plans_rejected", "steps_executed", "steps_compensated", "held_for_approval")
ORDER_ASSETS = ("recovery_plans", "recovery_actions")  # catalog's shop_updates also reports held_for_approval


def _add_side_effects(summary: dict, metadata: dict) -> None:
    """Total the connector figures (sent, skipped as already done, ...) that side-effect assets report."""
    if "sent" in metadata:
        _add_figures(summary.setdefault("side_effects", dict.fromkeys(SIDE_EFFECT_FIGURES, 0)), metadata,
                     SIDE_EFFECT_FIGURES)


def _add_figures(totals: dict, metadata: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name in metadata:
            value = metadata[name]
            totals[name] = totals.get(name, 0) + int(getattr(value, "value", value) or 0)


def _print_summary(summary: dict, say: Callable[[str], None]) -> None:
    say(f"\n{summary['assets_materialized']} assets materialized, {summary['asset_checks_passed']} checks passed, "
        f"{summary['asset_checks_failed']} failed, {summary['runs_failed']} runs failed")
    say(f"model: {summary['llm_calls']} requests answered, {summary['llm_retries']} failed attempts retried, "
        f"{summary['cache_hits']} cache hits, {summary['tokens']} tokens, ${summary['cost_usd']:.4f}"
        + (f", {summary['replayed']} replayed from a cassette (not billed)" if summary.get("replayed") else "")
        + (f", {summary['unpriced_calls']} unpriced" if summary.get("unpriced_calls") else "")
        + ("  (OFFLINE test double)" if summary["offline"] else ""))
    if "side_effects" in summary:
        fx = summary["side_effects"]
        say(f"side effects: {fx['sent']} sent, {fx['skipped_already_done']} skipped as already done, "
            f"{fx['failed']} failed, {fx['held_for_approval']} held for approval")
    say(f"look at: {summary['aiwf_home']}/publish_queue (drafts ready to publish), `make ui` (runs, metadata, "
        "checks), `aiwf review` (pending approvals), `aiwf audit show --run <run>` (what a run did and why), "
        "`aiwf quarantine list` (rows set aside)")


def cassette_gaps(summary: dict) -> str | None:
    """A warning when a run recording a cassette was answered partly from this home: answers from the response
    cache and rows resumed from llm_map checkpoints are not sent, so they are not recorded, and a replay on a
    fresh home misses them. None when not recording or nothing is missing."""
    from resources.llm.cassette import CassetteError, configured

    try:
        cassette = configured()
    except CassetteError:
        return None
    missing = summary.get("cache_hits", 0) + summary.get("rows_from_checkpoint", 0)
    if cassette is None or cassette[1] != "record" or not missing:
        return None
    return (f"WARNING: recording {cassette[0]}: {summary.get('cache_hits', 0)} answer(s) came from this home's "
            f"response cache and {summary.get('rows_from_checkpoint', 0)} row(s) from llm_map checkpoints; they "
            "were not sent, so they are not in the cassette, and a replay will miss them (cassette_miss). Record "
            f"on a fresh home: AIWF_HOME=$(mktemp -d) AIWF_CASSETTE={cassette[0]} AIWF_CASSETTE_MODE=record aiwf demo")


def add_cli(sub) -> None:
    parser = sub.add_parser("demo", help="materialize the demo workflows and print what happened")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--verbose", action="store_true", help="show Dagster's step logs on the console")

    def run(args) -> int:
        say = print
        summary = run_demo(say, log_level="DEBUG" if args.verbose else "WARNING")
        _print_summary(summary, say)
        gaps = cassette_gaps(summary)
        if gaps:
            import sys

            print(gaps, file=sys.stderr)
        if args.json:
            print(json.dumps(summary))
        return 0 if summary["runs_failed"] == 0 and summary["asset_checks_failed"] == 0 else 1

    parser.set_defaults(func=run)
