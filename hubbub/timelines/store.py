"""Where home timelines are kept, behind one small interface.

The embedded default keeps them in the ``TimelineEntry`` table. The Redis
store (``redis_store.py``) mirrors that table for active readers and is
chosen by ``get_store`` when HUBBUB_REDIS_URL is set, without callers
changing: ``entry_ids`` returns SQL a ``Post`` query can take as ``id__in``
(a subquery of the table, or the ids read from Redis), so a page of the
home timeline is one SQL query either way.
"""

from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.expressions import RawSQL

from hubbub.accounts.models import Account, Block, Follow, Mute
from hubbub.posts.models import Mention, Post, Visibility
from hubbub.timelines.models import TimelineEntry


@dataclass(frozen=True, slots=True)
class PageBounds:
    """Id cursors for one page: Mastodon's ``max_id``/``since_id``/``min_id``."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    @property
    def ascending(self) -> bool:
        # min_id asks for the items just above the cursor, so the page is
        # taken oldest-first and shown newest-first.
        return self.min_id is not None


class TimelineStore(Protocol):
    def add(self, reader_id: int, post_ids: list[int]) -> None:
        """Put ``post_ids`` in one reader's timeline (no-op if present)."""

    def add_mentioned(self, post: Post) -> None:
        """Put ``post`` in the timelines of the accounts it mentions.

        Readers who mute or block its author, or are blocked by them, are
        skipped.
        """

    def fan_out_batch(self, post: Post, *, after_follower_id: int) -> int | None:
        """Write ``post`` to the next batch of its author's followers.

        Followers who mute or block an author involved (or are blocked by
        them) are skipped. A reply reaches only followers who follow the
        account it answers, or are that account. A boost skips the
        original's author and readers who already have the original or
        another boost of it, so it shows once.

        Returns the cursor to pass next time, or None when every follower
        past ``after_follower_id`` has been written.
        """

    def fan_out(self, post: Post) -> None:
        """Write ``post`` to all of its author's followers in one statement.

        For an author with at most one batch of followers; the rules are
        those of ``fan_out_batch``.
        """

    def holding_mirror(self) -> AbstractContextManager[None]:
        """Gather the writes to a mirror (Redis) made in the block into one
        round trip, sent when the transaction commits."""

    def add_followed(self, reader_id: int, posts: list[Post]) -> None:
        """Put a newly followed account's ``posts`` in one reader's timeline.

        Each is added only if fan-out would have given it to the reader
        (see ``fan_out_batch``); oldest first, so the first boost of a post
        is the one kept. ``posts`` come with ``in_reply_to`` and
        ``reblog_of__author`` loaded.
        """

    def remove_author(self, reader_id: int, author_id: int) -> None:
        """Remove every post by ``author_id`` from one reader's timeline."""

    def remove_posts(self, post_ids: list[int]) -> None:
        """Remove ``post_ids`` from every reader's timeline."""

    def entry_ids(self, reader_id: int, bounds: PageBounds) -> RawSQL:
        """Return the ids of one page of a reader's stored timeline."""

    def version(self) -> Hashable:
        """Return what moves whenever the store changes outside the
        database (see ``hubbub.core.stamps``); None if it never does."""

    def readers_of(self, post_id: int, reader_ids: set[int]) -> set[int]:
        """Return which of ``reader_ids`` have ``post_id`` in their timeline."""

    def over_length(self, reader_ids: list[int]) -> list[int]:
        """Return which of ``reader_ids`` hold more than HUBBUB_TIMELINE_LENGTH."""

    def trim(self, reader_id: int) -> None:
        """Drop a reader's entries beyond the newest HUBBUB_TIMELINE_LENGTH."""


def _cursor_sql(column: str, bounds: PageBounds) -> tuple[str, list[int]]:
    clauses, params = [], []
    for op, value in ((" < ", bounds.max_id), (" > ", bounds.since_id)):
        if value is not None:
            clauses.append(column + op + "%s")
            params.append(value)
    if bounds.min_id is not None:
        clauses.append(column + " > %s")
        params.append(bounds.min_id)
    return "".join(f" AND {c}" for c in clauses), params


