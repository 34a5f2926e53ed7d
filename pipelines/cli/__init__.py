"""The `aiwf` command: demo, offline model server, and the operator commands each capability adds."""

import argparse
import os


def _add_home(sub) -> None:
    p = sub.add_parser("home", help="print AIWF_HOME and DAGSTER_HOME (creating them)")

    def run(args):
        from resources.state.home import aiwf_home, ensure_dagster_home

        print(f"AIWF_HOME={aiwf_home()}\nDAGSTER_HOME={ensure_dagster_home()}")
        return 0

    p.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    from pipelines.cli import actions as actions_cli
    from pipelines.cli import audit as audit_cli
    from pipelines.cli import demo, new_workflow, review, test_doubles, ui
    from pipelines.cli import estimate as estimate_cli
    from pipelines.cli import prompts as prompts_cli
    from pipelines.cli import quarantine as quarantine_cli
    from pipelines.cli import report as report_cli
    from pipelines.cli import scan as scan_cli
    from pipelines.cli import shadow as shadow_cli
    from pipelines.cli import worker as worker_cli

    parser = argparse.ArgumentParser(prog="aiwf", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_home(sub)
    demo.add_cli(sub)
    ui.add_cli(sub)
    test_doubles.add_offline_llm_cli(sub)
    worker_cli.add_cli(sub)
    review.add_cli(sub)
    audit_cli.add_cli(sub)
    test_doubles.add_shop_server_cli(sub)
    quarantine_cli.add_cli(sub)
    scan_cli.add_cli(sub)
    report_cli.add_cli(sub)
    shadow_cli.add_cli(sub)
    prompts_cli.add_cli(sub)
    actions_cli.add_cli(sub)
    new_workflow.add_cli(sub)
    estimate_cli.add_cli(sub)
    # Each capability registers its own subcommands here with add_cli(sub).
    return parser


def _quiet_console() -> None:
    """Operators read summaries, not library notices: hide Lance's deprecation logs (set LANCEDB_LOG=warn to see
    them again). Dagster's preview/beta notices are filtered in pipelines/__init__.py, for every process."""
    os.environ.setdefault("LANCEDB_LOG", "error")


def main(argv: list[str] | None = None) -> int:
    """Run one command; a misconfigured database URL is one line on stderr (exit 2), not a traceback."""
    import sys

    from resources.state.database_url import DatabaseURLError

    _quiet_console()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        cause = exc
        while cause is not None and not isinstance(cause, DatabaseURLError):  # Dagster may wrap it
            cause = cause.__cause__
        if cause is None:
            raise
        print(f"aiwf: {cause}", file=sys.stderr)
        return 2

