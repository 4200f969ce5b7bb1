"""The event bus: what a writer publishes, a subscriber fetches."""

import os
import time
from datetime import timedelta

import pytest
import redis
from django.test import TestCase
from django.utils import timezone

from hubbub.core import events
from hubbub.core.models import Event as Row

# Redis runs on every machine hubbub is tested on (.ci/run starts it); the
# Redis bus is tested whether or not the suite runs on the Redis settings.
REDIS_URL = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Publish as writers do, running the on-commit send at once."""

    def publish(name, **payload):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(name, **payload)

    return publish


def test_database_bus_round_trip(db, settings, published):
    settings.REDIS_URL = ""
    subscription = events.get_bus().subscribe()
    assert subscription.fetch() == []
    published(events.POST_CREATED, post_id=7)
    events.publish_post_deleted(7, 3)  # not committed yet: nothing sent
    assert subscription.fetch() == [events.Event(events.POST_CREATED, {"post_id": 7})]
    assert subscription.fetch() == []


def test_events_published_together_arrive_in_order(db, settings):
    settings.REDIS_URL = ""
    subscription = events.get_bus().subscribe()
    with TestCase.captureOnCommitCallbacks(execute=True):
        events.publish_each(events.POST_CREATED, [{"post_id": 1}, {"post_id": 2}])
    assert [e.payload for e in subscription.fetch()] == [
        {"post_id": 1},
        {"post_id": 2},
    ]


def test_database_subscription_starts_at_the_newest_event(db, published, settings):
    settings.REDIS_URL = ""
    published(events.POST_CREATED, post_id=1)
    subscription = events.DatabaseBus().subscribe()
    published(events.POST_DELETED, post_id=1, author_id=2)
    assert [e.name for e in subscription.fetch()] == [events.POST_DELETED]


def test_publish_waits_for_commit(db, django_capture_on_commit_callbacks, settings):
    settings.REDIS_URL = ""
    subscription = events.get_bus().subscribe()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.publish_notification(5, 9)
    assert subscription.fetch() == []
    callbacks[0]()
    assert subscription.fetch() == [
        events.Event(
            events.NOTIFICATION_CREATED, {"notification_id": 5, "recipient_id": 9}
        )
    ]


def test_prune_forgets_old_events_only(db, settings):
    settings.HUBBUB_EVENT_RETENTION = 60
    bus = events.DatabaseBus()
    bus.send(events.Event(events.POST_CREATED, {"post_id": 1}))
    bus.send(events.Event(events.POST_CREATED, {"post_id": 2}))
    Row.objects.filter(payload__post_id=1).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert bus.prune() == 1
    assert list(Row.objects.values_list("payload", flat=True)) == [{"post_id": 2}]


def test_redis_bus_round_trip():
    assert redis.Redis.from_url(REDIS_URL).ping()
    bus = events.RedisBus(REDIS_URL)
    subscription = bus.subscribe()
    try:
        bus.send(events.Event(events.POST_DELETED, {"post_id": 4, "author_id": 2}))
        got = []
        for _ in range(50):  # pub/sub is asynchronous: allow up to 1 s
            got += subscription.fetch()
            if got:
                break
            time.sleep(0.02)
        assert got == [
            events.Event(events.POST_DELETED, {"post_id": 4, "author_id": 2})
        ]
        assert bus.prune() == 0
    finally:
        subscription.close()


def test_database_subscription_catches_a_late_lower_id(db, settings):
    """A row committed after a higher id (PostgreSQL) is still delivered once."""
    settings.REDIS_URL = ""
    bus = events.DatabaseBus()
    subscription = bus.subscribe()
    bus.send(events.Event(events.POST_CREATED, {"post_id": 1}))
    bus.send(events.Event(events.POST_CREATED, {"post_id": 2}))
    first, second = Row.objects.order_by("id")
    second.delete()  # as if the lower id had not committed yet
    late_id = first.id
    first.delete()
    Row.objects.create(id=late_id + 1, name=events.POST_CREATED, payload={"post_id": 2})
    assert [e.payload for e in subscription.fetch()] == [{"post_id": 2}]
    Row.objects.create(id=late_id, name=events.POST_CREATED, payload={"post_id": 1})
    assert [e.payload for e in subscription.fetch()] == [{"post_id": 1}]
    assert subscription.fetch() == []
