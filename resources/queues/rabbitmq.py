"""RabbitMQ through kombu: messages taken one by one with basic.get (no prefetch window to drain), acknowledged
together (multiple=True up to the last delivery tag) once landed; a dropped connection returns the rest."""

from resources.queues.consumer import Lag, Message, age_of, body_id


class RabbitMQConsumer:
    """Reads one durable queue (declared if missing, so a fresh broker works)."""

    def __init__(self, url: str, queue: str, connect_timeout_s: float = 5.0):
        from kombu import Connection

        self.queue = queue
        self.connection = Connection(url, connect_timeout=connect_timeout_s)
        self.connection.ensure_connection(max_retries=1)
        self.channel = self.connection.channel()
        self._declare()
        self._last_tag: int | None = None

    def _declare(self) -> None:
        import amqp

        try:
            self.channel.queue_declare(queue=self.queue, durable=True, auto_delete=False)
        except amqp.exceptions.PreconditionFailed:  # declared elsewhere with other arguments: use it as it is
            self.channel = self.connection.channel()
            self.channel.queue_declare(queue=self.queue, passive=True)

    def fetch(self, max_messages: int) -> list[Message]:
        out = []
        while len(out) < max_messages:
            raw = self.channel.basic_get(queue=self.queue, no_ack=False)
            if raw is None:
                break
            props = raw.properties or {}
            stamp = props.get("timestamp")
            published = stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp) if stamp else None
            body = raw.body if isinstance(raw.body, bytes) else str(raw.body).encode()
            out.append(Message(id=str(props.get("message_id") or body_id(body)), body=body,
                               published_at=published, handle=raw.delivery_tag))
        return out

    def ack(self, messages: list[Message]) -> None:
        if messages:  # basic.get hands out tags in order on this channel: one ack covers the batch
            self.channel.basic_ack(max(m.handle for m in messages), multiple=True)

    def lag(self) -> Lag:
        waiting = self.channel.queue_declare(queue=self.queue, passive=True).message_count
        if not waiting:
            return Lag(0, None)
        head = self.channel.basic_get(queue=self.queue, no_ack=False)  # peek at the oldest, then put it back
        if head is None:
            return Lag(waiting, None)
        self.channel.basic_reject(head.delivery_tag, requeue=True)
        stamp = (head.properties or {}).get("timestamp")
        return Lag(waiting, age_of(stamp.timestamp() if hasattr(stamp, "timestamp") else stamp))

    def close(self) -> None:
        try:
            self.connection.release()
        except OSError:
            pass
