"""A worker killed part-way through a fan-out loses nothing, on either queue."""

import os
import signal

import pytest
from django.db.models import Count

from hubbub.accounts.models import Account, Follow
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from tests.live import HUBBUB, hubbub_env, running, wait_for

pytestmark = pytest.mark.slow

FOLLOWERS = 2000
# Redis runs on every machine hubbub is tested on (.ci/run starts it).
REDIS_URL = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"


def _author_with_followers(n: int) -> Account:
    author = Account.objects.create(username="loud", followers_count=n)
    followers = Account.objects.bulk_create(
        Account(username=f"reader{i}") for i in range(n)
    )
    Follow.objects.bulk_create(Follow(follower=f, followee=author) for f in followers)
    return author


def test_killed_worker_mid_fan_out_then_sweeper_completes_it(
    transactional_db, tmp_path, django_capture_on_commit_callbacks
):
    author = _author_with_followers(FOLLOWERS)
    with django_capture_on_commit_callbacks(execute=True):
        note = publish_note(author, text="Everyone gets this exactly once")
    readers = TimelineEntry.objects.filter(post=note).exclude(reader=author)

    slow = hubbub_env(
        tmp_path,
        HUBBUB_FANOUT_BATCH_SIZE="100",
        HUBBUB_FAULT="fanout.batch_delay:0.3",
    )
    with running([HUBBUB, "worker"], slow, tmp_path / "worker1.log") as pid:
        assert wait_for(lambda: readers.count() >= 300, timeout=60)
        os.kill(pid, signal.SIGKILL)
    written_before_kill = readers.count()
    assert 0 < written_before_kill < FOLLOWERS
    note.refresh_from_db()
    assert note.fanned_out_at is None

    # A new worker's sweeper finds the stalled post and re-drives it.
    fresh = hubbub_env(tmp_path, HUBBUB_FANOUT_SWEEP_AFTER="1")
    with running(
        [HUBBUB, "worker", "--sweep-interval", "0.5"], fresh, tmp_path / "w2.log"
    ):
        assert wait_for(
            lambda: Post.objects.filter(
                id=note.id, fanned_out_at__isnull=False
            ).exists(),
            timeout=60,
        ), (tmp_path / "w2.log").read_text()

    assert readers.count() == FOLLOWERS
    duplicated = (
        TimelineEntry.objects.values("reader", "post")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicated.exists()
    assert set(readers.values_list("reader_id", flat=True)) == set(
        Follow.objects.filter(followee=author).values_list("follower_id", flat=True)
    )


def test_killed_rq_worker_mid_fan_out_then_sweeper_completes_it(
    transactional_db, tmp_path
):
    """The same on the Redis queue (RQ), for a job that was never queued.

    The post's on-commit enqueue is not run here, as if the web process
    died after its commit: the worker's sweeper queues it on RQ.
    """
    author = _author_with_followers(FOLLOWERS)
    note = publish_note(author, text="Lost, then found, then done once")
    readers = TimelineEntry.objects.filter(post=note).exclude(reader=author)
    on_redis = {
        "HUBBUB_REDIS_URL": REDIS_URL,
        "HUBBUB_TASK_QUEUE": "redis",
        "HUBBUB_FANOUT_SWEEP_AFTER": "1",
    }
    slow = hubbub_env(
        tmp_path,
        HUBBUB_FANOUT_BATCH_SIZE="100",
        HUBBUB_FAULT="fanout.batch_delay:0.3",
        **on_redis,
    )
    sweep = ["--sweep-interval", "0.5"]
    log = tmp_path / "rq1.log"
    with running([HUBBUB, "worker", *sweep], slow, log) as pid:
        assert wait_for(lambda: readers.count() >= 300, timeout=60), log.read_text()
        os.kill(pid, signal.SIGKILL)
    assert 0 < readers.count() < FOLLOWERS

    log = tmp_path / "rq2.log"
    with running([HUBBUB, "worker", *sweep], hubbub_env(tmp_path, **on_redis), log):
        assert wait_for(
            lambda: Post.objects.filter(
                id=note.id, fanned_out_at__isnull=False
            ).exists(),
            timeout=60,
        ), log.read_text()

    assert readers.count() == FOLLOWERS
    assert not (
        TimelineEntry.objects.values("reader", "post")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
