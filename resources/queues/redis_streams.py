"""Redis Streams: read through a consumer group under one stable consumer name, so entries a killed tick
fetched but never acknowledged sit in that consumer's pending list and are read again first (from id 0)."""

import json
import time

from resources.queues.consumer import Lag, Message

BODY_FIELDS = (b"body", b"data", b"payload")  # the field holding the message; else all fields as a JSON object
ID_FIELDS = (b"message_id", b"id")


class RedisStreamConsumer:
    """Reads stream `stream` as group `group` (created at the stream's start if missing)."""

    def __init__(self, url: str, stream: str, group: str, connect_timeout_s: float = 5.0):
        import redis

        self.stream, self.group, self.name = stream, group, f"{group}-consumer"
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=connect_timeout_s, socket_timeout=30)
        try:
            self.redis.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise
        self._pending_from: str | None = "0"  # this consumer's unacknowledged entries first; None once read

    def fetch(self, max_messages: int) -> list[Message]:
        if self._pending_from is not None:
            entries = self._read(self._pending_from, max_messages)
            if entries:
                self._pending_from = entries[-1][0].decode()
                return self._messages(entries)
            self._pending_from = None
        return self._messages(self._read(">", max_messages))

    def _read(self, start: str, count: int) -> list:
        reply = self.redis.xreadgroup(self.group, self.name, {self.stream: start}, count=count)
        return reply[0][1] if reply else []

    def _messages(self, entries) -> list[Message]:
        out = []
        for entry_id, fields in entries:
            entry = entry_id.decode()
            if fields is None:  # deleted from the stream while pending: nothing to land, ack it with the rest
                out.append(Message(id=f"redis:{entry}", body=b"", handle=entry))
                continue
            named = next((fields[k] for k in ID_FIELDS if k in fields), None)
            body = next((fields[k] for k in BODY_FIELDS if k in fields), None)
            if body is None:
                body = json.dumps({k.decode(): v.decode(errors="replace") for k, v in fields.items()}).encode()
            out.append(Message(id=named.decode() if named else f"redis:{entry}", body=body,
                               published_at=int(entry.split("-")[0]) / 1000, handle=entry))
        return out

    def ack(self, messages: list[Message]) -> None:
        if messages:
            self.redis.xack(self.stream, self.group, *[m.handle for m in messages])

    def lag(self) -> Lag:
        group = next((g for g in self.redis.xinfo_groups(self.stream) if _text(g["name"]) == self.group), None)
        if group is None:
            return Lag(0, None)
        pending = int(group.get("pending") or 0)
        behind = group.get("lag")
        oldest = None
        if pending:
            oldest = _text(self.redis.xpending(self.stream, self.group)["min"])
        last = _text(group.get("last-delivered-id") or "0-0")
        nxt = self.redis.xrange(self.stream, min=f"({last}", count=1)
        if behind is None:  # lag unknown (entries deleted): count what follows the last delivered id
            behind = len(self.redis.xrange(self.stream, min=f"({last}"))
        if oldest is None and nxt:
            oldest = nxt[0][0].decode()
        age = None if oldest is None else max(0.0, time.time() - int(oldest.split("-")[0]) / 1000)
        return Lag(pending + int(behind), age)

    def close(self) -> None:
        self.redis.close()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
