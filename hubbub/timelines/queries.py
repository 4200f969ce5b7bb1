"""Reads of timelines: one page of posts, in id order."""

from collections.abc import Callable
from typing import TypeVar

from django.db.models import Model, QuerySet

from hubbub.accounts.models import Account
from hubbub.posts.models import Post
from hubbub.posts.queries import (
    public_posts,
    tagged_post_ids,
    visible_posts,
    with_authors,
    with_viewer_flags,
)
from hubbub.timelines.store import PageBounds, get_store

# Loads one page for a given set of cursors (the web and API page the same way).
PageLoader = Callable[[PageBounds], list[Post]]
Row = TypeVar("Row", bound=Model)


def page_of[Row: Model](
    posts: QuerySet[Row], bounds: PageBounds, *, key: str = "id"
) -> list[Row]:
    """Return one page of ``posts`` (or any rows) by id cursors, newest first.

    ``key`` names the cursor: the row id, or an annotation such as the
    ``link_id`` of a list of people.
    """
    if bounds.max_id is not None:
        posts = posts.filter(**{f"{key}__lt": bounds.max_id})
    if bounds.since_id is not None:
        posts = posts.filter(**{f"{key}__gt": bounds.since_id})
    if bounds.min_id is not None:
        posts = posts.filter(**{f"{key}__gt": bounds.min_id})
        return list(posts.order_by(key)[: bounds.limit])[::-1]
    return list(posts.order_by(f"-{key}")[: bounds.limit])


def home_timeline(viewer: Account, bounds: PageBounds) -> list[Post]:
    """Return one page of ``viewer``'s home timeline, with viewer flags."""
    entry_ids = get_store().entry_ids(viewer.pk, bounds)
    posts = with_authors(visible_posts(viewer).filter(id__in=entry_ids))
    return page_of(with_viewer_flags(posts, viewer), bounds)


def public_timeline(viewer: Account | None, bounds: PageBounds) -> list[Post]:
    """Return one page of the public timeline."""
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
