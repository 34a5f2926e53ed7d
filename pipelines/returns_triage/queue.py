"""Returns from a message queue: with AIWF_RETURNS_QUEUE_URL set (amqp://... RabbitMQ, redis://... a Redis
stream), each message is one JSON object with the returns CSV's columns plus `date` (YYYY-MM-DD); it lands in
that day's `returns_queue_<date>.csv` in the returns inbox, the folder the file sensors and the triage step
already read (sensors/queue_sensor.py). A message that is not such an object is kept with its reason under
rejected/ in that folder and acknowledged."""

import datetime as dt
import json
from pathlib import Path

from pipelines.returns_triage.feed import COLUMNS, SUFFIXES
from resources.state.inbox import file_day, files_digest, group_by_day, list_files
from sensors.file_drop import INBOX_TAG

QUEUE_URL_ENV, QUEUE_ENV, DEFAULT_QUEUE = "AIWF_RETURNS_QUEUE_URL", "AIWF_RETURNS_QUEUE", "returns"
PREFIX = "returns_queue"


def parse_return(body: bytes) -> tuple[str, dict]:
    """(day, row as text) of one message; ValueError with the reason for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"not JSON: {str(err)[:120]}") from None
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but a {type(data).__name__}")
    day = data.get("date")
    try:
        if not isinstance(day, str) or dt.date.fromisoformat(day).isoformat() != day:
            raise ValueError
    except ValueError:
        raise ValueError(f"'date' must be a day as YYYY-MM-DD, got {day!r}") from None
    missing = [c for c in COLUMNS if c not in data]
    if missing:
        raise ValueError(f"missing column(s) {missing}")
    nested = [c for c in COLUMNS if isinstance(data[c], (dict, list))]
    if nested:
        raise ValueError(f"column(s) {nested} must be text or numbers")
    return day, {c: None if data[c] is None else str(data[c]) for c in COLUMNS}


def inbox_tags(folder: Path, day: str) -> dict:
    """The file sensors' digest of the day's files, so they see this run as theirs and launch none again."""
    files = group_by_day(list_files(folder, SUFFIXES), file_day).get(day, [])
    return {INBOX_TAG: f"{day}:{files_digest(files)}"} if files else {}
