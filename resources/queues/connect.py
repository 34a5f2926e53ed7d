"""The consumer for a queue URL: its scheme picks the broker; the broker's client is imported only here."""

from urllib.parse import urlsplit

from resources.queues.consumer import QueueConsumer

SCHEMES = {"amqp": "rabbitmq", "amqps": "rabbitmq", "pyamqp": "rabbitmq", "redis": "redis", "rediss": "redis"}


def open_consumer(url: str, queue: str, group: str) -> QueueConsumer:
    """A consumer for `url` (amqp://... RabbitMQ, redis://... a Redis stream read by consumer group `group`)."""
    kind = SCHEMES.get(urlsplit(url).scheme.lower())
    if kind == "rabbitmq":
        from resources.queues.rabbitmq import RabbitMQConsumer

        return RabbitMQConsumer(url, queue)
    if kind == "redis":
        from resources.queues.redis_streams import RedisStreamConsumer

        return RedisStreamConsumer(url, queue, group)
    raise ValueError(f"queue URL scheme {urlsplit(url).scheme!r} is not supported: use amqp:// (RabbitMQ) or "
                     f"redis:// (Redis Streams)")
