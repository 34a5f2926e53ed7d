"""Files dropped in an inbox folder: which day a file belongs to and whether it changed.

One rule for every workflow and sensor: a file's day is the date it names (front matter, or a
YYYY-MM-DD in its name) and otherwise the UTC day it was dropped (its modification time).
"""

import hashlib
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from resources.state.home import home_path

DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def inbox_dir(name: str, override_env: str) -> Path:
    """The folder a workflow's files are dropped in: `override_env` when set, else $AIWF_HOME/inbox/<name>."""
    return Path(os.environ.get(override_env) or home_path("inbox", name))


def drop_day(path: Path) -> str:
    """The UTC day a file was dropped (last modified)."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).date().isoformat()


def file_day(path: Path, named: str | None = None) -> str:
    """The partition a file belongs to: `named` (a date the file declares), a date in its name, else its drop day."""
    if named:
        return str(named)
    found = DAY_IN_NAME.search(path.name)
    return found.group(1) if found else drop_day(path)


def content_hash(path: Path) -> str:
    """A short hash of the file's bytes: a changed file is a new file to sensors."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def list_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files in `folder` with one of `suffixes` (case-insensitive), sorted; none when the folder is missing."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
