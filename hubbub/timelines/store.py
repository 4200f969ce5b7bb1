"""Where home timelines are kept, behind one small interface.

The embedded default keeps them in the ``TimelineEntry`` table. A Redis
store can stand in its place (``get_store``) without callers changing:
``entry_ids`` returns something a ``Post`` query can take as ``id__in`` (a
subquery here, a list of ids from Redis), so a page of the home timeline is
one SQL query either way.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from hubbub.accounts.models import Account, Follow
from hubbub.posts.models import Post, Visibility
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

    def fan_out_batch(self, post: Post, *, after_follower_id: int) -> int | None:
        """Write ``post`` to the next batch of its author's followers.

        Returns the cursor to pass next time, or None when every follower
        past ``after_follower_id`` has been written.
        """

    def remove_author(self, reader_id: int, author_id: int) -> None:
        """Remove every post by ``author_id`` from one reader's timeline."""

    def entry_ids(self, reader_id: int, bounds: PageBounds) -> RawSQL | list[int]:
        """Return the ids of one page of a reader's stored timeline."""

    def readers_of(self, post_id: int, reader_ids: set[int]) -> set[int]:
        """Return which of ``reader_ids`` have ``post_id`` in their timeline."""


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


class SQLTimelineStore:
    """Timelines in the ``timelines_timelineentry`` table."""

    table = TimelineEntry._meta.db_table

    def add(self, reader_id: int, post_ids: list[int]) -> None:
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(reader_id=reader_id, post_id=pid) for pid in post_ids],
            ignore_conflicts=True,
        )

    def fan_out_batch(self, post: Post, *, after_follower_id: int) -> int | None:
        batch = settings.HUBBUB_FANOUT_BATCH_SIZE
        follow = Follow._meta.db_table
        with connection.cursor() as cursor:
            # The batch's last follower bounds this batch and starts the next.
            cursor.execute(
                f"SELECT follower_id FROM {follow} WHERE followee_id = %s"  # noqa: S608
                " AND follower_id > %s ORDER BY follower_id LIMIT 1 OFFSET %s",
                [post.author_id, after_follower_id, batch - 1],
            )
            row = cursor.fetchone()
            upper = row[0] if row else None
            upper_sql = " AND follower_id <= %s" if upper is not None else ""
            cursor.execute(
                f"INSERT INTO {self.table} (reader_id, post_id)"  # noqa: S608
                f" SELECT follower_id, %s FROM {follow}"
                f" WHERE followee_id = %s AND follower_id > %s{upper_sql}"
                " ON CONFLICT (reader_id, post_id) DO NOTHING",
                [post.id, post.author_id, after_follower_id]
                + ([upper] if upper is not None else []),
            )
        return upper

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
        merged_where, merged_params = _cursor_sql("p.id", bounds)
        post, follow, account = (
            Post._meta.db_table,
            Follow._meta.db_table,
            Account._meta.db_table,
        )
        # The stored entries, plus the recent posts of followed accounts too
        # big to fan out on write (merged here, at read time). Each side is
        # limited on its own index before the union, so the merge is bounded.
        sql = (
            f"SELECT post_id FROM (SELECT post_id FROM {self.table}"  # noqa: S608
            f" WHERE reader_id = %s{stored_where}"
            f" ORDER BY post_id {order} LIMIT %s) AS stored"
            f" UNION ALL SELECT id FROM (SELECT p.id FROM {post} p"
            f" WHERE p.author_id IN (SELECT f.followee_id FROM {follow} f"
            f" JOIN {account} a ON a.id = f.followee_id"
            f" WHERE f.follower_id = %s AND a.followers_count > %s)"
            f" AND p.visibility IN (%s, %s, %s) AND p.deleted_at IS NULL"
            f"{merged_where} ORDER BY p.id {order} LIMIT %s) AS merged"
        )
        params = [
            reader_id,
            *stored_params,
            bounds.limit,
            reader_id,
            settings.HUBBUB_FANOUT_LIMIT,
            Visibility.PUBLIC,
            Visibility.UNLISTED,
            Visibility.FOLLOWERS,
            *merged_params,
            bounds.limit,
        ]
        return RawSQL(sql, params)  # noqa: S611

    def trim(self, reader_id: int) -> None:
        """Drop a reader's entries beyond the newest HUBBUB_TIMELINE_LENGTH."""
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
    """Return the configured timeline store."""
    return SQLTimelineStore()
