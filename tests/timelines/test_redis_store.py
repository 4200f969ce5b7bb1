"""The Redis timeline store: a mirror of the table, rebuilt when lost.

Runs against the Redis that every test machine has (.ci/run starts it),
whether or not the suite is configured with Redis. Jobs run through the
real worker; tests assert Redis keys, table rows and pages.
"""

import os
import uuid

import pytest
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import (
    block_account,
    follow_account,
    mute_account,
    unfollow_account,
)
from hubbub.accounts.models import Account
from hubbub.posts.actions import boost_post, delete_post, publish_note
from hubbub.timelines import redis_store
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.redis_store import RedisTimelineStore, timeline_key
from hubbub.timelines.store import PageBounds, get_store
from tests.conftest import forget_redis_timelines
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"


@pytest.fixture
def store(settings) -> RedisTimelineStore:
    """Select the Redis store, with no timelines in Redis before or after."""
    settings.REDIS_URL = REDIS_URL
    forget_redis_timelines(REDIS_URL)
    store = get_store()
    assert isinstance(store, RedisTimelineStore)
    yield store
    forget_redis_timelines(REDIS_URL)


def redis_ids(store: RedisTimelineStore, reader: Account) -> list[int] | None:
    """Return a reader's Redis ids newest first, or None if there is no set."""
    key = timeline_key(reader.pk)
    if not store.redis.exists(key):
        return None
    members = store.redis.zrange(key, "+", "[0", desc=True, bylex=True)
    return [int(m) for m in members]


def table_ids(reader: Account) -> list[int]:
    return list(
        TimelineEntry.objects.filter(reader=reader)
        .order_by("-post_id")
        .values_list("post_id", flat=True)
    )


def home_ids(reader: Account, **bounds) -> list[int]:
    return [post.id for post in home_timeline(reader, PageBounds(**bounds))]


def build(reader: Account, run_jobs) -> None:
    """Read once, as a returning reader does, and run the rebuild it queues."""
    with run_jobs():
        home_ids(reader)


def test_a_cold_read_is_served_from_the_table_and_queues_one_rebuild(
    alice, bob, store, run_jobs
):
    follow_account(alice, followee=bob)
    with run_jobs():
        notes = [publish_note(bob, text=f"note {n}").id for n in range(3)]
    assert redis_ids(store, alice) is None

    with run_jobs():
        first = home_ids(alice)
        again = home_ids(alice)

    assert first == again == notes[::-1]
    # The second read found the rebuild already queued.
    assert (
        DBTaskResult.objects.filter(task_path__endswith="rebuild_home_timeline").count()
        == 1
    )
    assert redis_ids(store, alice) == table_ids(alice) == notes[::-1]
    assert home_ids(alice) == notes[::-1]


def test_fan_out_pushes_only_to_readers_with_a_timeline_in_redis(
    alice, bob, carol, store, run_jobs
):
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    build(alice, run_jobs)
    assert redis_ids(store, alice) == []

    with run_jobs():
        note = publish_note(bob, text="hello both")

    assert redis_ids(store, alice) == [note.id]
    # carol has not read lately: her entry is in the table only.
    assert redis_ids(store, carol) is None
    assert table_ids(carol) == [note.id]
    assert home_ids(alice) == home_ids(carol) == [note.id]


def test_a_read_keeps_the_timeline_for_the_active_days(alice, store, run_jobs):
    build(alice, run_jobs)
    store.redis.expire(timeline_key(alice.pk), 5)

    home_ids(alice)

    ttl = store.redis.ttl(timeline_key(alice.pk))
    assert 7 * 86400 - 60 < ttl <= 7 * 86400


def test_redis_keeps_only_the_newest_entries(alice, bob, store, settings, run_jobs):
    settings.HUBBUB_TIMELINE_LENGTH = 3
    follow_account(alice, followee=bob)
    build(alice, run_jobs)

    with run_jobs():
        notes = [publish_note(bob, text=f"note {n}").id for n in range(5)]

    assert redis_ids(store, alice) == notes[:1:-1]


@pytest.fixture
def reading_alice(alice, bob, carol, store, run_jobs) -> Account:
    """alice follows bob and carol, and has read lately (a set in Redis)."""
    follow_account(alice, followee=bob)
    follow_account(alice, followee=carol)
    build(alice, run_jobs)
    return alice


def test_a_lost_timeline_is_served_from_the_table_then_rebuilt(
    reading_alice, bob, carol, store, run_jobs
):
    alice = reading_alice
    with run_jobs():
        notes = [publish_note(a, text="hi").id for a in (bob, carol, bob)]
    assert redis_ids(store, alice) == notes[::-1]

    forget_redis_timelines(REDIS_URL)  # what FLUSHDB does to timelines
    with run_jobs():
        assert home_ids(alice) == notes[::-1]
    # Later posts reach the rebuilt set.
    with run_jobs():
        notes.append(publish_note(carol, text="later").id)

    assert redis_ids(store, alice) == notes[::-1]
    assert home_ids(alice) == notes[::-1]


def test_a_rebuild_cut_off_midway_is_not_read_and_is_completed_later(
    alice, bob, store, run_jobs, monkeypatch
):
    follow_account(alice, followee=bob)
    with run_jobs():
        notes = [publish_note(bob, text=f"note {n}").id for n in range(5)]
    monkeypatch.setattr(redis_store, "REBUILD_CHUNK", 2)
    # The worker dies after copying the newest chunk: its second push fails.
    pushes = []
    real_push = store._push

    def dying_push(reader_ids, members):
        if pushes:
            raise SystemExit("worker killed")
        pushes.append(members)
        real_push(reader_ids, members)

    monkeypatch.setattr(store, "_push", dying_push)
    with pytest.raises(SystemExit):
        store.rebuild(alice.pk)
    monkeypatch.undo()
    assert redis_ids(store, alice) == notes[:2:-1]  # the newest two only

    # That set is not read: the page comes from the table, whole.
    assert home_ids(alice) == notes[::-1]
    # Once the queued rebuild's hold runs out, the next read queues another,
    # which completes the set.
    store.redis.delete(f"{timeline_key(alice.pk)}:rebuild")
    with run_jobs():
        assert home_ids(alice) == notes[::-1]
    assert redis_ids(store, alice) == notes[::-1]
    assert not store.redis.exists(f"{timeline_key(alice.pk)}:partial")
    assert home_ids(alice) == notes[::-1]


