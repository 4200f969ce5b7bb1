"""Home timelines served from Redis, with the database as the source of truth.

``RedisTimelineStore`` writes every entry to the ``TimelineEntry`` table as
the SQL store does, then mirrors it, once the transaction commits, into a
Redis sorted set per reader that a page is read from. Redis is never the
only copy: a reader whose set is missing (never built, idle for
HUBBUB_TIMELINE_ACTIVE_DAYS, or lost to a flush) is served by the SQL
store's query, and a background job rebuilds the set from the table.

Layout (one reader's keys share a Redis Cluster hash slot, so timelines
shard by reader):

* ``hubbub:tl:{<reader id>}``: a sorted set. Every member has score 0 and
  is a post id zero-padded to 20 digits, so the set's lexical order is id
  order with no float rounding (64-bit ids do not fit a double's 53 bits).
  The member ``-`` sorts below every id and marks a built set, so an empty
  timeline is told apart from a missing one. The newest
  HUBBUB_TIMELINE_LENGTH ids are kept.
* ``hubbub:tl:{<reader id>}:rebuild``: held while a rebuild is queued, so
  a burst of reads queues one job.
* ``hubbub:tl:{<reader id>}:partial``: set while a rebuild copies the
  table into the set, to that rebuild's token. A set with it is not read:
  a worker that died mid-copy leaves it, and the set without the older
  entries it never copied; the next rebuild, queued once the hold above
  runs out, completes it.
* ``hubbub:stamp``: moved by every change to the sets, which land after
  their transaction commits, as by every write to the database
  (``hubbub.core.stamps``).

Fan-out writes only to sets that exist: readers who have not read for a
week cost nothing in Redis, as in Mastodon.
"""

import uuid
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import redis
from django.conf import settings
from django.db import router, transaction
from django.db.models.expressions import RawSQL

from hubbub.core import stamps
from hubbub.core.prepared import id_in
from hubbub.core.redis_client import Command, client, send_all
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.store import PageBounds, SQLTimelineStore

BUILT = "-"
# Seconds a queued rebuild holds its key; a lost job is retried after it.
REBUILD_HOLD = 60
# Ids pushed per script call while rebuilding one reader's set.
REBUILD_CHUNK = 200

# Drop a rebuild's partial mark only if it is still this rebuild's: a
# later rebuild of the same set (the first was slow, or Redis was flushed
# meanwhile) owns it until it has copied everything itself.
_DONE_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Add ids to a set only if it exists (the reader is active), then drop all
# but the newest ARGV[1] ids; rank 0 is the BUILT marker, always kept.
_ADD_IF_BUILT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 0, ARGV[i]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
return 1
"""


def _no_script(reply: object) -> bool:
    return isinstance(reply, redis.exceptions.NoScriptError)


def timeline_key(reader_id: int) -> str:
    """Return the Redis key of a reader's timeline."""
    return f"hubbub:tl:{{{reader_id}}}"


def _member(post_id: int) -> str:
    return f"{post_id:020d}"


def _lex_bounds(bounds: PageBounds) -> tuple[str, str]:
    """Return the (lowest, highest) lexical range of ids a page may hold."""
    lower = max(
        (v for v in (bounds.since_id, bounds.min_id) if v is not None), default=None
    )
    low = f"({_member(lower)}" if lower is not None else "[0"  # "-" < "0"
    high = f"({_member(bounds.max_id)}" if bounds.max_id is not None else "+"
    return low, high


