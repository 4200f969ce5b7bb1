"""Jobs that write home timelines."""

import logging
import time
from datetime import timedelta
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from hubbub.accounts.actions import store_conversation_signals
from hubbub.accounts.models import Account
from hubbub.core import events
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.posts.models import Mention, Post, Visibility
from hubbub.timelines.redis_store import RedisTimelineStore
from hubbub.timelines.store import SQLTimelineStore, get_store

logger = logging.getLogger(__name__)


# Posts one fan-out transaction writes, at most. Their rows commit together,
# so one commit serves them all; few enough that the first of them does not
# wait long for the last, nor writers long for SQLite's one write lock.
GROUP_POSTS = 50
# Groups one job writes before it leaves the rest to a job of its own, so
# that no job runs unbounded. Few: under a steady stream every group is
# full, and a big author's job queued meanwhile waits for the workers'
# running jobs to end (with 20, seconds at 200 notes/s).
GROUP_ROUNDS = 4


def enqueue_fan_out(post_id: int, *, author_followers: int | None = None) -> None:
    """Queue ``fan_out_post`` for a committed post, unless a fan-out job is
    queued and not yet started that will write this post too.

    A job writes every waiting post it may take when it starts (see
    ``fan_out_post``), so at a high posting rate one job serves many posts
    instead of each post paying a job's claim and bookkeeping. It takes
    only posts whose author has at most one batch of followers: a caller
    that knows the author's ``followers_count`` passes it, and any other
    post gets a job of its own. A post whose author passes a batch of
    followers meanwhile is left to the sweeper.
    """
    if (
        author_followers is not None
        and author_followers <= settings.HUBBUB_FANOUT_BATCH_SIZE
        and _job_waiting()
    ):
        return
    fan_out_post.enqueue(post_id)


def _job_waiting() -> bool:
    """Say whether a fan-out job is queued that no worker has taken yet."""
    queue = fan_out_post.queue_name
    if settings.TASK_QUEUE == "redis":
        return bool(_rq_queue(queue).count)
    from django_tasks_db.models import DBTaskResult

    # The worker marks a job RUNNING, in a commit of its own, before the job
    # looks for waiting posts: a job still READY here will see this post.
    return DBTaskResult.objects.ready().filter(queue_name=queue).exists()


@cache
def _rq_queue(name: str) -> Any:
    """Return this process's RQ queue ``name``: django-rq builds a new Redis
    client for every queue it returns, which took longer than asking."""
    import django_rq

    return django_rq.get_queue(name)


def _fault_delay() -> float:
    # Test-only: "fanout.batch_delay:0.2" slows each batch so a test can kill
    # the worker part-way through a fan-out.
    name, _, value = settings.HUBBUB_FAULT.partition(":")
    return float(value) if name == "fanout.batch_delay" else 0.0


# Every fan-out loads its posts the same ways: compile those queries once.
_posts_to_fan_out = PreparedQueries(Post)


def _fan_out_related(posts: QuerySet[Post]) -> QuerySet[Post]:
    """``posts`` with what fan-out's rules read, while they need a fan-out.

    Each is locked until the transaction ends (PostgreSQL), so that two
    workers never write the same post at once.
    """
    return posts.select_related("author", "in_reply_to", "reblog_of__author").filter(
        fanned_out_at__isnull=True, deleted_at__isnull=True
    )


def _post_to_fan_out(stand: Stand) -> QuerySet[Post]:
    """The post, locked, waiting for it if another writer holds it."""
    return _fan_out_related(
        Post.objects.filter(id=stand.value("id"))
    ).select_for_update(of=("self",), no_key=True)


def _waiting(stand: Stand, *, batch: int) -> QuerySet[Post]:
    """Other posts whose fan-out was queued, oldest first, that fit one batch.

    Posts locked by another worker (its own group) are skipped. So are
    authors with more followers than one batch: such a post is written a
    batch per commit by its own job, which the sweeper re-drives if it
    dies, and a group's one commit would hold its rows back.
    """
    return (
        _fan_out_related(
            Post.objects.filter(
                fanout_queued_at__isnull=False,
                # Not a stand-in: Django finds a negative one out of range.
                author__followers_count__lte=batch,
            ).exclude(id=stand.value("id"))
        )
        .select_for_update(of=("self",), no_key=True, skip_locked=True)
        .order_by("fanout_queued_at")[:GROUP_POSTS]
    )


