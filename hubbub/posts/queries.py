"""Reads of posts. Every query takes the viewer and applies visibility."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from hubbub.accounts.models import Account, Block, Follow
from hubbub.posts.models import Favourite, Kind, Mention, Post, Visibility


def _blocked_either_way(viewer_id: int, author_ref: str) -> Exists:
    return Exists(
        Block.objects.filter(
            Q(account_id=OuterRef(author_ref), target_id=viewer_id)
            | Q(account_id=viewer_id, target_id=OuterRef(author_ref))
        )
    )


def visible_posts(viewer: Account | None) -> QuerySet[Post]:
    """Return the posts ``viewer`` may see (anonymous when None).

    This is the one place that decides who sees a post; every other query
    starts from it. Public and unlisted posts are for everyone, followers-only
    posts for followers and the people they mention, direct posts for the
    people they mention; nothing crosses a block in either direction, and a
    boost is hidden whenever its original would be.
    """
    posts = Post.objects.filter(deleted_at__isnull=True)
    everyone = [Visibility.PUBLIC, Visibility.UNLISTED]
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(
            Q(reblog_of__isnull=True) | Q(reblog_of__deleted_at__isnull=True),
            visibility__in=everyone,
        )
    follows_author = Exists(
        Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("author_id"))
    )
    mentioned = Exists(Mention.objects.filter(post_id=OuterRef("id"), account=viewer))
    original_ok = Q(reblog_of__isnull=True) | Q(
        ~_blocked_either_way(viewer.pk, "reblog_of__author_id"),
        reblog_of__deleted_at__isnull=True,
    )
    return posts.filter(
        Q(author_id=viewer.pk)
        | Q(
            Q(visibility__in=everyone)
            | Q(follows_author, visibility=Visibility.FOLLOWERS)
            | Q(mentioned, visibility__in=[Visibility.FOLLOWERS, Visibility.DIRECT]),
            original_ok,
            ~_blocked_either_way(viewer.pk, "author_id"),
        )
    )


def with_viewer_flags(posts: QuerySet[Post], viewer: Account | None) -> QuerySet[Post]:
    """Annotate whether ``viewer`` favourited and boosted each post.

    For a boost the flags are about its original. The flags ride on the same
    query as the posts, so a page costs no extra queries for them; templates
    and API serialisers both read ``post.favourited`` and ``post.boosted``.
    """
    if viewer is None or not viewer.is_authenticated:
        return posts.annotate(favourited=Value(False), boosted=Value(False))
    target = Coalesce(OuterRef("reblog_of_id"), OuterRef("id"))
    return posts.annotate(
        favourited=Exists(Favourite.objects.filter(account=viewer, post_id=target)),
        boosted=Exists(
            Post.objects.filter(
                author=viewer, reblog_of_id=target, deleted_at__isnull=True
            )
        ),
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


def get_post_with_flags(viewer: Account | None, post_id: int) -> Post:
    """Return one post ``viewer`` may see, with its viewer flags, or Http404."""
    try:
        return with_viewer_flags(with_authors(visible_posts(viewer)), viewer).get(
            id=post_id
        )
    except (Post.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such post.") from e


def _not_blocked(
    people: QuerySet[Account], viewer: Account | None
) -> QuerySet[Account]:
    if viewer is None or not viewer.is_authenticated:
        return people
    return people.exclude(
        pk__in=Block.objects.filter(account_id=viewer.pk).values("target_id")
    ).exclude(pk__in=Block.objects.filter(target_id=viewer.pk).values("account_id"))


def favourited_by(viewer: Account | None, post_id: int) -> QuerySet[Account]:
    """Return who favourited a post (a boost's original), newest first.

    Raises Http404 if ``viewer`` may not see the post. Each account carries
    ``link_id``, its favourite's id: the cursor to page on.
    """
    post = get_post(viewer, post_id)
    people = (
        Account.objects.filter(
            favourites__post_id=post.reblog_of_id or post.id, is_active=True
        )
        .annotate(link_id=F("favourites__id"))
        .order_by("-link_id")
    )
    return _not_blocked(people, viewer)


def boosted_by(viewer: Account | None, post_id: int) -> QuerySet[Account]:
    """Return who boosted a post (a boost's original), newest first.

    Raises Http404 if ``viewer`` may not see the post; lists only boosts
    ``viewer`` may see. Each account carries ``link_id``, its boost's id.
    """
    post = get_post(viewer, post_id)
    boosts = visible_posts(viewer).filter(reblog_of_id=post.reblog_of_id or post.id)
    people = Account.objects.filter(
        posts__in=boosts.values("id"), is_active=True
    ).annotate(link_id=F("posts__id"))
    return people.order_by("-link_id")
