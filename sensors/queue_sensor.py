"""A sensor factory for message queues: messages land in their window's inbox file, then one run per window.

Each tick drains the queue in batches: a batch is parsed (each message to a window and a row, or a reason it is
refused), landed durably in the window's CSV file (resources/queues/landing.py: fsync, idempotent by message id),
refused messages are kept with their reason, and only then is the batch acknowledged. A consumer killed midway
leaves its batch unacknowledged: it is delivered again and lands once.

Runs are asked for from what the inbox holds, not from the batch in hand: a window's run_key is the window and
the digest of its message ids, so a tick that died before asking is made good by the next one with the same key.
A window is asked for once its messages stop arriving (the tick emptied the queue, or brought nothing for it),
never while a run of the job for that partition is in flight, and never again for a digest already run; at most
`AIWF_SENSOR_MAX_RUNS` runs of the job are queued or in progress at once, the other windows wait for later ticks.
Lag (messages waiting, the oldest's age) is recorded as an observation of `first_asset` (and as OTel gauges
when metrics are on). With `url_env` unset the sensor connects to nothing and says so.
"""

import json
import os
from functools import partial
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import dagster as dg

from resources.queues import Lag, QueueConsumer, open_consumer
from resources.queues.landing import WindowInbox
from resources.queues.metrics import record_lag
from resources.state.quarantine import Quarantine
from resources.state.resource import StateResource
from sensors.run_lookup import instance_of, launch_room, partitions_in_flight, tag_values

QUEUE_TAG = "aiwf/queue"  # the run_key a queue sensor launched a run for: "<window>:<digest>"


def queue_sensor(name: str, *, job, first_asset: dg.AssetKey, url_env: str, queue_env: str, default_queue: str,
                 folder: Callable[[StateResource], Path], prefix: str, columns: list[str],
                 parse: Callable[[bytes], tuple[str, dict]], tags_for: Callable[[Path, str], dict] | None = None,
                 workflow: str | None = None, batch: int = 500, max_per_tick: int = 10_000,
                 minimum_interval_seconds: int = 30) -> dg.SensorDefinition:
    """Launch `job` once per window of messages read from the queue at `url_env` (see the module docstring).

    `parse(body)` returns (window, row) or raises ValueError with the reason the message is refused;
    `tags_for(folder, window)` adds tags to a window's run (e.g. the file sensors' inbox digest). Refused
    messages are also quarantined under `workflow` and `first_asset` (`aiwf quarantine list`).
    """

    @dg.sensor(name=name, job=job, minimum_interval_seconds=minimum_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Lands messages from the queue at ${url_env} in their day's inbox file and runs "
                           f"{job.name} once per day; does nothing while ${url_env} is unset.")
    def _sensor(context: dg.SensorEvaluationContext, state: StateResource):
        url = os.environ.get(url_env, "").strip()
        if not url:
            return dg.SkipReason(f"{url_env} is unset: no queue is read")
        queue = os.environ.get(queue_env, "").strip() or default_queue
        inbox = WindowInbox(folder(state), prefix, columns)
        try:
            consumer = open_consumer(url, queue, group=name)
        except Exception as exc:  # kombu, amqp and redis raise their own types for a broker that is down
            raise RuntimeError(f"{name}: cannot reach queue {queue!r} at {_where(url)}: "
                               f"{type(exc).__name__}: {exc}") from exc
        try:
            quarantine = partial(quarantine_refused, state, workflow or name, first_asset, inbox)
            landed, rejected, touched = drain(consumer, inbox, parse, batch, max_per_tick, quarantine)
            lag = consumer.lag()
        finally:
            consumer.close()
        seen = _read_cursor(context)
        requests = _requests(context, name, job, inbox, seen["windows"], touched, lag, tags_for)
        record_lag(queue, lag)
        context.log.info(f"{queue}: {landed} landed, {rejected} refused, {lag.waiting} waiting, "
                         f"{len(requests)} run(s)")
        observe = landed or rejected or lag.waiting or seen.get("waiting")
        events = [dg.AssetObservation(first_asset, metadata={**lag.metadata(), "queue": queue,
                                                             "queue_landed": landed, "queue_refused": rejected})
                  ] if observe else []
        cursor = json.dumps({"windows": seen["windows"], "waiting": lag.waiting}, sort_keys=True)
        return dg.SensorResult(run_requests=requests, cursor=cursor, asset_events=events,
                               skip_reason=None if requests else f"{landed} landed, {lag.waiting} waiting in {queue}")

    return _sensor


