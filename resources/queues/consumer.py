"""The interface every queue consumer offers a sensor: fetch a batch, acknowledge it, report the lag.

A message is acknowledged only after the caller has landed it durably; one fetched and never acknowledged
(the consumer died) is delivered again, so landing must be idempotent by `Message.id`.
"""

import hashlib
import time
from dataclasses import dataclass, field
from typing import Protocol

@dataclass(frozen=True)
class Message:
    """One delivered message: a stable id (the same on redelivery), its bytes and when it was published."""

    id: str
    body: bytes
    published_at: float | None = None  # epoch seconds, when the transport or publisher says
    handle: object = field(default=None, compare=False, repr=False)  # what the consumer needs to ack it


@dataclass(frozen=True)
class Lag:
    """What still waits in the queue: how many messages, and the age of the oldest (None: unknown or none)."""

    waiting: int
    oldest_age_s: float | None = None

    def metadata(self) -> dict:
        return {"queue_waiting": self.waiting,
                "queue_oldest_age_s": round(self.oldest_age_s, 3) if self.oldest_age_s is not None else 0.0}


class QueueConsumer(Protocol):
    """A consumer of one queue (or stream and consumer group)."""

    def fetch(self, max_messages: int) -> list[Message]:
        """Up to `max_messages` messages not yet acknowledged, oldest first; [] when none waits."""

    def ack(self, messages: list[Message]) -> None:
        """Acknowledge messages fetched by this consumer: they are never delivered again."""

    def lag(self) -> Lag:
        """Messages waiting (not yet acknowledged) and the age of the oldest."""

    def close(self) -> None:
        """Release the connection; unacknowledged messages go back to the queue."""


def body_id(body: bytes) -> str:
    """The id of a message its publisher did not name: its content's digest (the same on redelivery)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


def age_of(published_at: float | None, now: float | None = None) -> float | None:
    return None if published_at is None else max(0.0, (now or time.time()) - published_at)
