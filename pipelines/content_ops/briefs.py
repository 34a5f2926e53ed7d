"""Topic briefs: Markdown with a YAML front matter, dropped in the briefs inbox, read into rows.

A brief belongs to the day in its front matter (`date:`), else the one file-day rule (a date in its name,
else the day it was dropped); a brief that cannot be read belongs to that fallback day, so it is
reported and quarantined once, under its own day. A brief is read within the inbox limits (a file over
AIWF_MAX_INBOX_FILE_MB is refused with the reason; UTF-8, else Windows-1252, else Latin-1, recorded in `encoding`),
and screened for injected instructions over its first SCREEN_CHARS characters: a longer one is marked unscreened,
which sends its draft to a reviewer (a 20 MB brief would take minutes to screen, in silence; the row engine
refuses it anyway when it is over the step's per-row token cap).
"""

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from assets.checks.judges import URL
from resources.safety.injection import detect_injection
from resources.state.inbox import content_hash, file_day, inbox_dir, list_files
from resources.state.inbox_limits import read_text

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
COLUMNS = ["slug", "title", "audience", "sources", "links", "content_hash", "injection", "encoding"]
SCREEN_CHARS = 100_000  # about 1 s of injection screening; ~25k tokens, over the content steps' row caps


def briefs_dir(state=None) -> Path:
    """Where briefs are dropped: AIWF_BRIEFS_DIR, else <home>/inbox/briefs (the `state` resource's home)."""
    return inbox_dir("briefs", "AIWF_BRIEFS_DIR", state)


def read_document(path: Path) -> dict:
    """Parse one Markdown document; raises ValueError with the reason when it cannot be used."""
    text, encoding = read_text(path)  # FileTooLarge (a ValueError) over the inbox cap
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
    return {"meta": meta, "body": body, "links": URL.findall(body), "day": file_day(path, declared_day(meta)),
            "content_hash": content_hash(path), "encoding": encoding}


def screen(text: str) -> str:
    """The injection patterns found in `text` (comma-separated, "" for none); text past SCREEN_CHARS is not read,
    and says so, so the draft goes to a reviewer."""
    found = detect_injection(text[:SCREEN_CHARS])
    if len(text) > SCREEN_CHARS:
        found.append(f"unscreened: {len(text):,} characters, only the first {SCREEN_CHARS:,} screened")
    return ", ".join(found)


def declared_day(meta: dict) -> str | None:
    """The front matter's `date` as YYYY-MM-DD (None when absent); raises ValueError when it is not a day."""
    value = meta.get("date")
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"date {str(value)[:40]!r} is not a YYYY-MM-DD day") from None


def brief_day(path: Path) -> str:
    """The day a brief belongs to: its front-matter date, else (also when unreadable) the one file-day rule."""
    try:
        return read_document(path)["day"]
    except ValueError:
        return file_day(path)


def list_documents(folder: Path) -> list[Path]:
    """The Markdown briefs in `folder`."""
    return list_files(folder, (".md",))


def briefs_for_day(folder: Path, day: str) -> tuple[list[dict], dict[str, str]]:
    """The usable briefs of `day` as rows, and the briefs of `day` that cannot be used: file name -> reason."""
    rows, rejected = [], {}
    for path in list_documents(folder):
        try:
            doc = read_document(path)
        except ValueError as err:
            if file_day(path) == day:
                rejected[path.name] = str(err)
            continue
        if doc["day"] != day:
            continue
        meta = doc["meta"]
        missing = [f for f in ("title", "audience") if not meta.get(f)]
        if missing or not doc["body"]:
            rejected[path.name] = f"missing {', '.join(missing) or 'source notes'}"
            continue
        rows.append({"slug": meta.get("slug") or path.stem, "title": meta["title"], "audience": meta["audience"],
                     "sources": doc["body"], "links": doc["links"], "content_hash": doc["content_hash"],
                     # a brief is text from outside: screened as data, a hit sends its draft to a reviewer
                     "injection": screen(f"{meta['title']}\n{doc['body']}"), "encoding": doc["encoding"]})
    return rows, rejected
