"""The event bus: writers announce what changed, the streaming server listens.

An event carries ids only (never rendered JSON): each streaming connection
renders what it sends for its own user, with the visibility rules of the
moment. Writers call ``publish``, which sends after the surrounding
transaction commits, so a listener never hears of a row it cannot read yet.

Two buses stand behind one interface (``get_bus``):

* ``DatabaseBus``, the embedded default: events are rows of ``core.Event``;
  a subscriber polls for ids above the last one it saw. Rows older than
  ``HUBBUB_EVENT_RETENTION`` seconds are pruned by the worker's sweeper.
* ``RedisBus``, chosen when ``HUBBUB_REDIS_URL`` is set: redis-py pub/sub on
  one channel.

Both subscriptions are read with ``fetch``, which never blocks: the
streaming server calls it from its one ORM thread between short sleeps,
so a slow bus cannot stall the token checks that share that thread.
"""

import logging
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hubbub.core.redis_client import client

logger = logging.getLogger(__name__)

POST_CREATED = "post.created"
POST_DELETED = "post.deleted"
NOTIFICATION_CREATED = "notification.created"
# Events a subscriber takes per fetch, so a backlog is drained in steps.
BATCH_SIZE = 500
REDIS_CHANNEL = "hubbub:events"


@dataclass(frozen=True, slots=True)
class Event:
    """Something changed: ``name`` says what, ``payload`` holds the ids."""

    name: str
    payload: dict[str, Any]


class Subscription(Protocol):
    def fetch(self) -> list[Event]:
        """Return the events published since the last fetch (never blocks)."""

    def close(self) -> None:
        """Stop listening."""


class Bus(Protocol):
    #: Seconds a subscriber should sleep between fetches.
    poll_interval: float

    def send(self, *events: Event) -> None:
        """Deliver ``events`` to every subscriber, now, in one write."""

    def subscribe(self) -> Subscription:
        """Start listening; only events sent from now on are fetched."""

    def prune(self) -> int:
        """Forget events no subscriber can still need; return how many."""


class DatabaseSubscription:
    """Reads ``core.Event`` rows above the last id seen.

    On PostgreSQL two writers can commit their ids out of order, so a row
    just below the last id seen may appear a moment later. Each fetch also
    rereads the last ``LOOKBACK`` ids and skips the ones already delivered.
    """

    LOOKBACK = 50

    def __init__(self) -> None:
        from hubbub.core.models import Event as Row

        last = Row.objects.order_by("-id").values_list("id", flat=True).first()
        self.last_id = last or 0
        # Every id at or below this was there when we subscribed.
        self.start_id = self.last_id
        self.seen: deque[int] = deque(maxlen=self.LOOKBACK * 4)

    def fetch(self) -> list[Event]:
        from hubbub.core.models import Event as Row

        floor = max(self.start_id, self.last_id - self.LOOKBACK)
        rows = list(
            Row.objects.filter(id__gt=floor)
            .order_by("id")
            .values_list("id", "name", "payload")[: BATCH_SIZE + self.LOOKBACK]
        )
        seen = set(self.seen)
        fresh = [row for row in rows if row[0] not in seen][:BATCH_SIZE]
        for row in fresh:
            self.seen.append(row[0])
            self.last_id = max(self.last_id, row[0])
        return [Event(name, payload) for _, name, payload in fresh]

    def close(self) -> None:
        pass


class DatabaseBus:
    """The embedded bus: one table, polled."""

    poll_interval = 0.15

    def send(self, *events: Event) -> None:
        from hubbub.core.models import Event as Row

        Row.objects.bulk_create(Row(name=e.name, payload=e.payload) for e in events)

    def subscribe(self) -> DatabaseSubscription:
        return DatabaseSubscription()

    def prune(self) -> int:
        from hubbub.core.models import Event as Row

        cutoff = timezone.now() - timedelta(seconds=settings.HUBBUB_EVENT_RETENTION)
        deleted, _ = Row.objects.filter(created_at__lt=cutoff).delete()
        return deleted


class RedisSubscription:
    """One redis-py pub/sub connection on the events channel."""

    def __init__(self, client: Any) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(REDIS_CHANNEL)

    def fetch(self) -> list[Event]:
        events: list[Event] = []
        while len(events) < BATCH_SIZE:
            message = self.pubsub.get_message(timeout=0)
            if message is None:
                break
            try:
                data = orjson.loads(message["data"])
                events.append(Event(data["name"], data["payload"]))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                logger.warning("Ignored a malformed event on %s", REDIS_CHANNEL)
        return events

    def close(self) -> None:
        self.pubsub.close()


class RedisBus:
    """Redis pub/sub: nothing is stored, so nothing needs pruning."""

    poll_interval = 0.05

    def __init__(self, url: str) -> None:
        self.client = client(url)

    def send(self, *events: Event) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                message = {"name": event.name, "payload": event.payload}
                pipe.publish(REDIS_CHANNEL, orjson.dumps(message))
            pipe.execute()

    def subscribe(self) -> RedisSubscription:
        return RedisSubscription(self.client)

    def prune(self) -> int:
        return 0


@cache
def _bus_for(redis_url: str) -> Bus:
    return RedisBus(redis_url) if redis_url else DatabaseBus()


def get_bus() -> Bus:
    """Return the configured bus: Redis when HUBBUB_REDIS_URL is set."""
    return _bus_for(settings.REDIS_URL)


def publish(name: str, **payload: Any) -> None:
    """Announce an event once the current transaction commits (now if none).

    A lost event only delays a live update (the timeline still has the
    post), so a failing bus is logged rather than failing the writer.
    """
    publish_each(name, [payload])


def publish_each(name: str, payloads: list[dict[str, Any]]) -> None:
    """Announce one event per payload, as ``publish`` does, in one write to
    the bus (one INSERT, or one round trip to Redis)."""
    batch = [Event(name, payload) for payload in payloads]

    def send() -> None:
        try:
            get_bus().send(*batch)
        except Exception:
            logger.exception("Could not publish %s", name)

    transaction.on_commit(send)


def publish_notification(notification_id: int, recipient_id: int) -> None:
    """Announce a new notification (call it from the notification writer)."""
    publish(
        NOTIFICATION_CREATED,
        notification_id=notification_id,
        recipient_id=recipient_id,
    )


def publish_post_deleted(post_id: int, author_id: int) -> None:
    """Announce that a post was deleted (call it from the delete action)."""
    publish(POST_DELETED, post_id=post_id, author_id=author_id)
