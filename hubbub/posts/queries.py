"""Reads of posts. Every query takes the viewer and applies visibility."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from hubbub.accounts.models import Account, Follow
from hubbub.posts.models import Kind, Post, Visibility


def visible_posts(viewer: Account | None) -> QuerySet[Post]:
    """Return the posts ``viewer`` may see (anonymous when None).

    This is the one place that decides who sees a post; every other query
    starts from it.
    """
    posts = Post.objects.filter(deleted_at__isnull=True)
    public = Q(visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(public)
    return posts.filter(
        public
        | Q(author_id=viewer.pk)
        | Q(
            Exists(
                Follow.objects.filter(
                    follower_id=viewer.pk, followee_id=OuterRef("author_id")
                )
            ),
            visibility=Visibility.FOLLOWERS,
        )
    )


def with_authors(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Load each post's author (and a boost's original) in the same query."""
    return posts.select_related("author", "reblog_of", "reblog_of__author")


def get_post(viewer: Account | None, post_id: int) -> Post:
    """Return one post ``viewer`` may see, or raise Http404."""
    try:
        return with_authors(visible_posts(viewer)).get(id=post_id)
    except (Post.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such post.") from e


def public_posts(viewer: Account | None) -> QuerySet[Post]:
    """Return the public timeline: public notes and stories, newest first."""
    return with_authors(
        visible_posts(viewer).filter(
            visibility=Visibility.PUBLIC, reblog_of__isnull=True
        )
    ).order_by("-id")


def recent_post_ids_for_follower(author: Account, *, limit: int) -> list[int]:
    """Return the ids of ``author``'s newest posts a new follower may see."""
    return list(
        Post.objects.filter(
            author=author,
            deleted_at__isnull=True,
            kind__in=[Kind.NOTE, Kind.ARTICLE, Kind.STORY],
            visibility__in=[
                Visibility.PUBLIC,
                Visibility.UNLISTED,
                Visibility.FOLLOWERS,
            ],
        )
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    )


def author_ids(post_ids: set[int]) -> dict[int, int]:
    """Return each post's author id (reply parents, for the API's entities)."""
    if not post_ids:
        return {}
    return dict(Post.objects.filter(id__in=post_ids).values_list("id", "author_id"))


def reblogged_ids(viewer: Account, post_ids: set[int]) -> set[int]:
    """Return which of ``post_ids`` ``viewer`` has boosted."""
    if not post_ids:
        return set()
    return set(
        Post.objects.filter(
            author=viewer, reblog_of_id__in=post_ids, deleted_at__isnull=True
        ).values_list("reblog_of_id", flat=True)
    )