def drain(consumer: QueueConsumer, inbox: WindowInbox, parse, batch: int, limit: int,
          on_refused=None) -> tuple[int, int, set]:
    """Land and ack up to `limit` messages: (landed, refused, windows landed in); `on_refused(window, items)`
    also files refused messages elsewhere before they are acked."""
    landed = rejected = taken = 0
    touched: set[str] = set()
    while taken < limit:
        messages = consumer.fetch(min(batch, limit - taken))
        if not messages:
            break
        taken += len(messages)
        rows: dict[str, list] = {}
        refused: dict[str | None, list] = {}
        for message in messages:
            if not message.body:
                continue  # deleted from the stream before it was read: nothing to land
            try:
                window, row = parse(message.body)
            except ValueError as err:
                refused.setdefault(_window_hint(message.body), []).append((message.id, str(err), message.body))
                continue
            rows.setdefault(window, []).append((message.id, row))
        for window, items in rows.items():
            landed += inbox.land(window, items)
        rejected += sum(inbox.reject(window, items) for window, items in refused.items())
        for window, items in refused.items() if on_refused else ():
            on_refused(window, items)
        touched |= set(rows)
        consumer.ack(messages)  # only now: every message of the batch is on disk
    return landed, rejected, touched


def _requests(context, name, job, inbox: WindowInbox, windows: dict, touched: set, lag: Lag,
              tags_for) -> list[dg.RunRequest]:
    """A run request per quiet window whose messages changed since its last run; `windows` is updated."""
    instance, partitions = instance_of(context), getattr(job, "partitions_def", None)
    changed = {}
    for window in inbox.windows():
        size = inbox.log_size(window)
        if windows.get(window, [None])[0] == size or (lag.waiting and window in touched):
            continue
        changed[window] = (size, inbox.digest(window))
    keys = {w: f"{w}:{d}" for w, (_, d) in changed.items()}
    launched = tag_values(instance, QUEUE_TAG, list(keys.values()))
    busy = partitions_in_flight(instance, job.name, list(changed))
    room = launch_room(instance, job.name)
    requests = []
    for window, entry in sorted(changed.items()):
        if partitions is not None and not partitions.has_partition_key(window):
            context.log.warning(f"{window} is not a partition of {job.name}: its messages wait in "
                                f"{inbox.path(window)}")
            continue
        if window in busy or (keys[window] not in launched and len(requests) >= room):
            continue  # asked again on a later tick
        windows[window] = list(entry)
        if keys[window] in launched:
            continue
        tags = {"aiwf/trigger": name, QUEUE_TAG: keys[window], **(tags_for(inbox.folder, window) if tags_for else {})}
        requests.append(dg.RunRequest(run_key=keys[window], partition_key=window, tags=tags))
    return requests


def quarantine_refused(state: StateResource, workflow: str, asset: dg.AssetKey, inbox: WindowInbox,
                       window: str | None, items: list[tuple[str, str, bytes]]) -> None:
    """One quarantine row per refused message (a redelivered one updates its row), beside the rejected file."""
    quarantine = Quarantine(state.store())
    for msg_id, reason, body in items:
        quarantine.put(workflow=workflow, asset_key=asset.to_user_string(), partition_key=window,
                       row_key=f"message:{msg_id}", error_class="invalid_message", reason=reason,
                       payload={"path": str(inbox.rejected_path(window)), "body": body[:2000].decode(errors="replace")})


def _window_hint(body: bytes) -> str | None:
    """The window a refused message names, if it names one: its reason is filed there."""
    try:
        value = json.loads(body).get("date")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-" else None


def _where(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _read_cursor(context) -> dict:
    try:
        seen = json.loads(context.cursor) if context.cursor else {}
    except ValueError:
        seen = {}
    if not isinstance(seen, dict) or not isinstance(seen.get("windows"), dict):
        return {"windows": {}, "waiting": 0}
    return seen