def test_a_later_rebuild_keeps_the_set_partial_until_it_is_done(
    alice, bob, store, run_jobs, monkeypatch
):
    follow_account(alice, followee=bob)
    with run_jobs():
        publish_note(bob, text="note")
    partial = f"{timeline_key(alice.pk)}:partial"
    real_push = store._push

    def push_as_another_rebuild_starts(reader_ids, members):
        # A second rebuild of the same set begins while this one copies.
        store.redis.set(partial, "the later rebuild's token")
        real_push(reader_ids, members)

    monkeypatch.setattr(store, "_push", push_as_another_rebuild_starts)
    store.rebuild(alice.pk)

    # Not this rebuild's mark: the later one drops it when it is done.
    assert store.redis.get(partial) == b"the later rebuild's token"
    assert home_ids(alice) == table_ids(alice)
    monkeypatch.undo()
    store.rebuild(alice.pk)
    assert not store.redis.exists(partial)


def test_fan_out_reaches_redis_that_lost_its_script(
    reading_alice, bob, store, run_jobs, monkeypatch
):
    # A script Redis has not seen, as after a restart or SCRIPT FLUSH
    # (which would take every other client's scripts too).
    unseen = f"{redis_store._ADD_IF_BUILT}-- {uuid.uuid4()}\n"
    monkeypatch.setattr(redis_store, "_ADD_IF_BUILT", unseen)
    stamp = store.version()

    with run_jobs():
        note = publish_note(bob, text="after a restart")

    assert redis_ids(store, reading_alice) == [note.id]
    assert store.version() != stamp


def test_deleting_a_post_removes_it_from_redis(alice, bob, carol, store, run_jobs):
    follow_account(alice, followee=bob)
    follow_account(carol, followee=bob)
    build(alice, run_jobs)
    build(carol, run_jobs)
    with run_jobs():
        kept = publish_note(bob, text="kept")
        gone = publish_note(bob, text="gone")

    with run_jobs():
        delete_post(bob, post=gone)

    assert redis_ids(store, alice) == redis_ids(store, carol) == [kept.id]


def test_unfollowing_drops_the_timeline_and_the_next_read_is_right(
    reading_alice, bob, carol, store, run_jobs
):
    alice = reading_alice
    with run_jobs():
        from_bob = publish_note(bob, text="bob")
        from_carol = publish_note(carol, text="carol")

    with run_jobs():
        unfollow_account(alice, followee=bob)
    assert redis_ids(store, alice) is None

    with run_jobs():
        assert home_ids(alice) == [from_carol.id]
    assert redis_ids(store, alice) == [from_carol.id]
    assert from_bob.id not in table_ids(alice)


@pytest.fixture
def busy_graph(alice, bob, carol, store, settings, run_jobs):
    """A home timeline with pushed and merged authors, replies, boosts,
    mutes and blocks, fanned out while alice's Redis timeline exists."""
    settings.HUBBUB_FANOUT_LIMIT = 2
    dave, erin = AccountFactory.create_batch(2)
    loud = AccountFactory()  # over the limit: merged when read
    for follower in (alice, bob, *AccountFactory.create_batch(2)):
        follow_account(follower, followee=loud)
    for followee in (bob, carol, dave, erin):
        follow_account(alice, followee=followee)
    mute_account(alice, target=erin)
    block_account(dave, target=carol)
    build(alice, run_jobs)
    with run_jobs():
        for n in range(4):
            first = publish_note(bob, text=f"bob {n}")
            publish_note(loud, text=f"loud {n}")
            publish_note(carol, text=f"carol {n}", in_reply_to=first)
            publish_note(dave, text=f"dave {n}")
            publish_note(erin, text=f"erin {n}")
            publish_note(alice, text=f"own {n}", in_reply_to=first)
        boost_post(carol, post=first)
        boost_post(bob, post=publish_note(loud, text="boosted loud"))
    return alice


PAGES = [
    {"limit": 20},
    {"limit": 40},
    {"limit": 5},
    {"max_id": "third", "limit": 7},
    {"since_id": "tenth", "limit": 40},
    {"min_id": "tenth", "limit": 4},
    {"max_id": "third", "since_id": "tenth"},
]


def test_redis_pages_are_the_tables_pages(busy_graph, store, settings):
    reader = busy_graph
    everything = home_ids(reader, limit=100)
    marks = {"third": everything[2], "tenth": everything[9]}
    pages = [{k: marks.get(v, v) for k, v in page.items()} for page in PAGES]
    assert redis_ids(store, reader) is not None

    from_redis = [home_ids(reader, **bounds) for bounds in pages]
    settings.REDIS_URL = ""
    from_table = [home_ids(reader, **bounds) for bounds in pages]

    assert from_redis == from_table
    assert all(from_redis)


def test_a_page_from_redis_is_one_query(busy_graph, store, django_assert_num_queries):
    assert redis_ids(store, busy_graph)
    with django_assert_num_queries(1):
        page = home_timeline(busy_graph, PageBounds(limit=20))
        names = [post.author.username for post in page]
    assert len(names) == 20
