"""Reads of timelines: one page of posts, in id order."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from hubbub.accounts.models import Account
from hubbub.accounts.signal import broadcaster
from hubbub.core.db import replica_reads
from hubbub.core.prepared import PreparedQueries, Rows, Stand
from hubbub.posts.models import Post
from hubbub.posts.queries import (
    public_posts,
    tagged_post_ids,
    visible_posts,
    with_authors,
    with_brief_authors,
    with_viewer_flags,
)
from hubbub.timelines.store import PageBounds, get_store

# Loads one page for a given set of cursors (the web and API page the same way).
PageLoader = Callable[[PageBounds], "list[Post] | list[TimelineRow]"]
Row = TypeVar("Row", bound=Model)


def page_of[Row: Model](
    posts: QuerySet[Row], bounds: PageBounds, *, key: str = "id"
) -> list[Row]:
    """Return one page of ``posts`` (or any rows) by id cursors, newest first.

    ``key`` names the cursor: the row id, or an annotation such as the
    ``link_id`` of a list of people.
    """
    rows = list(_page_query(posts, bounds, key=key))
    return rows[::-1] if bounds.ascending else rows


def _page_query[Row: Model](
    posts: QuerySet[Row], bounds: PageBounds, *, key: str = "id"
) -> QuerySet[Row]:
    """Return the query for one page of ``posts``, in the order it is taken
    (oldest first for ``min_id``)."""
    if bounds.max_id is not None:
        posts = posts.filter(**{f"{key}__lt": bounds.max_id})
    if bounds.since_id is not None:
        posts = posts.filter(**{f"{key}__gt": bounds.since_id})
    if bounds.min_id is not None:
        posts = posts.filter(**{f"{key}__gt": bounds.min_id})
        return posts.order_by(key)[: bounds.limit]
    return posts.order_by(f"-{key}")[: bounds.limit]


# Home pages differ only in the viewer, the cursors and the store's ids, so
# each shape of the query is compiled once (see hubbub.core.prepared).
_home_pages = PreparedQueries(Post)
_LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class TimelineRow:
    """One post of a home timeline page, as its SQL row.

    A page can be shown from renderings kept under the rows
    (``hubbub.web.fragments``); the page's model instances are built, all
    at once, only when one is asked for.
    """

    id: int
    page: Rows[Post]
    index: int

    @property
    def row(self) -> tuple[object, ...]:
        return self.page.rows[self.index]

    @property
    def post(self) -> Post:
        return self.page.instances()[self.index]


def home_timeline(
    viewer: Account, bounds: PageBounds, *, brief_authors: bool = False
) -> list[Post]:
    """Return one page of ``viewer``'s home timeline, with viewer flags.

    With ``brief_authors`` the accounts carry only what a page shows of
    them (``with_brief_authors``).
    """
    return [row.post for row in home_timeline_rows(viewer, bounds, brief_authors)]


def home_timeline_rows(
    viewer: Account, bounds: PageBounds, brief_authors: bool = False
) -> list[TimelineRow]:
    """Return one page of ``viewer``'s home timeline as rows (see
    ``home_timeline``)."""
    # Ids are signed 64-bit. The prepared query takes cursors as parameters,
    # which the database would refuse past that range, so a cursor above
    # every id is settled here: nothing is newer, everything is older.
    if any(c is not None and c > _LARGEST_ID for c in (bounds.since_id, bounds.min_id)):
        return []
    if bounds.max_id is not None and bounds.max_id > _LARGEST_ID:
        bounds = replace(bounds, max_id=None)
    cursors = {
        name: value
        for name, value in (
            ("max_id", bounds.max_id),
            ("since_id", bounds.since_id),
            ("min_id", bounds.min_id),
        )
        if value is not None
    }

    def build(stand: Stand) -> QuerySet[Post]:
        reader = Account(
            pk=stand.value("viewer"), quiet_broadcasters=viewer.quiet_broadcasters
        )
        posts = visible_posts(reader).filter(
            quiet_broadcasters(reader), id__in=stand.fragment("entries")
        )
        page = PageBounds(
            limit=bounds.limit, **{name: stand.value(name) for name in cursors}
        )
        authors = with_brief_authors if brief_authors else with_authors
        return _page_query(with_viewer_flags(authors(posts), reader), page)

    page = _home_pages.rows(
        (tuple(cursors), bounds.limit, brief_authors, viewer.quiet_broadcasters),
        build,
        values={"viewer": viewer.pk, **cursors},
        fragments={"entries": get_store().entry_ids(viewer.pk, bounds)},
    )
    post_id = page.column("id")
    rows = [TimelineRow(post_id(row), page, i) for i, row in enumerate(page.rows)]
    return rows[::-1] if bounds.ascending else rows


def quiet_broadcasters(viewer: Account) -> Q:
    """Return the condition a home timeline post meets when ``viewer`` asked
    to quiet broadcasters: neither its author nor a boost's original
    author only broadcasts (``accounts.signal``). The viewer's own posts
    always stay."""
    if not viewer.quiet_broadcasters:
        return Q()
    return Q(author_id=viewer.pk) | Q(
        ~broadcaster("author"),
        Q(reblog_of__isnull=True) | ~broadcaster("reblog_of__author"),
    )


def public_timeline(viewer: Account | None, bounds: PageBounds) -> list[Post]:
    """Return one page of the public timeline (from a read replica, if any)."""
    with replica_reads():
        return page_of(with_viewer_flags(public_posts(viewer), viewer), bounds)


def profile_timeline(
    viewer: Account | None,
    author: Account,
    bounds: PageBounds,
    *,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    tagged: str | None = None,
) -> list[Post]:
    """Return one page of ``author``'s posts as ``viewer`` may see them
    (only those tagged ``tagged``, if given)."""
    posts = visible_posts(viewer).filter(author=author)
    if tagged is not None:
        posts = posts.filter(id__in=tagged_post_ids(tagged))
    if exclude_replies:
        posts = posts.filter(in_reply_to__isnull=True)
    if exclude_reblogs:
        posts = posts.filter(reblog_of__isnull=True)
    return page_of(with_viewer_flags(with_authors(posts), viewer), bounds)