def _authors(post: Post) -> list[int]:
    """Return whose posts ``post`` shows: its author, and a boost's original's."""
    original = post.reblog_of
    return [post.author_id] + ([original.author_id] if original else [])


def _unwanted_sql(reader: str, author_ids: list[int]) -> tuple[str, list[int]]:
    """Return SQL that drops readers who mute or block ``author_ids`` or are
    blocked by them; ``reader`` is the column holding the reader's id."""
    mute, block = Mute._meta.db_table, Block._meta.db_table
    marks = ", ".join(["%s"] * len(author_ids))
    # One uncorrelated list, built once per statement (SQLite: an ephemeral
    # index; PostgreSQL: a hashed subplan), instead of three index probes
    # per reader. The columns are NOT NULL, so NOT IN means NOT EXISTS here.
    sql = (
        f" AND {reader} NOT IN (SELECT mu.account_id FROM {mute} mu"  # noqa: S608
        f" WHERE mu.target_id IN ({marks})"
        f" UNION ALL SELECT bl.account_id FROM {block} bl"
        f" WHERE bl.target_id IN ({marks})"
        f" UNION ALL SELECT bd.target_id FROM {block} bd"
        f" WHERE bd.account_id IN ({marks}))"
    )
    return sql, [*author_ids, *author_ids, *author_ids]