class RedisTimelineStore(SQLTimelineStore):
    """Timelines in the database, each active reader's mirrored in Redis."""

    mirrored = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.redis = client(url)
        self.add_if_built = self.redis.register_script(_ADD_IF_BUILT)
        self.done_if_mine = self.redis.register_script(_DONE_IF_MINE)
        # Members per reader gathered by ``holding_mirror``, while it runs.
        self._held: dict[int, list[str]] | None = None

    def added(self, reader_ids: list[int], post_ids: list[int]) -> None:
        members = [_member(pid) for pid in post_ids]
        if self._held is not None:
            for reader_id in reader_ids:
                self._held.setdefault(reader_id, []).extend(members)
            return
        # After commit, so a rebuild that reads the table never misses a
        # row whose Redis write it skipped (see ``rebuild``).
        transaction.on_commit(lambda: self._push(reader_ids, members))

    @contextmanager
    def holding_mirror(self) -> Iterator[None]:
        held: dict[int, list[str]] = {}
        self._held = held
        try:
            yield
        finally:
            self._held = None
        if held:
            transaction.on_commit(lambda: self._push_each(held))

    def _push(self, reader_ids: Iterable[int], members: list[str]) -> None:
        self._push_each(dict.fromkeys(reader_ids, members))

    def _push_each(self, members_by_reader: dict[int, list[str]]) -> None:
        """Add each reader's members to their set, in one round trip (two
        if Redis lost the script)."""
        keep = settings.HUBBUB_TIMELINE_LENGTH
        sha = self.add_if_built.sha
        commands: list[Command] = [
            ("EVALSHA", sha, 1, timeline_key(reader_id), keep, *members)
            for reader_id, members in members_by_reader.items()
        ]
        # The stamp moves after the sets change, as with every write.
        replies = send_all(self.url, [*commands, stamps.move_command()])
        lost = [c for c, r in zip(commands, replies, strict=False) if _no_script(r)]
        errors = [r for r in replies if isinstance(r, Exception) and not _no_script(r)]
        if lost:
            self.redis.script_load(_ADD_IF_BUILT)
            replies = send_all(self.url, [*lost, stamps.move_command()])
            errors += [r for r in replies if isinstance(r, Exception)]
        if errors:
            raise errors[0]
        stamps.moved()

    def remove_posts(self, post_ids: list[int]) -> None:
        readers = list(
            TimelineEntry.objects.filter(post_id__in=post_ids)
            .values_list("reader_id", flat=True)
            .distinct()
        )
        super().remove_posts(post_ids)
        members = [_member(pid) for pid in post_ids]

        def unmirror() -> None:
            with self.redis.pipeline(transaction=False) as pipe:
                for reader_id in readers:
                    pipe.zrem(timeline_key(reader_id), *members)
                stamps.move_in(pipe)
                pipe.execute()
                stamps.moved()

        if readers:
            transaction.on_commit(unmirror)

    def remove_author(self, reader_id: int, author_id: int) -> None:
        super().remove_author(reader_id, author_id)
        # Dropping the whole set is simpler than finding the author's ids
        # in it, and as correct: the next read rebuilds it.
        transaction.on_commit(lambda: self.forget(reader_id))

    def forget(self, reader_id: int) -> None:
        """Drop a reader's Redis timeline; the next read rebuilds it."""
        key = timeline_key(reader_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(key, f"{key}:rebuild", f"{key}:partial")
            stamps.move_in(pipe)
            pipe.execute()
            stamps.moved()

    def version(self) -> Hashable:
        return stamps.redis_version()

    def entry_ids(self, reader_id: int, bounds: PageBounds) -> RawSQL:
        stored = self._stored_ids(reader_id, bounds)
        if stored is None:
            self._request_rebuild(reader_id)
            return super().entry_ids(reader_id, bounds)
        merged_sql, merged_params = self.merged_sql(reader_id, bounds)
        if not stored:
            return RawSQL(merged_sql, merged_params)  # noqa: S611
        # One statement for every reader and page (id_in): a prepared query.
        in_sql, in_params = id_in("s.id", stored, router.db_for_read(Post))
        # Stored ids need no other check here: the page's own query applies
        # visibility, and a deleted post's id leaves the set with it.
        sql = (
            f"SELECT s.id FROM {Post._meta.db_table} s"  # noqa: S608
            f" WHERE {in_sql} UNION ALL {merged_sql}"
        )
        return RawSQL(sql, [*in_params, *merged_params])  # noqa: S611

    def _stored_ids(self, reader_id: int, bounds: PageBounds) -> list[int] | None:
        """Return a page of the reader's Redis ids, or None if there is no
        set, or only one a rebuild has not finished copying.

        Reading also keeps the set alive for HUBBUB_TIMELINE_ACTIVE_DAYS.
        """
        key, (low, high) = timeline_key(reader_id), _lex_bounds(bounds)
        ttl = timedelta(days=settings.HUBBUB_TIMELINE_ACTIVE_DAYS)
        with self.redis.pipeline(transaction=False) as pipe:
            if bounds.ascending:
                pipe.zrange(key, low, high, bylex=True, offset=0, num=bounds.limit)
            else:
                pipe.zrange(
                    key, high, low, desc=True, bylex=True, offset=0, num=bounds.limit
                )
            pipe.expire(key, ttl)
            pipe.exists(f"{key}:partial")
            members, alive, partial = pipe.execute()
        if not alive or partial:
            return None
        return [int(m) for m in members]

    def _request_rebuild(self, reader_id: int) -> None:
        from hubbub.timelines.tasks import rebuild_home_timeline

        hold = f"{timeline_key(reader_id)}:rebuild"
        if self.redis.set(hold, 1, nx=True, ex=REBUILD_HOLD):
            transaction.on_commit(lambda: rebuild_home_timeline.enqueue(reader_id))

    def rebuild(self, reader_id: int) -> int:
        """Copy a reader's newest stored entries from the table into Redis.

        The marker goes in first, so fan-outs that commit while the table
        is read already push to the set; the add is idempotent, so rows
        both read here and pushed land once. The set is marked partial
        until every row is copied, so no read trusts it before. Returns
        how many were copied.
        """
        key = timeline_key(reader_id)
        ttl = timedelta(days=settings.HUBBUB_TIMELINE_ACTIVE_DAYS)
        token = uuid.uuid4().hex
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{key}:partial", token, ex=ttl)
            pipe.zadd(key, {BUILT: 0})
            pipe.expire(key, ttl)
            pipe.execute()
        ids = list(
            TimelineEntry.objects.filter(reader_id=reader_id)
            .order_by("-post_id")
            .values_list("post_id", flat=True)[: settings.HUBBUB_TIMELINE_LENGTH]
        )
        for start in range(0, len(ids), REBUILD_CHUNK):
            chunk = [_member(pid) for pid in ids[start : start + REBUILD_CHUNK]]
            self._push([reader_id], chunk)
        self.done_if_mine(keys=[f"{key}:partial"], args=[token])
        return len(ids)
