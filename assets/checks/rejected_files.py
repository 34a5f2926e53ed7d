"""Inbox files a step could not use: quarantined once under their own day, and named by a WARN asset check.

The step that reads an inbox declares the check (`readable_files_spec`) and yields its result
(`readable_files_result`) from the same `rejected` mapping it records as `rejected_files` metadata, so a run
whose files were refused shows a failed check in the UI instead of a green run with fewer rows.
"""

from pathlib import Path

import dagster as dg

from resources.state.quarantine import quarantine_row


def readable_files_spec(name: str, asset: str, what: str = "file",
                        partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetCheckSpec:
    """The check an inbox-reading asset declares (non-blocking: the day's other files go on); with the asset's
    `partitions_def`, the UI shows the check per day."""
    return dg.AssetCheckSpec(name, asset=asset, partitions_def=partitions_def,
                             description=f"Every {what} dropped for this day could be read; a warning names each "
                                         f"one that could not, with the reason (also in `aiwf quarantine list`).")


def quarantine_rejected(context: dg.AssetExecutionContext, state, *, workflow: str, folder: Path,
                        rejected: dict[str, str], error_class: str, partition_key: str | None = None) -> None:
    """One quarantine row per refused file under this partition (its day: `partition_key` in a run over a
    range); a rerun updates it, never adds one."""
    if not rejected:
        return
    for name, reason in rejected.items():
        quarantine_row(context, state, row_key=name, row={"path": str(folder / name)}, error_class=error_class,
                       reason=reason, workflow=workflow, partition_key=partition_key)


def rejected_metadata(rejected: dict[str, str]) -> dict:
    """What the asset records about refused files: a count to plot and file -> reason."""
    return {"rejected": len(rejected), "rejected_files": dg.MetadataValue.json(rejected)}


def readable_files_result(name: str, rejected: dict[str, str]) -> dg.AssetCheckResult:
    """Passed when nothing was refused; else a warning naming each file and why."""
    named = "; ".join(f"{file}: {reason}" for file, reason in sorted(rejected.items()))
    return dg.AssetCheckResult(
        check_name=name, passed=not rejected, severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(rejected)} file(s) could not be used: {named}"[:1000] if rejected else None,
        metadata=rejected_metadata(rejected))
