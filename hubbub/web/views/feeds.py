"""Atom and RSS 2.0 feeds: the site's articles, an author's, a tag's, and
every post of one conversation.

Feeds are public: they show what an anonymous reader may see. An entry's
id is a tag URI made of the site's host, the day the post was published
and its id, so it stays the same when the article is edited, retitled or
the site moves to https.
"""

from typing import Any
from xml.sax.saxutils import XMLGenerator

import regex
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from hubbub.accounts import queries as account_queries
from hubbub.blog import queries as blog_queries
from hubbub.blog.models import Article
from hubbub.posts.models import Kind, Post, PromotionalSource, Visibility
from hubbub.posts.queries import get_post, get_tag, visible_posts, with_authors
from hubbub.web.views.blog import article_url
from hubbub.web.views.common import viewer_of

FEED_ITEMS = 20
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
# Notes link mentions and tags relative to the site; a feed reader needs
# them absolute. The HTML was sanitised on write, so this is the only form.
_RELATIVE_HREF = regex.compile(r'href="/(?!/)')


class AtomFeed(Atom1Feed):
    """Atom with the full text in ``<content>`` beside the ``<summary>``."""

    def add_item_elements(self, handler: XMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)  # type: ignore[arg-type]
        if item.get("content"):
            handler.addQuickElement(  # type: ignore[attr-defined]
                "content", item["content"], {"type": "html"}
            )


class RssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full text in ``content:encoded``."""

    def rss_attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = super().rss_attributes()
        attributes["xmlns:content"] = CONTENT_NS
        return attributes

    def add_item_elements(self, handler: XMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)  # type: ignore[arg-type]
        if item.get("content"):
            handler.addQuickElement(  # type: ignore[attr-defined]
                "content:encoded", item["content"]
            )


Feed = AtomFeed | RssFeed
FORMATS: dict[str, type[Feed]] = {"atom": AtomFeed, "rss": RssFeed}


def entry_id(post: Post) -> str:
    """Return a post's permanent feed id (RFC 4151 tag URI)."""
    host = settings.HUBBUB_SITE_URL.split("://", 1)[-1].split("/", 1)[0]
    host = host.split(":", 1)[0]
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post:{post.id}"


def labelled(post: Post, title: str) -> str:
    """Lead a promotional post's entry title with its label.

    A feed reader cannot collapse an entry, so the label goes where every
    reader shows it first; a signed-in reader who hides promotions gets no
    such entry in the feeds that know them (``visible_posts``).
    """
    if not post.promotional_source:
        return title
    source = PromotionalSource(post.promotional_source).label
    return f"[Promotional, labelled by {source}: {post.promotional_reason}] {title}"


def _absolute(html: str, base: str) -> str:
    return _RELATIVE_HREF.sub(f'href="{base}/', html)


def _feed(
    request: HttpRequest, fmt: str, *, title: str, page: str, description: str
) -> tuple[Feed, str]:
    base = f"{request.scheme}://{request.get_host()}"
    feed = FORMATS[fmt](
        title=title,
        link=base + page,
        description=description,
        feed_url=request.build_absolute_uri(),
        language="en",
    )
    return feed, base


def _response(feed: Feed) -> HttpResponse:
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response


def _article_feed(
    request: HttpRequest,
    fmt: str,
    articles: "QuerySet[Article]",
    *,
    title: str,
    page: str,
    description: str,
) -> HttpResponse:
    feed, base = _feed(request, fmt, title=title, page=page, description=description)
    for article in articles[:FEED_ITEMS]:
        post = article.post
        assert post is not None  # noqa: S101 (published articles only)
        url = base + article_url(article)
        feed.add_item(
            title=labelled(post, article.title),
            link=url,
            description=article.excerpt_html,
            content=article.html,
            author_name=article.author.name,
            author_link=base + reverse("web:profile", args=[article.author.username]),
            pubdate=post.created_at,
            updateddate=max(article.updated_at, post.created_at),
            unique_id=entry_id(post),
            unique_id_is_permalink=False,
            categories=article.tags.split(),
            comments=f"{url}#comments",
        )
    return _response(feed)


@require_GET
def site_feed(request: HttpRequest, fmt: str) -> HttpResponse:
    """The site's newest articles."""
    return _article_feed(
        request,
        fmt,
        blog_queries.published_articles(None),
        title=f"{settings.HUBBUB_INSTANCE_TITLE}: articles",
        page=reverse("web:public"),
        description=f"The newest articles on {settings.HUBBUB_INSTANCE_TITLE}.",
    )


@require_GET
def author_feed(request: HttpRequest, username: str, fmt: str) -> HttpResponse:
    """One author's newest articles."""
    author = account_queries.get_account(username)
    return _article_feed(
        request,
        fmt,
        blog_queries.blog_articles(None, author),
        title=f"{author.name}'s blog",
        page=reverse("web:blog", args=[author.username]),
        description=f"Articles by {author.name} (@{author.username}).",
    )


@require_GET
def tag_feed(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """The newest articles with a tag."""
    found = get_tag(name)
    shown = found.display if found else name.removeprefix("#")
    return _article_feed(
        request,
        fmt,
        blog_queries.tag_articles(None, name),
        title=f"Articles tagged #{shown}",
        page=reverse("web:tag", args=[found.name if found else shown]),
        description=f"Articles tagged #{shown} on {settings.HUBBUB_INSTANCE_TITLE}.",
    )


@require_GET
def conversation_feed(request: HttpRequest, post_id: int, fmt: str) -> HttpResponse:
    """Every public post of one conversation, newest first: its comments.

    A feed shows what anything may read, so followers-only and direct
    posts never appear; a signed-in reader's blocks still apply.
    """
    viewer = viewer_of(request)
    root = get_post(None, post_id)
    if viewer is not None:
        get_post(viewer, post_id)
    posts = with_authors(
        visible_posts(viewer).filter(
            conversation_id=root.conversation_id,
            reblog_of__isnull=True,
            visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED],
        )
    ).order_by("-id")[:FEED_ITEMS]
    feed, base = _feed(
        request,
        fmt,
        title=f"Conversation: {_title(root)}",
        page=_post_page(root),
        description=f"Posts in the conversation started by @{root.author.username}.",
    )
    for post in posts:
        url = base + _post_page(post)
        feed.add_item(
            title=labelled(post, _title(post)),
            link=url,
            description=_absolute(post.html, base),
            author_name=post.author.name,
            author_link=base + reverse("web:profile", args=[post.author.username]),
            pubdate=post.created_at,
            updateddate=post.created_at,
            unique_id=entry_id(post),
            unique_id_is_permalink=False,
        )
    return _response(feed)


def _post_page(post: Post) -> str:
    if post.kind == Kind.ARTICLE:
        return reverse("web:article_by_id", args=[post.author.username, post.id])
    return reverse("web:note", args=[post.author.username, post.id])


def _title(post: Post) -> str:
    first_line = post.text.split("\n", 1)[0]
    if post.kind == Kind.ARTICLE:
        return first_line
    return f"@{post.author.username}: {Truncator(first_line).chars(60)}"
