"""Reads of articles. Published ones go through ``visible_posts``."""

from django.db.models import Q, QuerySet
from django.http import Http404

from hubbub.accounts.models import Account
from hubbub.blog.models import Article, CommentHold, Reference, State
from hubbub.posts.models import Kind, Post, PostTag
from hubbub.posts.queries import visible_posts, with_authors
from hubbub.posts.rendering import tag_name


def published_articles(viewer: Account | None) -> QuerySet[Article]:
    """Return the published articles ``viewer`` may see, newest first.

    Their Post decides: an unpublished article's Post is a tombstone, and
    blocks hide an author's articles as they hide the rest of their posts.
    Pages are cut on ``post_id`` (the id the article was published with).
    """
    posts = visible_posts(viewer).filter(kind=Kind.ARTICLE)
    return (
        Article.objects.filter(state=State.PUBLISHED, post_id__in=posts.values("id"))
        .select_related("post", "author")
        .order_by("-post_id")
    )


def blog_articles(viewer: Account | None, author: Account) -> QuerySet[Article]:
    """Return ``author``'s published articles ``viewer`` may see."""
    return published_articles(viewer).filter(author=author)


def tag_articles(viewer: Account | None, name: str) -> QuerySet[Article]:
    """Return the published articles tagged ``name`` (any case, "#" optional)."""
    tagged = PostTag.objects.filter(tag__name=tag_name(name.removeprefix("#")))
    return published_articles(viewer).filter(post_id__in=tagged.values("post_id"))


def get_article(viewer: Account | None, post_id: int) -> Article:
    """Return the published article whose Post is ``post_id``, or Http404."""
    try:
        return published_articles(viewer).get(post_id=post_id)
    except (Article.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such article.") from e


def own_articles(author: Account) -> QuerySet[Article]:
    """Return all of ``author``'s articles, in any state."""
    return Article.objects.select_related("post", "author").filter(author=author)


def get_own_article(author: Account, article_id: int) -> Article:
    """Return one of ``author``'s articles in any state, or Http404."""
    try:
        return own_articles(author).get(id=article_id)
    except (Article.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such article.") from e


def unpublished_articles(author: Account) -> QuerySet[Article]:
    """Return ``author``'s drafts and scheduled articles, latest edit first.

    A published article whose status was deleted (through the Mastodon API,
    say) is listed too: it is down, and publishing it again restores it.
    """
    return Article.objects.filter(
        Q(state__in=[State.DRAFT, State.SCHEDULED]) | Q(post__deleted_at__isnull=False),
        author=author,
    ).order_by("-updated_at", "-id")


def held_comments(author: Account) -> QuerySet[CommentHold]:
    """Return the comments waiting for ``author``'s approval, oldest first."""
    return (
        CommentHold.objects.filter(
            article__author=author, post__deleted_at__isnull=True
        )
        .select_related("post__author", "article__post")
        .order_by("created_at", "post_id")
    )


def held_among(post_ids: set[int]) -> set[int]:
    """Return which of ``post_ids`` are comments waiting for approval."""
    if not post_ids:
        return set()
    return set(
        CommentHold.objects.filter(post_id__in=post_ids).values_list(
            "post_id", flat=True
        )
    )


def mentioned_in(viewer: Account | None, post: Post, *, limit: int = 20) -> list[Post]:
    """Return the posts ``viewer`` may see that link to ``post``, newest first."""
    linking = Reference.objects.filter(target=post).values("post_id")
    return list(
        with_authors(visible_posts(viewer).filter(id__in=linking)).order_by("-id")[
            :limit
        ]
    )
