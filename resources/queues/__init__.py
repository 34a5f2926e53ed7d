"""Message queues a sensor reads from: one small consumer interface (consumer.py) over RabbitMQ (kombu) and
Redis Streams (redis-py), chosen by the URL's scheme, and the durable per-window inbox that messages land in
before they are acknowledged (landing.py). Nothing here connects until `open_consumer` is called."""

from resources.queues.connect import open_consumer
from resources.queues.consumer import Lag, Message, QueueConsumer

__all__ = ["Lag", "Message", "QueueConsumer", "open_consumer"]
