"""Search: accounts by handle and name, hashtags, and the text of posts.

Every function takes the raw search string and cleans it with
``parse_query``, so no caller can forget to. Cleaning makes any string
safe: full-text operators, quotes and LIKE wildcards all match literally,
control characters are dropped, and a string with nothing left to search
for finds nothing. Only a string longer than ``MAX_QUERY_LENGTH`` is an
error (ValidationError), so an API can state and enforce the limit.

Words match whole words, case-insensitively, and every word must be
present. Post search starts from ``visible_posts``, so it shows exactly
what the searcher could open.
"""

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.expressions import RawSQL

from hubbub.accounts.models import Account, Block
from hubbub.posts.models import Post, Tag
from hubbub.posts.queries import (
    reaches_strangers,
    visible_posts,
    with_authors,
    with_viewer_flags,
)

# Characters, after trimming; a search box needs far fewer (S4).
MAX_QUERY_LENGTH = 200
# Most results one call returns (Mastodon's search maximum per type).
MAX_LIMIT = 40
# Deepest offset served; deeper pages are empty. Counts stop at the same
# number, so every counted result can be paged to.
MAX_OFFSET = 1000
COUNT_LIMIT = MAX_OFFSET

Kind = Literal["accounts", "tags"]
# Unicode categories dropped from a query: controls (NUL included, which
# PostgreSQL refuses and FTS5 reads as the end of the string) and lone
# surrogates, which cannot be encoded to send to the database at all.
_CONTROL = "Cc"
_SURROGATE = "Cs"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A cleaned search string.

    ``text`` is what to show back to the searcher, ``kind`` what a leading
    ``@`` or ``#`` asked for, ``term`` the text without that prefix, and
    ``words`` the words a post must contain.
    """

    text: str
    kind: Kind | None
    term: str
    words: tuple[str, ...]


def parse_query(q: str) -> SearchQuery:
    """Clean a search string, or raise ValidationError if it is too long.

    The length is checked after trimming, before anything else is done
    with the string, so an oversized one costs nothing.
    """
    q = q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationError(
            f"Search for at most {MAX_QUERY_LENGTH} characters.",
            code="search_too_long",
        )
    text = " ".join(_without_controls(q).split())
    kind: Kind | None = None
    term = text
    if text[:1] == "@":
        kind, term = "accounts", text[1:].lstrip()
    elif text[:1] == "#":
        kind, term = "tags", text[1:].lstrip()
    # A word with no letter or digit has no tokens to find.
    words = tuple(w for w in text.split() if any(c.isalnum() for c in w))
    return SearchQuery(text=text, kind=kind, term=term, words=words)


def _without_controls(text: str) -> str:
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == _CONTROL:
            kept.append(" ")
        elif category != _SURROGATE:
            kept.append(char)
    return "".join(kept)


# --- Accounts -----------------------------------------------------------


def search_accounts(
    viewer: Account | None, q: str, *, limit: int, offset: int
) -> list[Account]:
    """Return active accounts whose handle or display name contains ``q``.

    A leading ``@`` is ignored. An exact handle comes first, then handles
    and then names that start with the term, then the rest by handle.
    Accounts on either side of a block with ``viewer`` are left out.
    """
    return _page(_matching_accounts(viewer, q), limit=limit, offset=offset)


def count_accounts(viewer: Account | None, q: str) -> int:
    """Count ``search_accounts`` results, stopping past ``COUNT_LIMIT``."""
    return _count(_matching_accounts(viewer, q))


def _matching_accounts(viewer: Account | None, q: str) -> QuerySet[Account]:
    term = _strip_prefix(parse_query(q), "@")
    if not term:
        return Account.objects.none()
    # icontains escapes %, _ and \, so they match themselves (B-40).
    accounts = Account.objects.filter(
        Q(username__icontains=term) | Q(display_name__icontains=term),
        is_active=True,
    )
    if viewer is not None and viewer.is_authenticated:
        accounts = accounts.exclude(
            Exists(
                Block.objects.filter(
                    Q(account_id=viewer.pk, target_id=OuterRef("pk"))
                    | Q(account_id=OuterRef("pk"), target_id=viewer.pk)
                )
            )
        )
    rank = Case(
        When(username__iexact=term, then=0),
        When(username__istartswith=term, then=1),
        When(display_name__istartswith=term, then=2),
        default=3,
        output_field=IntegerField(),
    )
    return accounts.alias(rank=rank).order_by("rank", "username", "pk")


# --- Tags ---------------------------------------------------------------


def search_tags(q: str, *, limit: int, offset: int) -> list[Tag]:
    """Return hashtags whose name contains ``q`` (a leading ``#`` ignored).

    The exact tag comes first, then tags that start with the term, then
    the rest by name.
    """
    return _page(_matching_tags(q), limit=limit, offset=offset)


def count_tags(q: str) -> int:
    """Count ``search_tags`` results, stopping past ``COUNT_LIMIT``."""
    return _count(_matching_tags(q))


def _matching_tags(q: str) -> QuerySet[Tag]:
    # Tag names are stored lower-cased.
    term = _strip_prefix(parse_query(q), "#").lower()
    if not term:
        return Tag.objects.none()
    rank = Case(
        When(name=term, then=0),
        When(name__startswith=term, then=1),
        default=2,
        output_field=IntegerField(),
    )
    return (
        Tag.objects.filter(name__contains=term)
        .alias(rank=rank)
        .order_by("rank", "name", "pk")
    )


def _strip_prefix(query: SearchQuery, prefix: str) -> str:
    # "@alice" searched as a tag is "@alice", not "alice": only the prefix
    # that belongs to the kind being searched is dropped.
    return query.term if query.text[:1] == prefix else query.text


# --- Posts --------------------------------------------------------------


def search_posts(
    viewer: Account | None,
    q: str,
    *,
    limit: int,
    offset: int,
    max_id: int | None = None,
    min_id: int | None = None,
) -> list[Post]:
    """Return posts ``viewer`` may see that contain every word of ``q``.

    Newest first. ``max_id`` keeps posts older than it; ``min_id`` takes
    the ``limit`` posts just newer than it (still returned newest first).
    Boosts are left out: the original is found on its own. Each post has
    its author loaded and the viewer's ``favourited``/``boosted`` flags.
    """
    posts = _matching_posts(viewer, q)
    if max_id is not None:
        posts = posts.filter(id__lt=max_id)
    if min_id is not None:
        posts = posts.filter(id__gt=min_id)
        return _page(posts.order_by("id"), limit=limit, offset=offset)[::-1]
    return _page(posts, limit=limit, offset=offset)


def count_posts(viewer: Account | None, q: str) -> int:
    """Count ``search_posts`` results, stopping past ``COUNT_LIMIT``."""
    return _count(_matching_posts(viewer, q))


def _matching_posts(viewer: Account | None, q: str) -> QuerySet[Post]:
    words = parse_query(q).words
    if not words:
        return Post.objects.none()
    posts = visible_posts(viewer).filter(
        reaches_strangers(viewer), reblog_of__isnull=True
    )
    posts = _containing(posts, words)
    return with_viewer_flags(with_authors(posts), viewer).order_by("-id")


def _containing(posts: QuerySet[Post], words: tuple[str, ...]) -> QuerySet[Post]:
    if connections[posts.db].vendor == "postgresql":
        # Imported here, so a process on SQLite never loads psycopg.
        from hubbub.search.postgres import containing

        return containing(posts, words)
    # Each word becomes an FTS5 string ("" inside is a literal quote), so
    # AND, OR, NOT, NEAR, *, ^, : and parentheses are just text; strings
    # side by side must all match.
    match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    matching_ids = RawSQL(
        "SELECT rowid FROM search_post_fts WHERE search_post_fts MATCH %s", [match]
    )
    return posts.filter(id__in=matching_ids)


# --- Paging -------------------------------------------------------------


def _page[T: Model](results: QuerySet[T], *, limit: int, offset: int) -> list[T]:
    if offset < 0:
        raise ValueError("offset must not be negative")
    if offset > MAX_OFFSET:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    return list(results[offset : offset + limit])


def _count(results: QuerySet[Any]) -> int:
    # Counting every match of a common word would read the whole index.
    return results[: COUNT_LIMIT + 1].count()