class SQLTimelineStore:
    """Timelines in the ``timelines_timelineentry`` table."""

    table = TimelineEntry._meta.db_table
    # Whether inserts report which readers they wrote (for a mirror).
    mirrored = False

    def version(self) -> Hashable:
        # Every entry is a row, which the database's own stamp covers.
        return None

    def added(self, reader_ids: list[int], post_ids: list[int]) -> None:
        """Hear that ``post_ids`` were written to ``reader_ids``' timelines.

        A hook for a store that mirrors this table (Redis); here, nothing.
        """

    def add(self, reader_id: int, post_ids: list[int]) -> None:
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(reader_id=reader_id, post_id=pid) for pid in post_ids],
            ignore_conflicts=True,
        )
        if post_ids:
            self.added([reader_id], post_ids)

    def _insert(self, sql: str, params: list[int], post: Post) -> None:
        """Run an ``INSERT ... SELECT`` of readers for ``post``."""
        returning = " RETURNING reader_id" if self.mirrored else ""
        with connection.cursor() as cursor:
            cursor.execute(sql + returning, params)
            if self.mirrored:
                readers = [row[0] for row in cursor.fetchall()]
                if readers:
                    self.added(readers, [post.id])

    def add_mentioned(self, post: Post) -> None:
        mention = Mention._meta.db_table
        unwanted_sql, unwanted_params = _unwanted_sql("m.account_id", _authors(post))
        self._insert(
            f"INSERT INTO {self.table} (reader_id, post_id)"  # noqa: S608
            f" SELECT m.account_id, %s FROM {mention} m"
            f" WHERE m.post_id = %s{unwanted_sql}"
            " ON CONFLICT (reader_id, post_id) DO NOTHING",
            [post.id, post.id, *unwanted_params],
            post,
        )

    def fan_out_batch(self, post: Post, *, after_follower_id: int) -> int | None:
        batch = settings.HUBBUB_FANOUT_BATCH_SIZE
        follow = Follow._meta.db_table
        with connection.cursor() as cursor:
            # The batch's last follower bounds this batch and starts the
            # next, if anyone follows after it: a batch that ends with the
            # last follower is the last, with no empty one after it.
            cursor.execute(
                f"SELECT follower_id FROM {follow} WHERE followee_id = %s"  # noqa: S608
                " AND follower_id > %s ORDER BY follower_id LIMIT 2 OFFSET %s",
                [post.author_id, after_follower_id, batch - 1],
            )
            rows = cursor.fetchall()
        upper = rows[0][0] if len(rows) == 2 else None
        if upper is None:
            self._insert_for_followers(
                post, " AND f.follower_id > %s", [after_follower_id]
            )
        else:
            self._insert_for_followers(
                post,
                " AND f.follower_id > %s AND f.follower_id <= %s",
                [after_follower_id, upper],
            )
        return upper

    def fan_out(self, post: Post) -> None:
        self._insert_for_followers(post, "", [])

    @contextmanager
    def holding_mirror(self) -> Iterator[None]:
        # Nothing to gather: this store has no mirror.
        yield

    def add_followed(self, reader_id: int, posts: list[Post]) -> None:
        for post in sorted(posts, key=lambda p: p.id):
            self._insert_for_followers(post, " AND f.follower_id = %s", [reader_id])

    def _insert_for_followers(
        self, post: Post, which_sql: str, which_params: list[int]
    ) -> None:
        """Write ``post`` for the author's followers that ``which_sql`` picks
        (a condition on ``f.follower_id``), as fan-out's rules allow."""
        follow = Follow._meta.db_table
        rules_sql, rules_params = self._follower_rules(post)
        self._insert(
            f"INSERT INTO {self.table} (reader_id, post_id)"  # noqa: S608
            f" SELECT f.follower_id, %s FROM {follow} f"
            f" WHERE f.followee_id = %s{which_sql}{rules_sql}"
            " ON CONFLICT (reader_id, post_id) DO NOTHING",
            [post.id, post.author_id, *which_params, *rules_params],
            post,
        )

    def _follower_rules(self, post: Post) -> tuple[str, list[int]]:
        """Return the SQL that picks which of the author's followers get ``post``.

        The reader is ``f.follower_id``. Everyone who mutes or blocks an
        author involved (or is blocked by them) is skipped; a reply goes
        only to followers of the account it answers, and that account; a
        boost skips the original's author and readers who already have the
        original or another boost of it.
        """
        follow, post_table = Follow._meta.db_table, Post._meta.db_table
        sql, params = _unwanted_sql("f.follower_id", _authors(post))
        parts, values = [sql], list(params)
        if post.in_reply_to_id is not None:
            answered = post.in_reply_to.author_id if post.in_reply_to else None
            if answered is not None and answered != post.author_id:
                parts.append(
                    " AND (f.follower_id = %s OR EXISTS (SELECT 1"  # noqa: S608
                    f" FROM {follow} fr WHERE fr.follower_id = f.follower_id"
                    " AND fr.followee_id = %s))"
                )
                values += [answered, answered]
        original = post.reblog_of
        if original is not None:
            parts.append(
                " AND f.follower_id <> %s AND NOT EXISTS (SELECT 1"  # noqa: S608
                f" FROM {self.table} t WHERE t.reader_id = f.follower_id"
                " AND (t.post_id = %s OR t.post_id IN (SELECT b.id"
                f" FROM {post_table} b WHERE b.reblog_of_id = %s AND b.id <> %s"
                " AND b.deleted_at IS NULL)))"
            )
            values += [original.author_id, original.id, original.id, post.id]
            if original.author.followers_count > settings.HUBBUB_FANOUT_LIMIT:
                # The original is merged into its followers' timelines at
                # read time: they have it without a stored entry.
                parts.append(
                    " AND NOT EXISTS (SELECT 1 FROM"  # noqa: S608
                    f" {follow} fo WHERE fo.follower_id = f.follower_id"
                    " AND fo.followee_id = %s)"
                )
                values.append(original.author_id)
        return "".join(parts), values

    def remove_posts(self, post_ids: list[int]) -> None:
        TimelineEntry.objects.filter(post_id__in=post_ids).delete()

    def remove_author(self, reader_id: int, author_id: int) -> None:
        TimelineEntry.objects.filter(
            reader_id=reader_id,
            post_id__in=Post.objects.filter(author_id=author_id).values("id"),
        ).delete()

    def readers_of(self, post_id: int, reader_ids: set[int]) -> set[int]:
        """Return which of ``reader_ids`` have ``post_id`` (one query)."""
        if not reader_ids:
            return set()
        return set(
            TimelineEntry.objects.filter(
                post_id=post_id, reader_id__in=reader_ids
            ).values_list("reader_id", flat=True)
        )

    def entry_ids(self, reader_id: int, bounds: PageBounds) -> RawSQL:
        order = "ASC" if bounds.ascending else "DESC"
        stored_where, stored_params = _cursor_sql("post_id", bounds)
        merged_sql, merged_params = self.merged_sql(reader_id, bounds)
        sql = (
            f"SELECT post_id FROM (SELECT post_id FROM {self.table}"  # noqa: S608
            f" WHERE reader_id = %s{stored_where}"
            f" ORDER BY post_id {order} LIMIT %s) AS stored"
            f" UNION ALL {merged_sql}"
        )
        params = [reader_id, *stored_params, bounds.limit, *merged_params]
        return RawSQL(sql, params)  # noqa: S611

    def merged_sql(
        self, reader_id: int, bounds: PageBounds
    ) -> tuple[str, list[object]]:
        """Return SQL for one page of the posts merged in at read time.

        Those are the recent posts of followed accounts too big to fan out
        on write, limited on their own index, so the merge is bounded.
        """
        order = "ASC" if bounds.ascending else "DESC"
        merged_where, merged_params = _cursor_sql("p.id", bounds)
        post, follow, account, mute = (
            Post._meta.db_table,
            Follow._meta.db_table,
            Account._meta.db_table,
            Mute._meta.db_table,
        )
        # The merge keeps fan-out's rules: no direct posts, no muted authors,
        # replies only to the reader or to accounts the reader follows, and
        # no boost of the reader's own post, of a muted author's post or of
        # a post already stored for the reader. (Blocks are applied by
        # visible_posts on the page itself.)
        sql = (
            f"SELECT id FROM (SELECT p.id FROM {post} p"  # noqa: S608
            f" WHERE p.author_id IN (SELECT f.followee_id FROM {follow} f"
            f" JOIN {account} a ON a.id = f.followee_id"
            f" WHERE f.follower_id = %s AND a.followers_count > %s"
            f" AND f.followee_id NOT IN"
            f" (SELECT mu.target_id FROM {mute} mu WHERE mu.account_id = %s))"
            f" AND p.visibility IN (%s, %s, %s) AND p.deleted_at IS NULL"
            f" AND (p.in_reply_to_id IS NULL OR EXISTS (SELECT 1 FROM {post} r"
            f" WHERE r.id = p.in_reply_to_id AND (r.author_id = %s"
            f" OR r.author_id IN (SELECT fr.followee_id FROM {follow} fr"
            f" WHERE fr.follower_id = %s))))"
            f" AND (p.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM {post} o"
            f" WHERE o.id = p.reblog_of_id AND (o.author_id = %s"
            f" OR o.author_id IN (SELECT mo.target_id FROM {mute} mo"
            f" WHERE mo.account_id = %s) OR EXISTS (SELECT 1 FROM {self.table} t"
            f" WHERE t.reader_id = %s AND t.post_id = o.id))))"
            f"{merged_where} ORDER BY p.id {order} LIMIT %s) AS merged"
        )
        params = [
            reader_id,
            settings.HUBBUB_FANOUT_LIMIT,
            reader_id,
            Visibility.PUBLIC,
            Visibility.UNLISTED,
            Visibility.FOLLOWERS,
            reader_id,
            reader_id,
            reader_id,
            reader_id,
            reader_id,
            *merged_params,
            bounds.limit,
        ]
        return sql, params

    def over_length(self, reader_ids: list[int]) -> list[int]:
        # Counted on the (reader, post) index alone.
        return list(
            TimelineEntry.objects.filter(reader_id__in=reader_ids)
            .values("reader_id")
            .annotate(entries=Count("*"))
            .filter(entries__gt=settings.HUBBUB_TIMELINE_LENGTH)
            .values_list("reader_id", flat=True)
        )

    def trim(self, reader_id: int) -> None:
        keep = settings.HUBBUB_TIMELINE_LENGTH
        oldest_kept = (
            TimelineEntry.objects.filter(reader_id=reader_id)
            .order_by("-post_id")
            .values_list("post_id", flat=True)[keep : keep + 1]
        )
        with transaction.atomic():
            TimelineEntry.objects.filter(
                reader_id=reader_id, post_id__lte=oldest_kept
            ).delete()


def get_store() -> SQLTimelineStore:
    """Return the configured store: Redis when HUBBUB_REDIS_URL is set."""
    if settings.REDIS_URL:
        from hubbub.timelines.redis_store import RedisTimelineStore

        return RedisTimelineStore(settings.REDIS_URL)
    return SQLTimelineStore()