@task(queue_name="fanout")
def fan_out_post(post_id: int) -> None:
    """Write a post, and the other posts waiting for theirs, into the home
    timelines of those they are for.

    The accounts a post mentions get it first (a direct post goes to no
    one else), then its author's followers, as the store's rules allow
    (replies, boosts, mutes and blocks: see ``fan_out_batch``). Posts that
    fit one batch are written in groups of up to GROUP_POSTS, each group
    in one transaction that also marks them done and stores the
    conversation signals they changed; the job runs while it finds such
    posts waiting (``_waiting``), so the jobs queued for them find nothing
    left to do. A post with more followers than a batch is written before
    them, a batch per commit, and marked with its last. Safe to run any number of times:
    entries are unique per reader and post. Authors above
    HUBBUB_FANOUT_LIMIT followers are not pushed to followers here; their
    posts are merged in when a timeline is read.
    """
    store = get_store()
    for round_ in range(GROUP_ROUNDS):
        alone: Post | None = None
        with transaction.atomic():
            posts = []
            if round_ == 0:
                posts = _posts_to_fan_out.run(
                    "by id", _post_to_fan_out, values={"id": post_id}
                )
                if posts and not _fits_a_batch(posts[0]):
                    alone, posts = posts[0], []
            if alone is None:
                batch = settings.HUBBUB_FANOUT_BATCH_SIZE
                posts += _posts_to_fan_out.run(
                    ("waiting", batch),
                    partial(_waiting, batch=batch),
                    values={"id": post_id},
                )
                _write_group(store, posts)
        if alone is not None:
            # Before the groups: the posts waiting now were queued after
            # it, and at a high rate the groups would hold it for all of
            # GROUP_ROUNDS (seconds behind notes published after it).
            _write_alone(store, alone)
        elif len(posts) < GROUP_POSTS:
            break
    else:
        # Still more waiting: a job of their own takes them, after the
        # jobs queued meanwhile.
        fan_out_post.enqueue(post_id)


def _fits_a_batch(post: Post) -> bool:
    return post.author.followers_count <= settings.HUBBUB_FANOUT_BATCH_SIZE


def _pushed(post: Post) -> bool:
    """Say whether followers get ``post`` on write (else only the mentioned)."""
    return (
        post.visibility != Visibility.DIRECT
        and post.author.followers_count <= settings.HUBBUB_FANOUT_LIMIT
    )


def _write_group(store: SQLTimelineStore, posts: list[Post]) -> None:
    """Write ``posts`` to every timeline they are for and mark them done.

    Call inside the transaction that locked them.
    """
    if not posts:
        return
    ids = [post.id for post in posts]
    # Most notes mention no one: ask once which do.
    mentioning = set(
        Mention.objects.filter(post_id__in=ids).values_list("post_id", flat=True)
    )
    with store.holding_mirror():
        for post in posts:
            if post.id in mentioning:
                store.add_mentioned(post)
            if _pushed(post):
                store.fan_out(post)
    Post.objects.filter(id__in=ids).update(fanned_out_at=timezone.now())
    _after_fan_out(posts)


def _write_alone(store: SQLTimelineStore, post: Post) -> None:
    """Write one post a batch per commit, marking it done with the last."""
    delay = _fault_delay()
    # The mentioned are written with the first batch and the post marked
    # with the last: one commit per batch and no more, and the mark still
    # commits only with the last rows.
    cursor: int | None = 0
    while cursor is not None:
        with transaction.atomic():
            if cursor == 0:
                store.add_mentioned(post)
            cursor = (
                store.fan_out_batch(post, after_follower_id=cursor)
                if _pushed(post)
                else None
            )
            if cursor is None:
                Post.objects.filter(id=post.id).update(fanned_out_at=timezone.now())
                _after_fan_out([post])
        if cursor is not None and delay:
            time.sleep(delay)


def _after_fan_out(posts: list[Post]) -> None:
    """Store the conversation signals ``posts`` changed and announce them.

    A note changes its author's conversation signal, and a reply that of
    the author it answers; done here, once per group of posts, rather than
    in a job of its own per post. Each post is announced once the
    transaction commits, when every timeline row exists, so the streaming
    server can tell who has it with one query over the timelines.
    """
    changed: list[int] = []
    for post in posts:
        if post.reblog_of_id is None:
            changed.append(post.author_id)
            if post.in_reply_to is not None:
                changed.append(post.in_reply_to.author_id)
    # In id order, so that two workers' groups lock accounts in one order.
    store_conversation_signals(sorted(set(changed)))
    events.publish_each(events.POST_CREATED, [{"post_id": p.id} for p in posts])


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
            # A job of its own: a stalled post may be one no group takes.
            fan_out_post.enqueue(post_id)
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
