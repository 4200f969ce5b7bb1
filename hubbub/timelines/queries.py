"""Reads of timelines: one page of posts, in id order."""

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Model, QuerySet

from hubbub.accounts.models import Account
from hubbub.posts.models import Post
from hubbub.posts.queries import public_posts, visible_posts, with_authors
from hubbub.timelines.store import PageBounds, get_store

# Loads one page for a given set of cursors (the web and API page the same way).
PageLoader = Callable[[PageBounds], list[Post]]
Row = TypeVar("Row", bound=Model)


def page_of[Row: Model](posts: QuerySet[Row], bounds: PageBounds) -> list[Row]:
    """Return one page of ``posts`` (or any rows) by id cursors, newest first."""
    if bounds.max_id is not None:
        posts = posts.filter(id__lt=bounds.max_id)
    if bounds.since_id is not None:
        posts = posts.filter(id__gt=bounds.since_id)
    if bounds.min_id is not None:
        posts = posts.filter(id__gt=bounds.min_id)
        return list(posts.order_by("id")[: bounds.limit])[::-1]
    return list(posts.order_by("-id")[: bounds.limit])


def home_timeline(viewer: Account, bounds: PageBounds) -> list[Post]:
    """Return one page of ``viewer``'s home timeline: one SQL query."""
    entry_ids = get_store().entry_ids(viewer.pk, bounds)
    posts = with_authors(visible_posts(viewer).filter(id__in=entry_ids))
    return page_of(posts, bounds)


def public_timeline(viewer: Account | None, bounds: PageBounds) -> list[Post]:
    """Return one page of the public timeline."""
    return page_of(public_posts(viewer), bounds)


def profile_timeline(
    viewer: Account | None,
    author: Account,
    bounds: PageBounds,
    *,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
) -> list[Post]:
    """Return one page of ``author``'s posts as ``viewer`` may see them."""
    posts = visible_posts(viewer).filter(author=author)
    if exclude_replies:
        posts = posts.filter(in_reply_to__isnull=True)
    if exclude_reblogs:
        posts = posts.filter(reblog_of__isnull=True)
    return page_of(with_authors(posts), bounds)
