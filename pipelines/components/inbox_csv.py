"""A daily asset of the rows in an inbox folder's CSV files (NAME_YYYY-MM-DD.csv: the day is the partition).

A file that cannot be read, or lacks a required column, is quarantined whole under its day and named by the
`<inbox>_files_are_all_readable` warning (assets/checks/rejected_files.py); the day's other files go on.
"""

from pathlib import Path
from typing import Callable, Sequence

import dagster as dg
import pandas as pd

from assets.checks.rejected_files import (
    quarantine_rejected,
    readable_files_result,
    readable_files_spec,
    rejected_metadata,
)
from resources.state.inbox import file_day, inbox_dir, list_files
from resources.state.inbox_limits import FileTooLarge, read_csv
from resources.state.resource import StateResource

SUFFIXES = (".csv",)


def inbox_folder(name: str) -> Callable[[StateResource | None], Path]:
    """Where `name`'s files are dropped: AIWF_<NAME>_DIR, else <home>/inbox/<name> (read when called)."""
    return lambda state=None: inbox_dir(name, f"AIWF_{name.upper()}_DIR", state)


def read_day(folder: Path, day: str, columns: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows of every CSV file of `day` in `folder` (as text), and the files that cannot be used: name -> reason."""
    frames, rejected = [], {}
    for path in list_files(folder, SUFFIXES):
        if file_day(path) != day:
            continue
        try:  # the inbox's size cap and encoding detection, as the shipped workflows' feeds read their files
            frame, _ = read_csv(path, dtype=str, keep_default_na=False)
        except FileTooLarge as exc:
            rejected[path.name] = str(exc)
            continue
        except Exception as exc:  # pandas raises many types for a broken file
            rejected[path.name] = f"unreadable csv file: {type(exc).__name__}: {str(exc)[:200]}"
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            rejected[path.name] = f"missing column(s) {missing}"
            continue
        frames.append(frame.assign(source_file=path.name))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*columns, "source_file"])
    return rows, rejected


def inbox_rows_asset(name: str, *, inbox: str, columns: Sequence[str], group: str,
                     partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The asset `name`: the day's rows from `inbox`'s CSV files, with its readable-files check."""
    folder_of, check = inbox_folder(inbox), f"{inbox}_files_are_all_readable"

    @dg.asset(name=name, partitions_def=partitions_def, group_name=group, kinds={"pandas", "csv"},
              check_specs=[readable_files_spec(check, name, "file", partitions_def)],
              description=f"The day's rows from every {inbox}_YYYY-MM-DD.csv file in the {inbox} inbox.")
    def _rows(context: dg.AssetExecutionContext, state: StateResource):
        folder, day = folder_of(state), context.partition_key
        rows, rejected = read_day(folder, day, columns)
        quarantine_rejected(context, state, workflow=group, folder=folder, rejected=rejected,
                            error_class="invalid_file", partition_key=day)
        yield dg.Output(rows, metadata={"rows": len(rows), "folder": str(folder), **rejected_metadata(rejected)})
        yield readable_files_result(check, rejected)

    return _rows
