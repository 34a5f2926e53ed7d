"""Topic briefs: Markdown with a YAML front matter, dropped in the briefs inbox, read into rows."""

import re
from pathlib import Path

import yaml

from assets.checks.judges import URL
from resources.state.inbox import content_hash, file_day, inbox_dir, list_files

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


def briefs_dir() -> Path:
    """Where briefs are dropped: AIWF_BRIEFS_DIR, else $AIWF_HOME/inbox/briefs."""
    return inbox_dir("briefs", "AIWF_BRIEFS_DIR")


def read_document(path: Path) -> dict:
    """Parse one Markdown document; raises ValueError with the reason when it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not valid UTF-8 at byte {err.start}") from None
    match = FRONT_MATTER.match(text)
    if not match:
        raise ValueError("missing '---' front matter with title and audience")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping of fields")
    body = match.group(2).strip()
    return {"meta": meta, "body": body, "links": URL.findall(body), "day": file_day(path, meta.get("date")),
            "content_hash": content_hash(path)}


def list_documents(folder: Path) -> list[Path]:
    """The Markdown briefs in `folder`."""
    return list_files(folder, (".md",))
