"""Files dropped in an inbox folder: which day a file belongs to and whether it changed.

One rule for every workflow and sensor: a file's day is the date it names (front matter, or a
YYYY-MM-DD in its name) and otherwise the UTC day it was dropped (its modification time).
"""

import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from resources.state.home import home_path

DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def inbox_dir(name: str, override_env: str, state=None) -> Path:
    """The folder a workflow's files are dropped in: `override_env` when set, else <home>/inbox/<name>, where
    home is the given `state` resource's (as steps and sensors see it) or AIWF_HOME."""
    override = os.environ.get(override_env)
    if override:
        return Path(override)
    return state.path("inbox", name) if state is not None else home_path("inbox", name)


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
    """A short hash of the file's bytes (read in chunks): a changed file is a new file to sensors."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def files_digest(paths: Iterable[Path]) -> str:
    """A short hash of the sorted (name, content hash) pairs: changes when a file is added, removed or edited."""
    pairs = sorted((p.name, content_hash(p)) for p in paths)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


def stat_signature(paths: Iterable[Path]) -> str:
    """A short hash of names, sizes and modification times: a cheap test that lets unchanged files go unread."""
    stats = sorted((p.name, (s := p.stat()).st_size, s.st_mtime_ns) for p in paths)
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:12]


def group_by_day(paths: Iterable[Path], day_of: Callable[[Path], str] = file_day) -> dict[str, list[Path]]:
    """Files by the day they belong to; a file that vanished while being looked at is left for the next look."""
    days: dict[str, list[Path]] = {}
    for path in paths:
        try:
            days.setdefault(day_of(path), []).append(path)
        except FileNotFoundError:
            continue
    return days


def list_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files in `folder` with one of `suffixes` (case-insensitive), sorted; none when the folder is missing."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
