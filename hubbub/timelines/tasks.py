"""Jobs that write home timelines."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from hubbub.accounts.actions import store_conversation_signals
from hubbub.accounts.models import Account
from hubbub.core import events
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.posts.models import Post, Visibility
from hubbub.timelines.redis_store import RedisTimelineStore
from hubbub.timelines.store import get_store

logger = logging.getLogger(__name__)


def enqueue_fan_out(post_id: int) -> None:
    """Queue ``fan_out_post`` for a committed post."""
    fan_out_post.enqueue(post_id)


def _fault_delay() -> float:
    # Test-only: "fanout.batch_delay:0.2" slows each batch so a test can kill
    # the worker part-way through a fan-out.
    name, _, value = settings.HUBBUB_FAULT.partition(":")
    return float(value) if name == "fanout.batch_delay" else 0.0


# Every fan-out loads its post the same way: compile that query once.
_posts_to_fan_out = PreparedQueries(Post)


def _post_to_fan_out(stand: Stand) -> QuerySet[Post]:
    """The post with what fan-out's rules read, while it still needs one."""
    return Post.objects.select_related(
        "author", "in_reply_to", "reblog_of__author"
    ).filter(id=stand.value("id"), fanned_out_at__isnull=True, deleted_at__isnull=True)


@task(queue_name="fanout")
def fan_out_post(post_id: int) -> None:
    """Write a post into the home timelines of those it is for.

    The accounts it mentions get it first (a direct post goes to no one
    else), then its author's followers, in batches, as the store's rules
    allow (replies, boosts, mutes and blocks: see ``fan_out_batch``).
    Safe to run any number of times: entries are unique per reader and
    post. Authors above HUBBUB_FANOUT_LIMIT followers are not pushed to
    followers here; their posts are merged in when a timeline is read.
    Ends by storing the conversation signals the post changed.
    """
    found = _posts_to_fan_out.run("by id", _post_to_fan_out, values={"id": post_id})
    if not found:
        return
    post = found[0]
    store, delay = get_store(), _fault_delay()
    pushed = (
        post.visibility != Visibility.DIRECT
        and post.author.followers_count <= settings.HUBBUB_FANOUT_LIMIT
    )
    # The mentioned are written with the first batch and the post marked
    # with the last: one commit per batch and no more, and the mark still
    # commits only with the last rows.
    cursor: int | None = 0
    while cursor is not None:
        with transaction.atomic():
            if cursor == 0:
                store.add_mentioned(post)
            cursor = (
                store.fan_out_batch(post, after_follower_id=cursor) if pushed else None
            )
            if cursor is None:
                Post.objects.filter(id=post_id).update(fanned_out_at=timezone.now())
        if cursor is not None and delay:
            time.sleep(delay)
    if post.reblog_of_id is None:
        # A note changes its author's conversation signal, and a reply that
        # of the author it answers; done here, once per post, rather than
        # in a job of its own per post.
        store_conversation_signals(
            [post.author_id]
            + ([post.in_reply_to.author_id] if post.in_reply_to else [])
        )
    # Announced only now that every timeline row exists, so the streaming
    # server can tell who has the post with one query over the timelines.
    events.publish(events.POST_CREATED, post_id=post_id)


def redrive_stalled_fan_outs(*, limit: int = 500) -> int:
    """Re-queue fan-outs that have waited longer than HUBBUB_FANOUT_SWEEP_AFTER.

    A post keeps ``fanned_out_at`` empty until its fan-out finishes, so one
    whose job was lost (worker killed, process died between commit and
    enqueue) is found here. Returns how many were re-queued.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.HUBBUB_FANOUT_SWEEP_AFTER)
    stalled = list(
        Post.objects.filter(
            fanned_out_at__isnull=True,
            fanout_queued_at__lt=cutoff,
            deleted_at__isnull=True,
        )
        .order_by("fanout_queued_at")
        .values_list("id", "fanout_queued_at")[:limit]
    )
    requeued = 0
    for post_id, queued_at in stalled:
        # Claim it first, so several sweepers never queue the same post twice.
        claimed = Post.objects.filter(
            id=post_id, fanout_queued_at=queued_at, fanned_out_at__isnull=True
        ).update(fanout_queued_at=now)
        if claimed:
            enqueue_fan_out(post_id)
            requeued += 1
    if requeued:
        logger.warning("Re-queued %d stalled fan-outs", requeued)
    return requeued


def trim_timelines(*, after_reader_id: int = 0, readers: int = 1000) -> int:
    """Cap stored timelines at HUBBUB_TIMELINE_LENGTH, a slice of readers at
    a time.

    Looks at the next ``readers`` accounts in id order after
    ``after_reader_id`` and trims those over the length. Returns the cursor
    for the next call: the last account looked at, or 0 once the slice
    reached the end, so that repeated sweeps keep cycling through everyone.
    """
    reader_ids = list(
        Account.objects.filter(pk__gt=after_reader_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:readers]
    )
    store = get_store()
    for reader_id in store.over_length(reader_ids):
        store.trim(reader_id)
    return reader_ids[-1] if len(reader_ids) == readers else 0


@task()
def rebuild_home_timeline(reader_id: int) -> None:
    """Rebuild a reader's Redis timeline from the database (a no-op on SQL).

    Queued by the first read that finds the reader's set missing; that read
    is served from the database meanwhile.
    """
    store = get_store()
    if isinstance(store, RedisTimelineStore):
        store.rebuild(reader_id)
