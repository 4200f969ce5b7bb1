"""The conversation signal: does an account talk with people, or at them?

Of an account's most recent public posts (``WINDOW`` of them, boosts left
out), an *exchange* is a post that drew a reply from someone else — its
own or a reply of theirs that was answered — and a *reply* is an
unanswered reply to someone else: addressed, at least. Everything else
is a *broadcast*. Only public and unlisted posts and replies count, so the
numbers tell nobody about a conversation they could not read.

The numbers are stored on the account (``signal_*``) by
``accounts.actions.store_conversation_signals`` when each new note is
fanned out, so
profiles, API entities and home timelines read them for free.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from hubbub.accounts.models import Account
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.posts.models import Post, Visibility

# How many of the newest posts the signal looks at.
WINDOW = 40
# An account with fewer recent posts than this is too quiet to call a
# broadcaster, whatever they were.
BROADCASTER_MIN_POSTS = 5
_READABLE = [Visibility.PUBLIC, Visibility.UNLISTED]


@dataclass(frozen=True, slots=True)
class ConversationSignal:
    """How an account's recent posts split between talking and telling."""

    posts: int
    exchanges: int
    replies: int

    @property
    def broadcasts(self) -> int:
        """Return how many posts neither drew nor gave a reply."""
        return self.posts - self.exchanges - self.replies

    @property
    def only_broadcasts(self) -> bool:
        """Say whether the account only broadcasts (quiet broadcasters)."""
        return self.posts >= BROADCASTER_MIN_POSTS and self.broadcasts == self.posts


def stored_signal(account: Account) -> ConversationSignal:
    """Return the signal last stored on ``account``."""
    return ConversationSignal(
        posts=account.signal_posts,
        exchanges=account.signal_exchanges,
        replies=account.signal_replies,
    )


def _newest_posts(stand: Stand) -> QuerySet[Post, tuple[bool, int | None]]:
    """Whether each of an account's newest posts was answered, and whom it
    answers."""
    account_id = stand.value("account")
    answered = Exists(
        Post.objects.filter(
            in_reply_to_id=OuterRef("id"),
            deleted_at__isnull=True,
            visibility__in=_READABLE,
            author__is_active=True,
        ).exclude(author_id=account_id)
    )
    return (
        Post.objects.filter(
            author_id=account_id,
            deleted_at__isnull=True,
            reblog_of__isnull=True,
            visibility__in=_READABLE,
        )
        .annotate(answered=answered, parent_author_id=F("in_reply_to__author_id"))
        .order_by("-id")
        .values_list("answered", "parent_author_id")[:WINDOW]
    )


# Every fan-out measures its authors: build that query once. The ORM took
# about twenty times longer to compile it than SQLite took to run it.
_signal_queries = PreparedQueries(Post)


def measure_signal(account_id: int) -> ConversationSignal:
    """Count the signal of an account's newest posts now (one query)."""
    sql, params = signal_sql(account_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        posts, exchanges, replies = cursor.fetchone()
    return ConversationSignal(posts=posts, exchanges=exchanges, replies=replies)


def signal_sql(account_id: int) -> tuple[str, list[Any]]:
    """Return SQL that selects one row: an account's posts, exchanges and
    replies, as ``ConversationSignal`` counts them; with its parameters.

    The same SQL, for whatever account, so that a writer can run it for
    many at once (``executemany``) inside an UPDATE of its own.
    """
    sql, values = _signal_queries.sql(
        "newest", _newest_posts, values={"account": account_id}
    )
    # A reply to someone else counts only if unanswered: an answered post
    # is an exchange. A parent of NULL (no reply) fails the comparison.
    counts = (
        "SELECT COUNT(*),"  # noqa: S608
        " COALESCE(SUM(CASE WHEN s.answered THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN NOT s.answered AND s.parent_author_id <> %s"
        f" THEN 1 ELSE 0 END), 0) FROM ({sql}) s"
    )
    return counts, [account_id, *values]


def broadcaster(author: str) -> Q:
    """Return the condition that the account at ``author`` (a lookup path
    such as ``"author"``) only broadcasts, by its stored signal."""
    return Q(
        **{
            f"{author}__signal_posts__gte": BROADCASTER_MIN_POSTS,
            f"{author}__signal_exchanges": 0,
            f"{author}__signal_replies": 0,
        }
    )
