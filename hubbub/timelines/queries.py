"""Reads of timelines: one page of posts, in id order."""

from collections.abc import Callable

from django.db.models import QuerySet

from hubbub.accounts.models import Account
from hubbub.posts.models import Post
from hubbub.posts.queries import (
    public_posts,
    visible_posts,
    with_authors,
    with_viewer_flags,
)
from hubbub.timelines.store import PageBounds, get_store

# Loads one page for a given set of cursors (the web and API page the same way).
PageLoader = Callable[[PageBounds], list[Post]]


def page_of(posts: QuerySet[Post], bounds: PageBounds) -> list[Post]:
    """Return one page of ``posts`` between the cursors, newest first."""
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
    return page_of(with_viewer_flags(posts, viewer), bounds)


def public_timeline(viewer: Account | None, bounds: PageBounds) -> list[Post]:
    """Return one page of the public timeline."""
    return page_of(with_viewer_flags(public_posts(viewer), viewer), bounds)


def profile_timeline(
    viewer: Account | None, author: Account, bounds: PageBounds
) -> list[Post]:
    """Return one page of ``author``'s posts as ``viewer`` may see them."""
    posts = with_authors(visible_posts(viewer).filter(author=author))
    return page_of(with_viewer_flags(posts, viewer), bounds)
