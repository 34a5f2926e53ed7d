"""Documents dropped in a folder: Markdown with a YAML front matter, read into rows with their content hash."""

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

import yaml

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
URL = re.compile(r"https?://[^\s)\]>\"']+")


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def document_day(path: Path, meta: dict) -> str:
    """The partition a document belongs to: its `date` field, else the UTC day it was dropped."""
    if meta.get("date"):
        return str(meta["date"])
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).date().isoformat()


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
    return {"meta": meta, "body": body, "links": URL.findall(body), "day": document_day(path, meta),
            "content_hash": content_hash(path)}


def list_documents(folder: Path, suffix: str = ".md") -> list[Path]:
    return sorted(p for p in folder.glob(f"*{suffix}") if p.is_file()) if folder.exists() else []
